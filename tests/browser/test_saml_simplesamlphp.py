"""Signing in through a real identity provider: SimpleSAMLphp, in Chromium, from Tessera's login page and back."""
import re
import urllib.request
import uuid

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.simplesamlphp import IdpUser, SimpleSamlPhp, missing_reason

pytestmark = pytest.mark.browser

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.fixture(scope="module")
def idp():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with SimpleSamlPhp() as server:
        yield server


@pytest.fixture
def sso_org(idp, live_server, seed):
    """An organization whose SAML settings and group mapping hold SimpleSAMLphp, as an Owner would set them."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    from app.auth.services import create_user
    from app.extensions import db
    from app.orgs.services import create_org, create_workspace
    from app.projects.services import create_project
    from app.security.roles import Role
    from app.sso.models import GroupMapping
    from app.sso.provisioning import settings_of

    suffix = uuid.uuid4().hex[:8]
    idp_xml = idp.metadata_xml()
    described = OneLogin_Saml2_IdPMetadataParser.parse(idp_xml)["idp"]

    def make():
        owner = create_user(None, f"owner-{suffix}@example.com", "Olga Owner", PASSWORD)
        org = create_org(None, f"Federated {suffix}", owner, slug=f"fed-{suffix}")
        workspace = create_workspace(owner, org, "Field team")
        project = create_project(owner, org, workspace, "Street signs", is_published=True)
        settings = settings_of(org)
        settings.enabled = True
        settings.idp_entity_id = described["entityId"]
        settings.idp_sso_url = described["singleSignOnService"]["url"]
        settings.idp_slo_url = described["singleLogoutService"]["url"]
        settings.idp_certificates = [described["x509cert"]]
        settings.idp_metadata_xml = idp_xml
        settings.email_domains = [f"fed-{suffix}.example"]
        for rule in (
            dict(kind=GroupMapping.KIND_ROLE, group_name="labelers", role=Role.ANNOTATOR),
            dict(kind=GroupMapping.KIND_WORKSPACE, group_name="field", workspace_id=workspace.id),
            dict(kind=GroupMapping.KIND_PROJECT, group_name="signs-qa", project_id=project.id, project_role="reviewer"),
        ):
            db.session.add(GroupMapping(org_id=org.id, created_by_id=owner.id, **rule))
        return {"id": org.id, "slug": org.slug, "name": org.name, "domain": settings.email_domains[0],
                "workspace_id": workspace.id, "project_id": project.id}

    org = seed(make)
    _trust_service_provider(idp, f"{live_server}/sso/{org['slug']}/metadata")
    yield org
    print(idp.server_log())  # pytest shows it only for a failed test


def _trust_service_provider(idp, metadata_url):
    """Hand Tessera's SP metadata to SimpleSAMLphp, as an identity provider's administrator would."""
    with urllib.request.urlopen(metadata_url, timeout=5) as response:  # noqa: S310 (the live server's URL)
        tree = etree.fromstring(response.read())
    assert tree.get("entityID") == metadata_url  # the entity id is the metadata's own address
    acs = tree.find(f".//{{{MD}}}AssertionConsumerService[@Binding='{HTTP_POST}']").get("Location")
    slo = tree.find(f".//{{{MD}}}SingleLogoutService")
    idp.add_service_provider(metadata_url, acs, slo.get("Location") if slo is not None else None)


def _person(idp, org, groups):
    suffix = uuid.uuid4().hex[:8]
    return idp.add_user(IdpUser(f"user-{suffix}", f"pass-{suffix}", f"ada-{suffix}@{org['domain']}", "Ada",
                                f"Lovelace {suffix}", groups))


def _sign_in_at_idp(page, idp, person):
    page.wait_for_url(f"{idp.base_url}**")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Login").click()


def _start_sso(page, organization):
    """From the login page to the identity provider, naming the organization by short name or work e-mail."""
    page.goto("/login")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.wait_for_url("**/sso/start*")
    page.get_by_label("Organization or work e-mail").fill(organization)
    page.get_by_role("button", name="Continue").click()


def test_first_sign_in_provisions_the_person_from_their_groups(page, idp, sso_org, live_server, seed):
    person = _person(idp, sso_org, ["labelers", "field", "signs-qa", "unmapped-group"])

    _start_sso(page, sso_org["slug"])
    _sign_in_at_idp(page, idp, person)

    page.wait_for_url(f"{live_server}/o/{sso_org['slug']}/")
    expect(page.get_by_role("heading", name=sso_org["name"])).to_be_visible()
    expect(page.get_by_title("Your account")).to_have_text(f"{person.first_name} {person.last_name}")
    expect(page.get_by_role("link", name="Field team")).to_be_visible()
    expect(page.get_by_role("link", name="Members")).to_have_count(0)  # an Annotator, not an Admin
    page.get_by_role("link", name="Projects").click()
    expect(page.get_by_role("link", name="Street signs")).to_be_visible()

    def stored():
        from sqlalchemy import select

        from app.auth.models import AuthIdentity
        from app.auth.services import user_by_email
        from app.extensions import db
        from app.orgs.models import OrgMember, WorkspaceMember
        from app.projects.models import ProjectMember

        user = user_by_email(person.email)
        member = db.session.execute(
            select(OrgMember).where(OrgMember.org_id == sso_org["id"], OrgMember.user_id == user.id)).scalar_one()
        identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
        workspaces = set(db.session.execute(
            select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == user.id)).scalars())
        projects = {link.project_id: link.role.value if link.role else None for link in db.session.execute(
            select(ProjectMember).where(ProjectMember.user_id == user.id)).scalars()}
        return {"name": (user.first_name, user.last_name), "password": user.password_hash, "role": member.role.value,
                "identity": (identity.provider, identity.identifier), "workspaces": workspaces, "projects": projects}

    row = seed(stored)
    assert row["name"] == (person.first_name, person.last_name)
    assert row["password"] is None
    assert row["role"] == "annotator"
    assert row["identity"] == (f"saml:{sso_org['id']}", person.email)
    assert sso_org["workspace_id"] in row["workspaces"]
    assert row["projects"] == {sso_org["project_id"]: "reviewer"}


def test_groups_that_map_to_nothing_are_refused_with_an_explanation(page, idp, sso_org, live_server, seed):
    person = _person(idp, sso_org, ["contractors"])

    _start_sso(page, person.email)  # the work e-mail's domain finds the organization
    _sign_in_at_idp(page, idp, person)

    page.wait_for_url(f"{live_server}/sso/{sso_org['slug']}/acs")
    expect(page.get_by_text("None of your groups gives you a role")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(f"/o/{sso_org['slug']}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # no session was opened

    def stored():
        from sqlalchemy import select

        from app.audit.models import AuditEntry
        from app.auth.services import user_by_email
        from app.extensions import db

        refusals = db.session.execute(select(AuditEntry).where(
            AuditEntry.org_id == sso_org["id"], AuditEntry.action == "auth.login_failed")).scalars().all()
        return user_by_email(person.email), [entry.data for entry in refusals]

    user, refusals = seed(stored)
    assert user is None
    assert any(data.get("method") == "saml" for data in refusals)


def test_signing_out_ends_the_identity_provider_session_too(page, idp, sso_org, live_server):
    person = _person(idp, sso_org, ["labelers"])
    _start_sso(page, sso_org["slug"])
    _sign_in_at_idp(page, idp, person)
    page.wait_for_url(f"{live_server}/o/{sso_org['slug']}/")

    # the sign-out form's answer leads to SimpleSAMLphp's single logout, whose LogoutResponse comes back here
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"/o/{sso_org['slug']}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    page.goto(f"/sso/{sso_org['slug']}/login")
    page.wait_for_url(f"{idp.base_url}**")
    expect(page.get_by_label("Password")).to_be_visible()  # asked for the password again, not signed straight back in
