"""``/api/organizations/...``: the caller's organizations, one organization, renaming it."""
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.orgs.services import join_link
from tests.api.test_auth import assert_envelope

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.mark.parametrize("path", ["/api/organizations", "/api/organizations/"])
def test_list_is_the_callers_working_organizations(token_client, people, dummy_org, create_org, path):
    owner = people["owner"]
    create_org(name="Zeta", slug="zeta", owner=owner)
    body = token_client(owner).get(path).get_json()
    assert [o["title"] for o in body] == ["Acme", "Zeta"]
    assert set(body[0]) == {"id", "title", "contact_info", "created_at"}
    assert body[0]["id"] == dummy_org.id and body[0]["contact_info"] is None and TIMESTAMP.match(body[0]["created_at"])
    assert [o["title"] for o in token_client(people["outsider"]).get(path).get_json()] == ["Other"]


@pytest.mark.parametrize("who", ["pending", "deactivated"])
def test_list_leaves_out_memberships_without_a_role(token_client, people, who):
    assert token_client(people[who]).get("/api/organizations/").get_json() == []


@pytest.mark.parametrize("suffix", ["", "/"])
def test_detail_for_an_admin_includes_the_join_token(token_client, people, dummy_org, db, suffix):
    body = token_client(people["admin"]).get(f"/api/organizations/{dummy_org.id}{suffix}").get_json()
    assert set(body) == {"id", "title", "token", "created_at", "updated_at", "contact_info", "created_by", "users"}
    assert body["id"] == dummy_org.id and body["title"] == "Acme" and body["contact_info"] is None
    assert body["token"] == join_link(None, dummy_org).link_token
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])
    # everyone but the deactivated member
    expected = sorted(people[w].id for w in ("owner", "admin", "manager", "reviewer", "annotator", "pending"))
    assert body["users"] == expected


@pytest.mark.parametrize("who", ["manager", "reviewer", "annotator"])
def test_detail_without_invite_permission_has_no_token(token_client, people, dummy_org, who):
    response = token_client(people[who]).get(f"/api/organizations/{dummy_org.id}")
    assert response.status_code == 200 and "token" not in response.get_json()


@pytest.mark.parametrize("who,status", [("outsider", 404), ("deactivated", 404), ("pending", 403)])
def test_detail_refused(token_client, people, dummy_org, who, status):
    assert_envelope(token_client(people[who]).get(f"/api/organizations/{dummy_org.id}"), status)


def test_unknown_org_and_org_zero_are_404(token_client, people, dummy_org, db):
    people["admin"].active_org_id = dummy_org.id
    db.session.commit()
    caller = token_client(people["admin"])
    assert_envelope(caller.get("/api/organizations/999999"), 404)
    # 0 is not the active organization in disguise
    assert_envelope(caller.get("/api/organizations/0"), 404)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_rename(token_client, people, dummy_org, db, suffix):
    response = token_client(people["admin"]).patch(f"/api/organizations/{dummy_org.id}{suffix}", json={"title": "  Acme Labs "})
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Acme Labs" and body["updated_at"] > body["created_at"]
    db.session.refresh(dummy_org)
    assert dummy_org.name == "Acme Labs" and dummy_org.slug == "acme"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "org.updated")).scalar_one()
    assert entry.org_id == dummy_org.id and entry.actor_id == people["admin"].id
    assert entry.data == {"before": {"name": "Acme"}, "after": {"name": "Acme Labs"}}


@pytest.mark.parametrize("body,field", [({"title": ""}, "title"), ({"title": "x" * 201}, "title"),
                                        ({"title": 5}, "title"), ({}, "title")])
def test_rename_refusals(token_client, people, dummy_org, db, body, field):
    response = token_client(people["owner"]).patch(f"/api/organizations/{dummy_org.id}", json=body)
    envelope = assert_envelope(response, 400)
    assert list(envelope["validation_errors"]) == [field]
    db.session.refresh(dummy_org)
    assert dummy_org.name == "Acme"


@pytest.mark.parametrize("data", ["{not json", "[1, 2]"])
def test_rename_with_a_bad_body_is_400(token_client, people, dummy_org, data):
    response = token_client(people["owner"]).patch(
        f"/api/organizations/{dummy_org.id}", data=data, headers={"Content-Type": "application/json"}
    )
    assert "non_field_errors" in assert_envelope(response, 400)["validation_errors"]


@pytest.mark.parametrize("who,status", [("manager", 403), ("annotator", 403), ("outsider", 404)])
def test_rename_refused_by_role(token_client, people, dummy_org, db, who, status):
    assert_envelope(token_client(people[who]).patch(f"/api/organizations/{dummy_org.id}", json={"title": "Mine"}), status)
    db.session.refresh(dummy_org)
    assert dummy_org.name == "Acme"
