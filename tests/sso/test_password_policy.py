"""Where passwords stop signing people in (single sign-on required, LDAP on), no path that sets a new password
signs them in either: not a password reset, not an accepted invitation."""
import pytest

from app.auth.services import make_reset_token, user_by_email
from app.orgs.services import invite_by_email
from app.sso.provisioning import settings_of

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def sso_required(db, dummy_org, people):
    settings = settings_of(dummy_org)
    settings.enabled = settings.require_sso = True
    settings.idp_entity_id, settings.idp_sso_url = "https://idp.example/", "https://idp.example/sso"
    settings.idp_certificates = ["MIIB"]
    db.session.commit()
    return settings


def _session(client):
    with client.session_transaction() as session:
        return dict(session)


def _reset(client, user):
    token = make_reset_token(user)
    return client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def test_a_password_reset_does_not_sign_in_a_member_who_must_use_sso(client, people, sso_required):
    response = _reset(client, people["annotator"])
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "_user_id" not in _session(client)
    page = client.get("/login").get_data(as_text=True)
    assert "requires single sign-on" in page


def test_a_password_reset_signs_in_the_owner(client, people, sso_required):
    response = _reset(client, people["owner"])
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert _session(client)["_user_id"] == str(people["owner"].id)


def test_an_accepted_invitation_does_not_sign_in_where_sso_is_required(db, client, dummy_org, people, sso_required):
    _, token = invite_by_email(people["owner"], dummy_org, "newcomer@example.com", "annotator")[0]
    db.session.commit()
    response = client.post(f"/invite/{token}", data={"email": "newcomer@example.com", "name": "New",
                                                     "password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert user_by_email("newcomer@example.com") is not None  # the invitation was accepted
    assert "_user_id" not in _session(client)


def test_a_password_reset_does_not_sign_in_while_ldap_is_on(app, monkeypatch, client, people):
    monkeypatch.setitem(app.config, "AUTH_LDAP_ENABLED", True)
    response = _reset(client, people["annotator"])
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "_user_id" not in _session(client)
    assert "directory account" in client.get("/login").get_data(as_text=True)


def test_passwords_still_sign_in_without_these_policies(client, people):
    response = _reset(client, people["annotator"])
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert _session(client)["_user_id"] == str(people["annotator"].id)
