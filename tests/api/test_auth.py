"""Token and session authentication of the API, the error envelope, and CSRF for cookie sessions."""
import pytest
from sqlalchemy import select

from app.auth.models import ApiToken
from app.auth.services import revoke_api_token

ENVELOPE_KEYS = {"id", "status_code", "version", "detail", "exc_info"}


def assert_envelope(response, status, detail=None):
    assert response.status_code == status
    body = response.get_json()
    assert ENVELOPE_KEYS <= body.keys() and body["status_code"] == status and body["exc_info"] is None
    if detail is not None:
        assert body["detail"] == detail
    return body


def test_token_authenticates(token_client, people):
    response = token_client(people["admin"]).get("/api/current-user/whoami")
    assert response.status_code == 200 and response.get_json()["email"] == people["admin"].email


def test_session_authenticates(org_admin_client, people):
    assert org_admin_client.get("/api/current-user/whoami").get_json()["id"] == people["admin"].id


@pytest.mark.parametrize("path", ["/api/current-user/whoami", "/api/current-user/whoami/", "/api/organizations/"])
def test_no_credentials_is_401(client, path):
    response = client.get(path)
    assert_envelope(response, 401, "Authentication credentials were not provided.")
    assert response.headers["WWW-Authenticate"] == "Token"


def test_revoked_token_is_401_with_envelope(key_for, client, db, people):
    key = key_for(people["admin"])
    headers = {"Authorization": f"Token {key}"}
    assert client.get("/api/current-user/whoami", headers=headers).status_code == 200
    token = db.session.execute(select(ApiToken).where(ApiToken.prefix == key[:8])).scalar_one()
    revoke_api_token(people["admin"], token)
    db.session.commit()
    response = client.get("/api/current-user/whoami", headers=headers)
    assert_envelope(response, 401, "Invalid token.")
    assert response.headers["WWW-Authenticate"] == "Token"


def test_unknown_token_is_refused_even_on_public_routes(client):
    headers = {"Authorization": "Token " + "0" * 40}
    assert_envelope(client.get("/api/organizations/", headers=headers), 401, "Invalid token.")
    assert_envelope(client.get("/api/version/", headers=headers), 401, "Invalid token.")
    assert client.get("/api/version/").status_code == 200


def test_token_of_a_disabled_account_is_refused(token_client, people, db):
    caller = token_client(people["admin"])
    people["admin"].is_active_account = False
    db.session.commit()
    assert_envelope(caller.get("/api/current-user/whoami"), 401)


def test_token_use_is_recorded(token_client, people, db):
    caller = token_client(people["admin"])
    caller.get("/api/current-user/whoami")
    token = db.session.execute(select(ApiToken).where(ApiToken.prefix == caller.key[:8])).scalar_one()
    assert token.last_used_at is not None


# CSRF ----------------------------------------------------------------------------------------------------------

def test_cookie_session_needs_the_csrf_token(org_admin_client, dummy_org):
    path = f"/api/organizations/{dummy_org.id}"
    refused = org_admin_client.patch(path, json={"title": "Renamed"}, csrf=False)
    body = assert_envelope(refused, 400)
    assert "security token" in body["detail"]
    assert org_admin_client.get(path).get_json()["title"] == "Acme"
    accepted = org_admin_client.patch(path, json={"title": "Renamed"})
    assert accepted.status_code == 200 and accepted.get_json()["title"] == "Renamed"


def test_cookie_session_reset_token_needs_csrf(org_admin_client):
    assert_envelope(org_admin_client.post("/api/current-user/reset-token/", csrf=False), 400)
    assert org_admin_client.post("/api/current-user/reset-token/").status_code == 200


def test_token_auth_needs_no_csrf(token_client, dummy_org, people):
    response = token_client(people["admin"]).patch(f"/api/organizations/{dummy_org.id}", json={"title": "By script"})
    assert response.status_code == 200 and response.get_json()["title"] == "By script"


def test_anonymous_unsafe_call_is_401_not_csrf(client, dummy_org):
    assert_envelope(client.patch(f"/api/organizations/{dummy_org.id}", json={"title": "x"}, csrf=False), 401)
