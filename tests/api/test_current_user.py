"""``/api/current-user/...``: whoami and the API keys."""
import re

import pytest
from sqlalchemy import select

from app.auth.models import ApiToken
from app.security.permissions import permissions_for
from app.security.roles import Role

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.mark.parametrize("path", ["/api/current-user/whoami", "/api/current-user/whoami/"])
def test_whoami_shape(token_client, people, dummy_org, create_org, db, path):
    admin = people["admin"]
    admin.name = "Ada Lovelace King"
    admin.active_org_id = dummy_org.id
    second = create_org(name="Second", slug="second", owner=admin)
    db.session.commit()
    body = token_client(admin).get(path).get_json()
    assert set(body) == {
        "id", "first_name", "last_name", "username", "email", "last_activity", "avatar", "initials", "phone",
        "active_organization", "active_organization_meta", "allow_newsletters", "date_joined", "custom_hotkeys",
        "permissions", "org_membership",
    }
    assert body["id"] == admin.id and body["email"] == admin.email
    assert (body["first_name"], body["last_name"]) == ("Ada", "Lovelace King")
    assert body["username"] == "" and body["phone"] == "" and body["avatar"] is None and body["initials"] == "al"
    assert body["allow_newsletters"] is None and body["custom_hotkeys"] == {}
    assert body["active_organization"] == dummy_org.id
    assert body["active_organization_meta"] == {"title": "Acme", "email": people["owner"].email}
    assert body["permissions"] == permissions_for(Role.ADMIN)
    assert sorted(body["org_membership"], key=lambda m: m["organization_id"]) == [
        {"organization_id": dummy_org.id, "role": "AD"}, {"organization_id": second.id, "role": "OW"},
    ]
    assert TIMESTAMP.match(body["date_joined"])
    assert body["last_activity"] is None  # never signed in with a password


def test_whoami_after_sign_in_has_last_activity(client, people, dummy_org):
    from tests.conftest import PASSWORD

    client.post("/login", data={"email": people["annotator"].email, "password": PASSWORD})
    body = client.get("/api/current-user/whoami").get_json()
    assert TIMESTAMP.match(body["last_activity"])
    assert body["active_organization"] == dummy_org.id
    assert body["permissions"] == permissions_for(Role.ANNOTATOR)
    assert body["org_membership"] == [{"organization_id": dummy_org.id, "role": "AN"}]


def test_whoami_without_an_active_organization(token_client, people, db):
    people["annotator"].active_org_id = None
    db.session.commit()
    body = token_client(people["annotator"]).get("/api/current-user/whoami").get_json()
    assert body["active_organization"] is None and body["active_organization_meta"] is None
    assert body["permissions"] == []


def test_whoami_permissions_follow_the_active_organization(token_client, people, dummy_org, db):
    people["annotator"].active_org_id = dummy_org.id
    db.session.commit()
    body = token_client(people["annotator"]).get("/api/current-user/whoami").get_json()
    assert body["permissions"] == permissions_for(Role.ANNOTATOR) and "members.view" not in body["permissions"]


def test_whoami_leaves_out_pending_and_deactivated_memberships(token_client, people):
    for who in ("pending", "deactivated"):
        body = token_client(people[who]).get("/api/current-user/whoami").get_json()
        assert body["org_membership"] == [] and body["permissions"] == []


def test_whoami_without_any_organization(token_client, create_user):
    body = token_client(create_user()).get("/api/current-user/whoami").get_json()
    assert body["active_organization"] is None and body["active_organization_meta"] is None
    assert body["permissions"] == [] and body["org_membership"] == []


def test_current_user_without_whoami_is_404(token_client, people):
    assert token_client(people["admin"]).get("/api/current-user").status_code == 404


def _active_tokens(db, user):
    return db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).scalars().all()


@pytest.mark.parametrize("path", ["/api/current-user/token", "/api/current-user/token/"])
def test_get_token_issues_a_new_working_key(org_admin_client, client, people, db, path):
    first = org_admin_client.get(path).get_json()["token"]
    second = org_admin_client.get(path).get_json()["token"]
    assert len(first) == 40 and first != second
    for key in (first, second):
        assert client.get("/api/current-user/whoami", headers={"Authorization": f"Token {key}"}).status_code == 200
    assert [t.name for t in _active_tokens(db, people["admin"])] == ["API token", "API token"]


@pytest.mark.parametrize("path", ["/api/current-user/reset-token", "/api/current-user/reset-token/"])
def test_reset_token_revokes_every_old_key(token_client, client, people, key_for, db, path):
    caller = token_client(people["admin"])
    other_key = key_for(people["admin"], "another script")
    response = caller.post(path)
    assert response.status_code == 200
    new_key = response.get_json()["token"]
    for old in (caller.key, other_key):
        assert client.get("/api/current-user/whoami", headers={"Authorization": f"Token {old}"}).status_code == 401
    assert client.get("/api/current-user/whoami", headers={"Authorization": f"Token {new_key}"}).status_code == 200
    assert len(_active_tokens(db, people["admin"])) == 1


def test_reset_token_leaves_other_people_alone(token_client, people, key_for, client):
    owner_key = key_for(people["owner"])
    token_client(people["admin"]).post("/api/current-user/reset-token/")
    assert client.get("/api/current-user/whoami", headers={"Authorization": f"Token {owner_key}"}).status_code == 200


def test_token_get_does_not_accept_post(token_client, people):
    assert token_client(people["admin"]).post("/api/current-user/token").status_code == 405
