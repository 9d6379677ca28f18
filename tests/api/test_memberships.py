"""``/api/organizations/<id>/memberships``: pagination, one membership, role changes and deactivation."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.orgs.models import OrgMember
from app.security.roles import Role
from tests.api.test_auth import assert_envelope


def _url(org, suffix=""):
    return f"/api/organizations/{org.id}/memberships{suffix}"


def _role(db, org, user):
    return db.session.execute(
        select(OrgMember.role).where(OrgMember.org_id == org.id, OrgMember.user_id == user.id)
    ).scalar_one()


@pytest.mark.parametrize("suffix", ["", "/"])
def test_list_all_on_one_page(token_client, people, dummy_org, suffix):
    body = token_client(people["admin"]).get(_url(dummy_org, suffix)).get_json()
    assert body["count"] == 7 and body["next"] is None and body["previous"] is None
    by_user = {m["user"]["id"]: m for m in body["results"]}
    codes = {who: by_user[people[who].id]["role"] for who in
             ("owner", "admin", "manager", "reviewer", "annotator", "pending", "deactivated")}
    assert codes == {"owner": "OW", "admin": "AD", "manager": "MA", "reviewer": "RE", "annotator": "AN",
                     "pending": "NO", "deactivated": "DI"}
    one = by_user[people["owner"].id]
    assert one["organization"] == dummy_org.id and one["created_projects"] is None and one["contributed_to_projects"] is None
    assert one["user"]["email"] == people["owner"].email and one["user"]["username"] == ""
    assert one["user"]["active_organization"] == dummy_org.id


def test_users_active_organization_elsewhere_is_not_revealed(token_client, people, dummy_org, db):
    people["manager"].active_org_id = people["other_org"].id
    db.session.commit()
    body = token_client(people["admin"]).get(_url(dummy_org, f"/{people['manager'].id}")).get_json()
    assert body["user"]["active_organization"] is None


def test_pages(token_client, people, dummy_org):
    caller = token_client(people["admin"])
    base = f"http://localhost/api/organizations/{dummy_org.id}/memberships"
    first = caller.get(_url(dummy_org, "?page_size=3")).get_json()
    assert first["count"] == 7 and len(first["results"]) == 3
    assert first["next"] == f"{base}?page_size=3&page=2" and first["previous"] is None
    second = caller.get(_url(dummy_org, "/?page=2&page_size=3")).get_json()
    assert second["previous"] == f"{base}/?page_size=3" and second["next"] == f"{base}/?page_size=3&page=3"
    third = caller.get(_url(dummy_org, "?page=3&page_size=3")).get_json()
    assert len(third["results"]) == 1 and third["next"] is None
    seen = [m["id"] for page in (first, second, third) for m in page["results"]]
    assert len(set(seen)) == 7
    last = caller.get(_url(dummy_org, "?page=last&page_size=3")).get_json()
    assert last["results"] == third["results"]


@pytest.mark.parametrize("query", ["?page=4&page_size=3", "?page=0", "?page=-1", "?page=abc", "?page=2"])
def test_past_the_last_page_is_404(token_client, people, dummy_org, query):
    assert_envelope(token_client(people["admin"]).get(_url(dummy_org, query)), 404, "Invalid page.")


def test_bad_page_size_falls_back_to_the_default(token_client, people, dummy_org):
    body = token_client(people["admin"]).get(_url(dummy_org, "?page_size=zero")).get_json()
    assert body["count"] == 7 and len(body["results"]) == 7


@pytest.mark.parametrize("who,status", [("manager", 403), ("annotator", 403), ("outsider", 404), ("deactivated", 404)])
def test_list_refused(token_client, people, dummy_org, who, status):
    assert_envelope(token_client(people[who]).get(_url(dummy_org)), status)


def test_detail(token_client, people, dummy_org):
    body = token_client(people["admin"]).get(_url(dummy_org, f"/{people['reviewer'].id}/")).get_json()
    assert body["role"] == "RE" and body["user"]["id"] == people["reviewer"].id and body["organization"] == dummy_org.id


def test_member_of_another_org_is_404(token_client, people, dummy_org):
    caller = token_client(people["admin"])
    assert_envelope(caller.get(_url(dummy_org, f"/{people['outsider'].id}")), 404)
    assert_envelope(caller.patch(_url(dummy_org, f"/{people['outsider'].id}"), json={"role": "AN"}), 404)
    # and through the other organization's id, where the caller is nobody
    other = people["other_org"]
    assert_envelope(caller.get(_url(other, f"/{people['outsider'].id}")), 404)
    assert_envelope(caller.delete(_url(other, f"/{people['outsider'].id}")), 404)


@pytest.mark.parametrize("value,role", [("AN", Role.ANNOTATOR), ("re", Role.REVIEWER), ("admin", Role.ADMIN),
                                        ("Annotator", Role.ANNOTATOR)])
def test_change_role(token_client, people, dummy_org, db, value, role):
    manager = people["manager"]
    response = token_client(people["admin"]).patch(_url(dummy_org, f"/{manager.id}"), json={"role": value})
    assert response.status_code == 200 and response.get_json()["role"] == role.api_code
    assert _role(db, dummy_org, manager) == role
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "member.role_changed")).scalar_one()
    assert entry.data == {"before": {"role": "manager"}, "after": {"role": role.value}}


@pytest.mark.parametrize("target,body,field", [
    ("owner", {"role": "AN"}, "role"),
    ("manager", {"role": "OW"}, "role"),
    ("manager", {"role": "XX"}, "role"),
    ("manager", {"role": 3}, "role"),
    ("manager", {}, "role"),
    ("admin", {"role": "DI"}, "role"),
])
def test_change_role_refusals(token_client, people, dummy_org, db, target, body, field):
    before = _role(db, dummy_org, people[target])
    response = token_client(people["admin"]).patch(_url(dummy_org, f"/{people[target].id}"), json=body)
    envelope = assert_envelope(response, 400, "Validation error")
    assert list(envelope["validation_errors"]) == [field] and envelope["validation_errors"][field][0]
    assert _role(db, dummy_org, people[target]) == before


def test_change_role_needs_admin(token_client, people, dummy_org, db):
    response = token_client(people["manager"]).patch(_url(dummy_org, f"/{people['annotator'].id}"), json={"role": "RE"})
    assert_envelope(response, 403)
    assert _role(db, dummy_org, people["annotator"]) == Role.ANNOTATOR


def test_delete_deactivates_and_keeps_the_history(token_client, people, dummy_org, db):
    caller = token_client(people["admin"])
    annotator = people["annotator"]
    response = caller.delete(_url(dummy_org, f"/{annotator.id}/"))
    assert response.status_code == 204 and response.data == b""
    assert _role(db, dummy_org, annotator) == Role.DEACTIVATED
    assert caller.get(_url(dummy_org, f"/{annotator.id}")).get_json()["role"] == "DI"
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "member.deactivated")).scalar_one()
    # the deactivated person no longer reaches the organization
    assert_envelope(token_client(annotator).get(f"/api/organizations/{dummy_org.id}"), 404)
    # and a PATCH gives a role back
    assert caller.patch(_url(dummy_org, f"/{annotator.id}"), json={"role": "AN"}).get_json()["role"] == "AN"
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "member.reactivated")).scalar_one()


@pytest.mark.parametrize("who,status", [("self", 400), ("owner", 400)])
def test_delete_refusals(token_client, people, dummy_org, db, who, status):
    target = people["admin"] if who == "self" else people[who]
    assert_envelope(token_client(people["admin"]).delete(_url(dummy_org, f"/{target.id}")), status)
    assert _role(db, dummy_org, target) != Role.DEACTIVATED


def test_delete_needs_admin(token_client, people, dummy_org, db):
    assert_envelope(token_client(people["reviewer"]).delete(_url(dummy_org, f"/{people['annotator'].id}")), 403)
    assert _role(db, dummy_org, people["annotator"]) == Role.ANNOTATOR


def test_unknown_membership_is_404(token_client, people, dummy_org):
    assert_envelope(token_client(people["admin"]).get(_url(dummy_org, "/999999")), 404)
