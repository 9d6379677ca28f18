"""SAML sign-in end to end: provisioning from groups, later updates, refusals that explain themselves, and the
password policy of organizations that require single sign-on."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import AuthIdentity, User
from app.db import utcnow
from app.orgs.models import WorkspaceMember
from app.orgs.services import create_workspace, member_of
from app.projects.models import ProjectMember
from app.security.roles import Role
from app.sso.models import SsoSettings
from tests.conftest import PASSWORD
from tests.sso.idp import SpClient, configure, map_group

EMAIL = "ada@corp.example"


def _session(client):
    with client.session_transaction() as session:
        return dict(session)


def _last_failure(db, org):
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == org.id, AuditEntry.action == "auth.login_failed")
        .order_by(AuditEntry.id.desc())
    ).scalars().first()


def _sign_in(sp, idp, groups, name_id=EMAIL, first="Ada", next_path=None, fresh_client=True):
    """One SP-initiated sign-in in a new browser; returns the ACS response and that browser."""
    browser = SpClient(sp.client.application.test_client(), sp.org) if fresh_client else sp
    request_id = browser.start(next_path)
    attributes = {"Email": [name_id], "FirstName": [first], "LastName": ["Lovelace"], "Groups": groups}
    return browser.post(idp.response_xml(browser.acs, browser.audience, in_response_to=request_id, name_id=name_id,
                                         attributes=attributes)), browser


@pytest.fixture
def mapped(db, saml_org, people, create_project):
    """Besides the role groups: "vision" adds the Vision workspace and the Boxes project as reviewer."""
    vision = create_workspace(people["owner"], saml_org, "Vision")
    project = create_project(saml_org, people["owner"], title="Boxes", workspace=vision)
    map_group(db, saml_org, "vision", "workspace", workspace_id=vision.id)
    map_group(db, saml_org, "vision", "project", project_id=project.id, project_role="reviewer")
    return {"workspace": vision, "project": project}


def test_first_sign_in_creates_user_membership_workspace_and_project_role(db, sp, idp, mapped):
    response, browser = _sign_in(sp, idp, ["labelers", "vision"], next_path="/o/acme/projects")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert urlsplit(response.headers["Location"]).path == "/o/acme/projects"
    user = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
    assert (user.first_name, user.last_name, user.password_hash) == ("Ada", "Lovelace", None)
    session = _session(browser.client)
    assert session["_user_id"] == str(user.id)
    assert session["saml"]["name_id"] == EMAIL and session["saml"]["org_id"] == sp.org.id
    assert session["saml"]["session_index"]
    assert member_of(sp.org, user).role == Role.ANNOTATOR
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == mapped["workspace"].id)).scalar_one()
    link = db.session.execute(select(ProjectMember).where(
        ProjectMember.user_id == user.id, ProjectMember.project_id == mapped["project"].id)).scalar_one()
    assert link.role.value == "reviewer"
    identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.identifier) == (f"saml:{sp.org.id}", EMAIL)
    assert browser.client.get("/o/acme/").status_code == 200


def test_a_later_sign_in_follows_the_new_groups(db, sp, idp, mapped):
    assert _sign_in(sp, idp, ["labelers", "vision"])[0].status_code == 303
    response, _ = _sign_in(sp, idp, ["leads"], first="Augusta")
    assert response.status_code == 303
    user = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
    db.session.refresh(user)
    assert user.first_name == "Augusta"
    assert member_of(sp.org, user).role == Role.MANAGER
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == mapped["workspace"].id)).first() is None
    assert db.session.execute(select(ProjectMember).where(ProjectMember.user_id == user.id)).first() is None


def test_roles_managed_in_tessera_are_left_alone(db, sp, idp, idp_keys, mapped):
    assert _sign_in(sp, idp, ["labelers"])[0].status_code == 303
    configure(db, sp.org, idp_keys["idp"], manage_roles_in_tessera=True)
    response, browser = _sign_in(sp, idp, ["leads", "vision"])
    assert response.status_code == 303
    user = db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()
    assert member_of(sp.org, user).role == Role.ANNOTATOR
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.user_id == user.id, WorkspaceMember.workspace_id == mapped["workspace"].id)).first() is None
    assert _session(browser.client)["_user_id"] == str(user.id)


def _assert_refused_with(db, sp, response, browser, words):
    body = response.get_data(as_text=True)
    assert response.status_code == 403, body[:1500]
    assert words in body
    assert "_user_id" not in _session(browser.client)
    entry = _last_failure(db, sp.org)
    assert entry.data["method"] == "saml" and words in entry.data["reason"]
    return entry


def test_no_mapped_group_is_refused_with_the_explanation(db, sp, idp):
    response, browser = _sign_in(sp, idp, ["strangers"])
    _assert_refused_with(db, sp, response, browser, "None of your groups gives you a role in Acme")
    assert db.session.execute(select(User).where(User.email == EMAIL)).scalar_one_or_none() is None
    assert db.session.execute(select(AuthIdentity).where(AuthIdentity.identifier == EMAIL)).first() is None


def test_a_deactivated_member_is_refused(db, sp, idp, people):
    deactivated = people["deactivated"]
    response, browser = _sign_in(sp, idp, ["strangers"], name_id=deactivated.email)
    _assert_refused_with(db, sp, response, browser, "deactivated")
    assert member_of(sp.org, deactivated).role == Role.DEACTIVATED


def test_the_plugin_rule_refuses_someone_working_in_another_organization(db, sp, idp, people):
    sp.org.plugins_enabled_at = utcnow()
    db.session.commit()
    outsider = people["outsider"]
    response, browser = _sign_in(sp, idp, ["labelers"], name_id=outsider.email)
    _assert_refused_with(db, sp, response, browser, "deactivate")
    assert member_of(sp.org, outsider) is None
    # the identity link made before the membership was refused is rolled back; the audit entry stays
    assert db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == outsider.id)).first() is None
    linked = select(AuditEntry).where(AuditEntry.org_id == sp.org.id, AuditEntry.action == "sso.identity_linked")
    assert db.session.execute(linked).first() is None


def test_a_refused_provisioning_still_uses_up_the_request(db, sp, idp, people):
    from app.sso.models import SamlRequest

    response, browser = _sign_in(sp, idp, ["strangers"])
    assert response.status_code == 403
    assert db.session.get(SamlRequest, browser.last_request_id).used_at is not None


def test_an_e_mail_name_id_stands_in_for_a_missing_attribute(db, sp, idp):
    request_id = sp.start()
    response = sp.post(idp.response_xml(sp.acs, sp.audience, in_response_to=request_id, name_id=EMAIL,
                                        attributes={"Groups": ["labelers"]}))
    assert response.status_code == 303
    assert db.session.execute(select(User).where(User.email == EMAIL)).scalar_one()


def test_attribute_names_come_from_the_settings(db, sp, idp, idp_keys):
    configure(db, sp.org, idp_keys["idp"], attr_email="mail", attr_groups="memberOf", attr_first_name="givenName",
              attr_last_name="sn")
    request_id = sp.start()
    attributes = {"mail": ["grace@corp.example"], "givenName": ["Grace"], "sn": ["Hopper"], "memberOf": ["leads"]}
    response = sp.post(idp.response_xml(sp.acs, sp.audience, in_response_to=request_id, name_id="opaque-id-42",
                                        attributes=attributes))
    assert response.status_code == 303, response.get_data(as_text=True)
    user = db.session.execute(select(User).where(User.email == "grace@corp.example")).scalar_one()
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")
    assert member_of(sp.org, user).role == Role.MANAGER
    identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
    assert identity.identifier == "opaque-id-42"


def test_no_e_mail_at_all_is_refused(db, sp, idp):
    request_id = sp.start()
    response = sp.post(idp.response_xml(sp.acs, sp.audience, in_response_to=request_id, name_id="opaque-id-42",
                                        attributes={"Groups": ["labelers"]}))
    assert response.status_code == 400
    assert "e-mail" in _last_failure(db, sp.org).data["reason"]


# IdP-initiated sign-in ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("relay_state, lands_on", [
    ("/o/acme/projects", "/o/acme/projects"),
    ("https://evil.example/phish", "/o/acme/"),
    ("//evil.example/phish", "/o/acme/"),
    (None, "/o/acme/"),
])
def test_unsolicited_sign_in_when_allowed_honours_only_our_own_relay_state(db, sp, idp, idp_keys, relay_state,
                                                                           lands_on):
    configure(db, sp.org, idp_keys["idp"], allow_idp_initiated=True)
    response = sp.post(idp.response_xml(sp.acs, sp.audience), relay_state=relay_state)
    assert response.status_code == 303, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == lands_on
    assert "_user_id" in _session(sp.client)


def test_an_unsolicited_response_is_still_accepted_once(db, sp, idp, idp_keys):
    configure(db, sp.org, idp_keys["idp"], allow_idp_initiated=True)
    response = idp.response_xml(sp.acs, sp.audience)
    assert sp.post(response).status_code == 303
    replay = SpClient(sp.client.application.test_client(), sp.org)
    assert replay.post(response).status_code == 403
    assert "_user_id" not in _session(replay.client)
    assert _last_failure(db, sp.org).data["reason"] == "replayed assertion"


# Require SSO: the password policy ---------------------------------------------------------------------------------

def _password_sign_in(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_require_sso_refuses_a_members_password(db, saml_org, people, client, idp_keys):
    configure(db, saml_org, idp_keys["idp"], require_sso=True)
    response = _password_sign_in(client, people["annotator"])
    assert response.status_code == 422
    assert "requires single sign-on" in response.get_data(as_text=True)
    assert "_user_id" not in _session(client)


def test_require_sso_keeps_the_owners_password_as_break_glass(db, saml_org, people, client, idp_keys):
    configure(db, saml_org, idp_keys["idp"], require_sso=True)
    response = _password_sign_in(client, people["owner"])
    assert response.status_code in (302, 303)
    assert _session(client)["_user_id"] == str(people["owner"].id)


def test_passwords_work_while_sso_is_optional(db, saml_org, people, client):
    assert db.session.execute(SsoSettings.for_org(saml_org)).scalar_one().require_sso is False
    response = _password_sign_in(client, people["annotator"])
    assert response.status_code in (302, 303)


def test_the_login_page_offers_single_sign_on(client, db):
    body = client.get("/login").get_data(as_text=True)
    assert "Sign in with single sign-on" in body and "/sso/start" in body
