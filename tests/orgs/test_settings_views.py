"""The Settings page: renaming the organization and the Owner's transfer of ownership."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.orgs import services
from app.security.roles import Role
from tests.conftest import hx


def _audit(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def _fresh(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def test_settings_page_shows_name_and_read_only_short_name(org_admin_client):
    response = org_admin_client.get("/o/acme/settings")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="name"' in page and 'value="Acme"' in page
    assert 'id="org-slug" type="text" value="acme" readonly' in page
    assert "Transfer ownership" not in page  # the Owner's alone
    boosted = org_admin_client.get("/o/acme/settings", headers=hx(**{"HX-Boosted": "true"}))
    assert boosted.status_code == 200 and "<html" in boosted.get_data(as_text=True)


def test_owner_sees_transfer_with_active_members_only(owner_client, people):
    page = owner_client.get("/o/acme/settings").get_data(as_text=True)
    assert "Transfer ownership" in page and "data-confirm=" in page
    for key in ("admin", "manager", "reviewer", "annotator"):
        assert people[key].email in page
    for key in ("pending", "deactivated", "outsider"):
        assert people[key].email not in page


@pytest.mark.parametrize("who,status", [("manager", 403), ("annotator", 403), ("outsider", 404)])
def test_settings_is_for_admins(client_for, people, who, status):
    assert client_for(people[who]).get("/o/acme/settings").status_code == status


def test_rename_is_saved_and_audited(org_admin_client, db, dummy_org, people):
    response = org_admin_client.post("/o/acme/settings", data={"name": "Acme Research"})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/settings"
    assert _fresh(db, dummy_org).name == "Acme Research" and dummy_org.slug == "acme"
    entry = _audit(db, "org.updated")[-1]
    assert entry.actor_id == people["admin"].id
    assert entry.data == {"before": {"name": "Acme"}, "after": {"name": "Acme Research"}}
    assert "Saved." in org_admin_client.get("/o/acme/settings").get_data(as_text=True)


def test_htmx_rename_answers_with_hx_redirect(org_admin_client, db, dummy_org):
    response = org_admin_client.post("/o/acme/settings", data={"name": "Acme HX"}, headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/o/acme/settings"
    assert _fresh(db, dummy_org).name == "Acme HX"


@pytest.mark.parametrize("name,message", [("", "Give the organization a name."), ("x" * 201, "200 characters")])
def test_bad_name_is_422_and_saves_nothing(org_admin_client, db, dummy_org, name, message):
    response = org_admin_client.post("/o/acme/settings", data={"name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'aria-invalid="true"' in page
    assert _fresh(db, dummy_org).name == "Acme"
    assert not _audit(db, "org.updated")


def test_transfer_ownership(owner_client, db, people, dummy_org):
    new_owner = services.member_of(dummy_org, people["manager"])
    response = owner_client.post("/o/acme/settings/transfer-ownership", data={"member_id": str(new_owner.id)})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/settings"
    assert _fresh(db, new_owner).role == Role.OWNER
    assert services.member_of(dummy_org, people["owner"]).role == Role.ADMIN
    entry = _audit(db, "org.owner_transferred")[-1]
    assert entry.data["before"]["owner"] == people["owner"].email
    assert entry.data["after"]["owner"] == people["manager"].email
    page = owner_client.get("/o/acme/settings").get_data(as_text=True)
    assert "now owns Acme" in page and "Transfer ownership</h2>" not in page  # an Admin now
    assert owner_client.post("/o/acme/settings/transfer-ownership",
                             data={"member_id": str(new_owner.id)}).status_code == 403


@pytest.mark.parametrize("who,message", [
    (None, "Choose the member who becomes Owner."),
    ("pending", "Not a valid choice"),
    ("deactivated", "Not a valid choice"),
    ("outsider", "Not a valid choice"),  # a member of another organization
])
def test_refused_transfer_is_422_and_changes_nothing(owner_client, db, people, dummy_org, who, message):
    member_id = ""
    if who:
        org = people["other_org"] if who == "outsider" else dummy_org
        member_id = str(services.member_of(org, people[who]).id)
    for headers in ({}, hx()):
        response = owner_client.post("/o/acme/settings/transfer-ownership", data={"member_id": member_id},
                                     headers=headers)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.owner_of(dummy_org).user_id == people["owner"].id
    assert services.owner_of(people["other_org"]).user_id == people["outsider"].id
    assert not _audit(db, "org.owner_transferred")


def test_admin_cannot_transfer(org_admin_client, db, people, dummy_org):
    target = services.member_of(dummy_org, people["admin"])
    response = org_admin_client.post("/o/acme/settings/transfer-ownership", data={"member_id": str(target.id)})
    assert response.status_code == 403
    assert services.owner_of(dummy_org).user_id == people["owner"].id
