"""The account page: profile, password, API tokens."""
import re

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import ApiToken
from app.auth.services import authenticate
from tests.conftest import PASSWORD, hx

NEW_PASSWORD = "a brand new passphrase"


def _entries(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def _whoami(client, key):
    return client.get("/api/current-user/whoami", headers={"Authorization": f"Token {key}"})


def test_account_page(owner_client, people):
    response = owner_client.get("/account")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert people["owner"].email in page and "API tokens" in page


def test_account_page_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/account")


def test_profile_update(owner_client, people, db):
    response = owner_client.post("/account/profile", data={"name": "  Olga Owner  "})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert people["owner"].name == "Olga Owner"
    entry = _entries(db, "user.updated")[-1]
    assert entry.data["after"] == {"name": "Olga Owner"} and entry.actor_id == people["owner"].id
    assert "Saved." in owner_client.get("/account").get_data(as_text=True)


def test_profile_name_too_long_is_422(owner_client, people):
    response = owner_client.post("/account/profile", data={"name": "x" * 201})
    assert response.status_code == 422
    assert people["owner"].name != "x" * 201


def test_password_change(owner_client, people, db):
    response = owner_client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })
    assert response.status_code == 303
    assert authenticate(people["owner"].email, NEW_PASSWORD) is not None
    assert authenticate(people["owner"].email, PASSWORD) is None
    assert _entries(db, "auth.password_changed")


def test_password_change_with_wrong_current_password_is_422(owner_client, people, db):
    before = people["owner"].password_hash
    response = owner_client.post("/account/password", data={
        "current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    }, headers=hx())
    assert response.status_code == 422
    assert "The current password is not right." in response.get_data(as_text=True)
    db.session.refresh(people["owner"])
    assert people["owner"].password_hash == before
    assert not _entries(db, "auth.password_changed")


def test_password_change_refusals(owner_client, people):
    short = owner_client.post("/account/password", data={"current_password": PASSWORD, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and b"at least 10 characters" in short.data
    differ = owner_client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and b"The two passwords differ." in differ.data
    assert authenticate(people["owner"].email, PASSWORD) is not None


def test_token_is_shown_once_and_works(owner_client, client, people, db):
    response = owner_client.post("/account/tokens", data={"name": "import script"})
    assert response.status_code == 200
    key = re.search(r'<code id="new-key">([0-9a-f]{40})</code>', response.get_data(as_text=True)).group(1)
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == people["owner"].id)).scalar_one()
    assert token.name == "import script" and token.prefix == key[:8] and key not in token.token_hash
    later = owner_client.get("/account").get_data(as_text=True)
    assert key not in later and f"{key[:8]}…" in later
    assert _whoami(client, key).get_json()["id"] == people["owner"].id
    assert _entries(db, "api_token.created")


def test_token_without_a_name_is_422(owner_client, db, people):
    assert owner_client.post("/account/tokens", data={"name": ""}).status_code == 422
    assert db.session.execute(select(ApiToken).where(ApiToken.user_id == people["owner"].id)).first() is None


def _issue(client):
    page = client.post("/account/tokens", data={"name": "to revoke"}).get_data(as_text=True)
    return re.search(r'<code id="new-key">([0-9a-f]{40})</code>', page).group(1)


def test_revoke_token(owner_client, client, people, db):
    key = _issue(owner_client)
    token = db.session.execute(select(ApiToken).where(ApiToken.prefix == key[:8])).scalar_one()
    response = owner_client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 303
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert _whoami(client, key).status_code == 401
    assert "Revoked" in owner_client.get("/account").get_data(as_text=True)
    assert _entries(db, "api_token.revoked")


def test_cannot_revoke_another_users_token(owner_client, org_admin_client, client, db):
    key = _issue(org_admin_client)
    token = db.session.execute(select(ApiToken).where(ApiToken.prefix == key[:8])).scalar_one()
    assert owner_client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    assert _whoami(client, key).status_code == 200
