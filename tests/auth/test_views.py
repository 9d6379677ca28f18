from sqlalchemy import select

from app.audit.models import AuditEntry
from tests.conftest import PASSWORD, hx


def _entries(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_login_signs_in_and_audits(client, db, people):
    owner = people["owner"]
    response = client.post("/login", data={"email": owner.email.upper(), "password": PASSWORD})
    assert response.status_code == 303
    assert client.get("/").status_code == 302  # to the organization
    assert client.get("/o/acme/").status_code == 200
    assert [e.actor_id for e in _entries(db, "auth.login_succeeded")] == [owner.id]


def test_wrong_password_is_refused_and_audited(client, db, people):
    response = client.post("/login", data={"email": people["owner"].email, "password": "wrong password!"})
    assert response.status_code == 422
    assert b"do not match an active account" in response.data
    assert client.get("/o/acme/").status_code == 302
    failed = _entries(db, "auth.login_failed")
    assert failed and failed[-1].data["reason"] == "wrong password"


def test_htmx_login_error_is_422_fragment(client, people):
    response = client.post("/login", data={"email": people["owner"].email, "password": "nope"}, headers=hx())
    assert response.status_code == 422
    assert b"<html" not in response.data and b"login-form" in response.data


def test_login_without_csrf_token_is_400(client, people):
    response = client.post("/login", data={"email": people["owner"].email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert b"security token" in response.data


def test_next_is_limited_to_our_own_paths(client, people):
    for target in ("https://evil.example/", "//evil.example/x"):
        response = client.post(f"/login?next={target}", data={"email": people["owner"].email, "password": PASSWORD})
        assert response.headers["Location"] == "/"


def test_expired_session_on_htmx_request_gets_hx_redirect(client, people):
    response = client.get("/o/acme/", headers=hx())
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/somewhere?x%3D1"


def test_anonymous_browser_is_sent_to_login(client):
    response = client.get("/o/acme/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/o/acme/")


def test_logout(owner_client, db, people):
    response = owner_client.post("/logout")
    assert response.status_code == 303
    assert owner_client.get("/o/acme/").status_code == 302
    assert _entries(db, "auth.logout")
