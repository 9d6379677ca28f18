"""LDAP sign-in against a real slapd on 127.0.0.1: provisioning from groups, refusals, break-glass, both lookup modes."""
import itertools
import json
import logging

import pytest
from sqlalchemy import select

from app import create_app
from app.audit.models import AuditEntry
from app.auth.models import AuthIdentity
from app.auth.services import authenticate, user_by_email
from app.config import ImproperlyConfigured, TestConfig
from app.errors import Refused
from app.orgs.models import Workspace, WorkspaceMember
from app.orgs.services import member_of
from app.security.roles import Role
from app.sso import ldap
from app.sso.ldap import LdapSettings, normalize_dn
from tests.conftest import PASSWORD
from tests.sso.slapd import SERVICE_DN, SERVICE_PASSWORD, SUFFIX, Slapd, free_port, missing_reason, ssha

PEOPLE = f"ou=people,{SUFFIX}"
STAFF = f"ou=staff,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PLACEHOLDER = f"cn=nobody,{SUFFIX}"  # groupOfNames needs one member at least
GROUP = {name: f"cn={name},{GROUPS}" for name in
         ("admins", "managers", "reviewers", "annotators", "waiting", "leavers", "vision", "unmapped")}
DIRECTORY_PASSWORD = "directory pass 1"  # noqa: S105
_uids = itertools.count(1)


@pytest.fixture(scope="session")
def slapd():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = Slapd().start()
    try:
        server.add(SUFFIX, ["dcObject", "organization"], dc="example", o="Example")
        for ou in ("people", "staff", "groups", "services"):
            server.add(f"ou={ou},{SUFFIX}", "organizationalUnit", ou=ou)
        server.add(SERVICE_DN, ["organizationalRole", "simpleSecurityObject"], cn="tessera",
                   userPassword=ssha(SERVICE_PASSWORD))
        for name, dn in GROUP.items():
            if name == "reviewers":
                server.add(dn, "groupOfUniqueNames", cn=name, uniqueMember=PLACEHOLDER)
            else:
                server.add(dn, "groupOfNames", cn=name, member=PLACEHOLDER)
        yield server
    finally:
        server.stop()


class Directory:
    """The session's directory, with what one test adds to it taken out again at its end."""

    def __init__(self, server):
        self.server = server
        self.people, self.memberships = [], []

    def person(self, groups=(), base=PEOPLE, mail=True, password=DIRECTORY_PASSWORD):
        uid = f"person{next(_uids)}"
        dn = f"uid={uid},{base}"
        attributes = {"uid": uid, "cn": f"Given {uid}", "givenName": "Given", "sn": uid.title(),
                      "userPassword": ssha(password)}
        if mail:
            attributes["mail"] = f"{uid}@corp.example"
        self.server.add(dn, "inetOrgPerson", **attributes)
        self.people.append(dn)
        for group in groups:
            self.join(group, dn)
        return uid, dn

    def join(self, group, dn):
        attribute = "uniqueMember" if group == "reviewers" else "member"
        self.server.add_member(GROUP[group], dn, attribute)
        self.memberships.append((group, dn))

    def leave(self, group, dn):
        attribute = "uniqueMember" if group == "reviewers" else "member"
        self.server.remove_member(GROUP[group], dn, attribute)
        self.memberships.remove((group, dn))

    def clean(self):
        for group, dn in list(self.memberships):
            self.leave(group, dn)
        for dn in self.people:
            self.server.delete(dn)


@pytest.fixture
def directory(slapd):
    found = Directory(slapd)
    yield found
    found.clean()


@pytest.fixture
def org(create_org):
    return create_org(name="Directory Co", slug="directory-co")


@pytest.fixture
def ldap_on(app, monkeypatch, slapd, org):
    """Switch LDAP on for this test (search-bases mode); call it again with overrides (``uri=`` for AUTH_LDAP_SERVER_URI)."""
    def configure(**overrides):
        values = {
            "ENABLED": True, "SERVER_URI": slapd.uri, "START_TLS": False, "CA_CERT_FILE": "",
            "BIND_DN": SERVICE_DN, "BIND_PASSWORD": SERVICE_PASSWORD, "USER_DN_TEMPLATE": "",
            "USER_SEARCH_BASES": f"{PEOPLE};{STAFF}", "USER_SEARCH_FILTER": "(|(uid=%(user)s)(mail=%(user)s))",
            "ATTR_EMAIL": "mail", "ATTR_FIRST_NAME": "givenName", "ATTR_LAST_NAME": "sn",
            "GROUP_SEARCH_BASE": GROUPS, "GROUP_SEARCH_FILTER": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
            "ORGANIZATION": org.slug, "ORGANIZATION_OWNER_EMAIL": "",
            # Written with other spacing and case than the directory's own DNs: compared normalised.
            "ORGANIZATION_ROLE_ADMINISTRATOR": GROUP["admins"].upper(),
            "ORGANIZATION_ROLE_MANAGER": GROUP["managers"].replace(",", ", "),
            "ORGANIZATION_ROLE_REVIEWER": GROUP["reviewers"],
            "ORGANIZATION_ROLE_ANNOTATOR": f"cn=nonexistent,{GROUPS}; {GROUP['annotators']}",
            "ORGANIZATION_ROLE_NOT_ACTIVATED": GROUP["waiting"],
            "ORGANIZATION_ROLE_DEACTIVATED": GROUP["leavers"],
            "ORGANIZATION_WORKSPACES": json.dumps({"Vision": GROUP["vision"]}),
            "TIMEOUT": 3,
        }
        values.update({key.upper(): value for key, value in overrides.items()})
        values["SERVER_URI"] = values.pop("URI", values["SERVER_URI"])
        for key, value in values.items():
            monkeypatch.setitem(app.config, f"AUTH_LDAP_{key}", value)

    configure()
    return configure


def _audits(action, org=None):
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if org is not None:
        query = query.where(AuditEntry.org_id == org.id)
    from app.extensions import db

    return db.session.execute(query).scalars().all()


def _last_failure(org):
    entries = _audits("auth.login_failed", org)
    assert entries, "the refusal was not audited"
    return entries[-1]


def _dead_uri():
    return f"ldap://127.0.0.1:{free_port()}"


# Provisioning ---------------------------------------------------------------------------------------------

def test_first_sign_in_creates_the_account_membership_role_and_workspace(db, org, directory, ldap_on):
    uid, dn = directory.person(groups=["annotators", "vision"])

    user = authenticate(uid, DIRECTORY_PASSWORD)

    assert user is not None and user.email == f"{uid}@corp.example"
    assert (user.first_name, user.last_name) == ("Given", uid.title())
    assert user.password_hash is None
    assert member_of(org, user).role == Role.ANNOTATOR
    vision = db.session.execute(select(Workspace).where(Workspace.org_id == org.id, Workspace.name == "Vision")).scalar_one()
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.workspace_id == vision.id, WorkspaceMember.user_id == user.id)).scalar_one_or_none()
    identity = db.session.execute(select(AuthIdentity).where(AuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.identifier) == ("ldap", normalize_dn(dn))
    success = _audits("auth.login_succeeded", org)[-1]
    assert success.actor_id == user.id and success.data["method"] == "ldap"


def test_sign_in_by_mail_through_the_form(db, client, org, directory, ldap_on):
    uid, _ = directory.person(groups=["admins"])

    response = client.post("/login", data={"email": f"{uid}@corp.example", "password": DIRECTORY_PASSWORD})

    assert response.status_code in (200, 302, 303) and "do not match" not in response.text
    user = user_by_email(f"{uid}@corp.example")
    assert member_of(org, user).role == Role.ADMIN
    with client.session_transaction() as session:
        assert session.get("_user_id") == str(user.id)


def test_later_sign_in_follows_the_directory_groups(db, org, directory, ldap_on):
    uid, dn = directory.person(groups=["annotators", "vision"])
    user = authenticate(uid, DIRECTORY_PASSWORD)
    vision_id = db.session.execute(select(Workspace.id).where(Workspace.org_id == org.id, Workspace.name == "Vision")).scalar()

    directory.leave("annotators", dn)
    directory.leave("vision", dn)
    directory.join("managers", dn)
    again = authenticate(uid, DIRECTORY_PASSWORD)

    assert again.id == user.id
    assert member_of(org, user).role == Role.MANAGER
    assert db.session.execute(select(WorkspaceMember).where(
        WorkspaceMember.workspace_id == vision_id, WorkspaceMember.user_id == user.id)).scalar_one_or_none() is None
    changed = _audits("member.role_changed", org)[-1]
    assert changed.target_id == str(user.id)


def test_strongest_mapped_role_wins(db, org, directory, ldap_on):
    uid, _ = directory.person(groups=["annotators", "reviewers", "leavers"])
    user = authenticate(uid, DIRECTORY_PASSWORD)
    assert member_of(org, user).role == Role.REVIEWER


def test_leavers_group_refuses_with_its_explanation(db, client, org, directory, ldap_on):
    uid, dn = directory.person(groups=["annotators"])
    authenticate(uid, DIRECTORY_PASSWORD)
    directory.leave("annotators", dn)
    directory.join("leavers", dn)

    response = client.post("/login", data={"email": uid, "password": DIRECTORY_PASSWORD})

    assert response.status_code == 422 and "Your groups deactivate you in Directory Co" in response.text
    with client.session_transaction() as session:
        assert "_user_id" not in session
    failure = _last_failure(org)
    assert failure.data["method"] == "ldap" and "deactivate" in failure.data["reason"]


# Refusals -------------------------------------------------------------------------------------------------

def test_wrong_password_and_unknown_user_are_refused_and_audited(db, client, org, directory, ldap_on):
    uid, _ = directory.person(groups=["annotators"])

    assert authenticate(uid, "not the password") is None
    assert _last_failure(org).data == {"method": "ldap", "reason": "wrong password"}
    assert authenticate("nobody-like-this", DIRECTORY_PASSWORD) is None
    assert _last_failure(org).data == {"method": "ldap", "reason": "unknown user"}

    response = client.post("/login", data={"email": uid, "password": "not the password"})
    assert response.status_code == 422 and "do not match" in response.text
    assert user_by_email(f"{uid}@corp.example") is None


def test_no_mapped_group_is_refused_with_its_explanation(db, client, org, directory, ldap_on):
    uid, _ = directory.person(groups=["unmapped"])

    response = client.post("/login", data={"email": uid, "password": DIRECTORY_PASSWORD})

    assert response.status_code == 422
    assert "None of your groups gives you a role in Directory Co" in response.text
    assert user_by_email(f"{uid}@corp.example") is None
    failure = _last_failure(org)
    assert failure.data["method"] == "ldap" and "None of your groups" in failure.data["reason"]


def test_entry_without_mail_is_refused(db, org, directory, ldap_on):
    uid, _ = directory.person(groups=["annotators"], mail=False)
    with pytest.raises(Refused, match=r"no e-mail address \(mail\)"):
        authenticate(uid, DIRECTORY_PASSWORD)


def test_empty_password_is_refused_without_contacting_the_directory(db, org, directory, ldap_on):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(uri=_dead_uri())  # any contact would end in "could not be reached"

    assert authenticate(uid, "") is None
    assert _last_failure(org).data == {"method": "ldap", "reason": "empty password"}


def test_empty_password_never_binds_even_when_asked(db, slapd, ldap_on, app):
    # An unauthenticated simple bind (a DN without a password) succeeds anonymously on most servers.
    settings = LdapSettings.from_config(app.config)
    with pytest.raises(ldap._Failed, match="empty password"):
        ldap._bind(settings, ldap._server(settings), SERVICE_DN, "")


@pytest.mark.parametrize("login", ["*", "*)(uid=*", "*)(|(uid=*", "person*", "\\2a"])
def test_filter_metacharacters_match_nobody(db, org, directory, ldap_on, login):
    directory.person(groups=["admins"])
    assert authenticate(login, DIRECTORY_PASSWORD) is None
    assert _last_failure(org).data["reason"] == "unknown user"


@pytest.mark.parametrize("login", ["*", "*,ou=people", "x,uid=y"])
def test_dn_metacharacters_match_nobody_in_template_mode(db, org, directory, ldap_on, login):
    directory.person(groups=["admins"])
    ldap_on(user_dn_template=f"uid=%(user)s,{PEOPLE}", user_search_bases="")
    assert authenticate(login, DIRECTORY_PASSWORD) is None


def test_directory_down_gives_a_clear_message(db, client, org, ldap_on, caplog):
    uri = _dead_uri()
    ldap_on(uri=uri)

    with caplog.at_level(logging.WARNING, logger="app.sso.ldap"):
        response = client.post("/login", data={"email": "someone", "password": "a password"})

    assert response.status_code == 422
    assert "The directory could not be reached; try again or ask your administrator." in response.text
    assert any(uri in record.getMessage() for record in caplog.records)
    assert _last_failure(org).data == {"method": "ldap", "reason": "directory unreachable"}


def test_a_refused_service_account_is_an_administrator_problem(db, org, directory, ldap_on, caplog):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(bind_password="wrong service password")
    with caplog.at_level(logging.ERROR, logger="app.sso.ldap"), pytest.raises(Refused, match="not set up correctly"):
        authenticate(uid, DIRECTORY_PASSWORD)
    assert any("service account" in record.getMessage() for record in caplog.records)


# Break-glass ----------------------------------------------------------------------------------------------

def test_owner_and_site_admin_keep_their_local_password(db, org, create_user, ldap_on):
    from app.orgs.services import owner_of

    owner = owner_of(org).user
    operator = create_user(is_site_admin=True)
    ldap_on(uri=_dead_uri())  # the directory is down: the operators still get in

    assert authenticate(owner.email, PASSWORD) == owner
    assert authenticate(operator.email, PASSWORD) == operator
    assert _audits("auth.login_succeeded")[-1].data == {"method": "password", "break_glass": True}
    with pytest.raises(Refused, match="could not be reached"):
        authenticate(owner.email, "not the local password")


def test_a_members_local_password_no_longer_works(db, client, org, add_member, ldap_on):
    member = add_member(org, Role.ANNOTATOR).user
    assert member.password_hash

    assert authenticate(member.email, PASSWORD) is None
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 422 and "do not match" in response.text
    assert _last_failure(org).target_id == str(member.id)


# Lookup modes ---------------------------------------------------------------------------------------------

def test_search_bases_mode_finds_people_under_every_base(db, org, directory, ldap_on):
    uid, dn = directory.person(groups=["reviewers"], base=STAFF)  # groupOfUniqueNames membership

    user = authenticate(uid, DIRECTORY_PASSWORD)

    assert member_of(org, user).role == Role.REVIEWER
    ldap_on(user_search_bases=PEOPLE)
    assert authenticate(uid, DIRECTORY_PASSWORD) is None


@pytest.mark.parametrize("service", [True, False], ids=["service-account", "as-the-person"])
def test_dn_template_mode(db, org, directory, ldap_on, service):
    uid, dn = directory.person(groups=["managers"])
    ldap_on(user_dn_template=f"uid=%(user)s,{PEOPLE}", user_search_bases="",
            bind_dn=SERVICE_DN if service else "", bind_password=SERVICE_PASSWORD if service else "")

    user = authenticate(uid, DIRECTORY_PASSWORD)

    assert member_of(org, user).role == Role.MANAGER
    assert authenticate(uid, "not the password") is None
    assert _last_failure(org).data["reason"] == "wrong password or unknown user"


@pytest.fixture
def tls(slapd):
    if slapd.tls_uri is None:
        pytest.skip("openssl not found: the TLS tests make a throw-away certificate authority with it")
    return slapd


def test_ldaps_with_the_configured_certificate_authority(db, org, directory, ldap_on, tls):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(uri=tls.tls_uri, ca_cert_file=tls.ca_file)
    assert member_of(org, authenticate(uid, DIRECTORY_PASSWORD)).role == Role.ANNOTATOR


def test_start_tls_before_binding(db, org, directory, ldap_on, tls):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(start_tls=True, ca_cert_file=tls.ca_file)
    assert member_of(org, authenticate(uid, DIRECTORY_PASSWORD)).role == Role.ANNOTATOR


@pytest.mark.parametrize("start_tls", [False, True], ids=["ldaps", "start-tls"])
def test_an_untrusted_certificate_is_refused(db, org, slapd, directory, ldap_on, tls, caplog, start_tls):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(uri=slapd.uri if start_tls else tls.tls_uri, start_tls=start_tls, ca_cert_file="")  # the system store

    with caplog.at_level(logging.WARNING, logger="app.sso.ldap"), pytest.raises(Refused, match="could not be reached"):
        authenticate(uid, DIRECTORY_PASSWORD)

    assert user_by_email(f"{uid}@corp.example") is None
    assert any("certificate" in record.getMessage().lower() or "tls" in record.getMessage().lower()
               for record in caplog.records)


def test_organization_chosen_by_its_owners_email(db, create_org, create_user, directory, ldap_on):
    boss = create_user(email="boss@corp.example")
    other = create_org(name="Owned", owner=boss)
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(organization="", organization_owner_email="BOSS@corp.example")

    user = authenticate(uid, DIRECTORY_PASSWORD)

    assert member_of(other, user).role == Role.ANNOTATOR


def test_unknown_organization_is_refused_plainly(db, directory, ldap_on):
    uid, _ = directory.person(groups=["annotators"])
    ldap_on(organization="no-such-org")
    with pytest.raises(Refused, match="not set up correctly"):
        authenticate(uid, DIRECTORY_PASSWORD)


# Settings (no directory needed) ---------------------------------------------------------------------------

GOOD = {
    "AUTH_LDAP_ENABLED": True, "AUTH_LDAP_SERVER_URI": "ldaps://ldap.example.org",
    "AUTH_LDAP_USER_SEARCH_BASES": PEOPLE, "AUTH_LDAP_USER_SEARCH_FILTER": "(uid=%(user)s)",
    "AUTH_LDAP_GROUP_SEARCH_BASE": GROUPS, "AUTH_LDAP_ORGANIZATION": "acme",
    "AUTH_LDAP_ORGANIZATION_ROLE_ANNOTATOR": "CN=Annotators , OU=Groups,DC=Example,DC=org",
    "AUTH_LDAP_ORGANIZATION_WORKSPACES": '{"Vision": "cn=vision,ou=groups,dc=example,dc=org;cn=x,dc=example,dc=org"}',
}


def test_settings_are_parsed_and_normalised():
    settings = LdapSettings.from_config(GOOD)
    assert dict(settings.role_groups)[Role.ANNOTATOR] == ("cn=annotators,ou=groups,dc=example,dc=org",)
    assert settings.workspace_groups == (("Vision", ("cn=vision,ou=groups,dc=example,dc=org", "cn=x,dc=example,dc=org")),)
    assert settings.user_search_bases == (PEOPLE,)
    assert settings.group_search_filter == "(objectClass=groupOfNames)" and settings.timeout == 10


@pytest.mark.parametrize(("change", "named"), [
    ({"AUTH_LDAP_SERVER_URI": "http://ldap.example.org"}, "AUTH_LDAP_SERVER_URI"),
    ({"AUTH_LDAP_START_TLS": True}, "AUTH_LDAP_START_TLS"),
    ({"AUTH_LDAP_USER_SEARCH_BASES": ""}, "AUTH_LDAP_USER_DN_TEMPLATE"),
    ({"AUTH_LDAP_USER_SEARCH_FILTER": "(uid=bob)"}, "AUTH_LDAP_USER_SEARCH_FILTER"),
    ({"AUTH_LDAP_USER_SEARCH_FILTER": "(uid=%(user)s)(x=%d)"}, "AUTH_LDAP_USER_SEARCH_FILTER"),
    ({"AUTH_LDAP_USER_DN_TEMPLATE": "uid=bob,dc=org"}, "AUTH_LDAP_USER_DN_TEMPLATE"),
    ({"AUTH_LDAP_GROUP_SEARCH_FILTER": "objectClass=groupOfNames"}, "AUTH_LDAP_GROUP_SEARCH_FILTER"),
    ({"AUTH_LDAP_ORGANIZATION": ""}, "AUTH_LDAP_ORGANIZATION"),
    ({"AUTH_LDAP_ORGANIZATION_ROLE_MANAGER": "not a dn"}, "AUTH_LDAP_ORGANIZATION_ROLE_MANAGER"),
    ({"AUTH_LDAP_ORGANIZATION_WORKSPACES": "Vision=cn=x"}, "AUTH_LDAP_ORGANIZATION_WORKSPACES"),
    ({"AUTH_LDAP_ORGANIZATION_WORKSPACES": '{"Vision": 3}'}, "AUTH_LDAP_ORGANIZATION_WORKSPACES"),
    ({"AUTH_LDAP_GROUP_SEARCH_BASE": ""}, "AUTH_LDAP_GROUP_SEARCH_BASE"),
    ({"AUTH_LDAP_TIMEOUT": 0}, "AUTH_LDAP_TIMEOUT"),
    ({"AUTH_LDAP_BIND_DN": SERVICE_DN}, "AUTH_LDAP_BIND_PASSWORD"),
    ({"AUTH_LDAP_CA_CERT_FILE": "/nonexistent/ca.pem"}, "AUTH_LDAP_CA_CERT_FILE"),
])
def test_wrong_settings_are_named(change, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        LdapSettings.from_config({**GOOD, **change})


def test_app_refuses_to_start_with_wrong_ldap_settings():
    class Misconfigured(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        AUTH_LDAP_ENABLED = True
        AUTH_LDAP_SERVER_URI = "ldap.example.org"

    with pytest.raises(ImproperlyConfigured, match="AUTH_LDAP_SERVER_URI"):
        create_app(Misconfigured)


def test_dns_compare_however_they_are_written():
    assert normalize_dn("CN=Team\\2C A , OU=Groups,DC=Example,DC=org") == normalize_dn("cn=team\\, a,ou=groups,dc=example,dc=org")
    assert normalize_dn("uid=x+cn=Y,dc=org") == normalize_dn("CN=y+UID=x,dc=org")
    assert normalize_dn("cn=a,dc=org") != normalize_dn("cn=a,dc=com")


def test_login_form_takes_user_names_while_ldap_is_on(client, ldap_on):
    page = client.get("/login").text
    assert 'type="text"' in page and "E-mail or user name" in page


def test_login_form_asks_for_an_e_mail_otherwise(client):
    page = client.get("/login").text
    assert 'type="email"' in page and "E-mail or user name" not in page
