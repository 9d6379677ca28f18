"""Bind authentication against an LDAP directory, configured by environment (on-premise installs).

With ``AUTH_LDAP_ENABLED`` the sign-in form checks the login (user name or e-mail) and password by binding to the
directory as the person. Their groups (groupOfNames or groupOfUniqueNames listing their DN; ``memberOf`` is not
needed) give their role and workspaces in one organization through the same provisioning as SAML. Every setting is
in app/config.py (``AUTH_LDAP_*``) and is read again on each sign-in.

While LDAP is on, a local password still signs in site administrators and organization Owners (break-glass), so a
directory outage cannot lock the operators out; everybody else signs in through the directory.
"""
import json
import logging
import os
import re
import ssl
from dataclasses import dataclass
from string import hexdigits

from flask import current_app
from ldap3 import AUTO_BIND_NO_TLS, AUTO_BIND_TLS_BEFORE_BIND, BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import User
from app.auth.services import _audit_org, password_matches, user_by_email
from app.config import ImproperlyConfigured
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.orgs import services as org_services
from app.orgs.models import Organization, OrgMember, Workspace
from app.security.roles import Role
from app.sso import provisioning
from app.sso.models import GroupMapping

log = logging.getLogger(__name__)

PROVIDER = "ldap"
UNREACHABLE = "The directory could not be reached; try again or ask your administrator."
MISCONFIGURED = "Sign-in through the directory is not set up correctly; ask your administrator."
#: the role each AUTH_LDAP_ORGANIZATION_ROLE_* setting gives (NOT_ACTIVATED is the Pending role)
ROLE_SETTINGS = {
    Role.ADMIN: "AUTH_LDAP_ORGANIZATION_ROLE_ADMINISTRATOR",
    Role.MANAGER: "AUTH_LDAP_ORGANIZATION_ROLE_MANAGER",
    Role.REVIEWER: "AUTH_LDAP_ORGANIZATION_ROLE_REVIEWER",
    Role.ANNOTATOR: "AUTH_LDAP_ORGANIZATION_ROLE_ANNOTATOR",
    Role.PENDING: "AUTH_LDAP_ORGANIZATION_ROLE_NOT_ACTIVATED",
    Role.DEACTIVATED: "AUTH_LDAP_ORGANIZATION_ROLE_DEACTIVATED",
}
_PLACEHOLDER = "%(user)s"


def enabled():
    return bool(current_app.config.get("AUTH_LDAP_ENABLED"))


# Distinguished names --------------------------------------------------------------------------------------

def _unescape(value):
    """The value an RFC 4514 escaped attribute value stands for (``\\,`` and ``\\2C`` alike)."""
    raw, out, i = value.encode(), bytearray(), 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 1 < len(raw):
            pair = raw[i + 1:i + 3]
            if len(pair) == 2 and all(chr(c) in hexdigits for c in pair):
                out.append(int(pair, 16))
                i += 3
            else:
                out.append(raw[i + 1])
                i += 2
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def normalize_dn(dn):
    """One spelling per DN: lower case, no spaces around separators, one escaping, multi-valued RDNs sorted.

    Directories compare DNs case-insensitively; configured group DNs and the DNs the directory returns are both
    passed here so they compare equal however each was written. Raises ``LDAPInvalidDnError`` on a malformed DN.
    """
    rdns, current = [], []
    for attribute, value, separator in parse_dn(dn, escape=False, strip=True):
        value = _unescape(value).lower()
        current.append(f"{attribute.strip().lower()}={escape_rdn(value) if value else ''}")
        if separator != "+":
            rdns.append("+".join(sorted(current)))
            current = []
    if not rdns:
        raise ldap_errors.LDAPInvalidDnError(f"empty DN {dn!r}")
    return ",".join(rdns)


# Settings -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LdapSettings:
    server_uri: str
    start_tls: bool
    ca_cert_file: str
    bind_dn: str
    bind_password: str
    user_dn_template: str
    user_search_bases: tuple
    user_search_filter: str
    attr_email: str
    attr_first_name: str
    attr_last_name: str
    group_search_base: str
    group_search_filter: str
    organization: str
    organization_owner_email: str
    #: ((Role, (normalised group DN, ...)), ...)
    role_groups: tuple
    #: ((workspace name, (normalised group DN, ...)), ...)
    workspace_groups: tuple
    timeout: int

    @classmethod
    def from_config(cls, config):
        """Parsed and checked settings; ``ImproperlyConfigured`` names the first wrong one."""
        def get(name):
            value = config.get(name)
            return value.strip() if isinstance(value, str) else value

        uri = get("AUTH_LDAP_SERVER_URI") or ""
        if not re.match(r"^ldaps?://[^\s/]", uri, re.IGNORECASE):
            raise ImproperlyConfigured("AUTH_LDAP_SERVER_URI must be an ldap:// or ldaps:// address, "
                                       f"got {uri!r}")
        start_tls = bool(config.get("AUTH_LDAP_START_TLS"))
        if start_tls and uri.lower().startswith("ldaps://"):
            raise ImproperlyConfigured("AUTH_LDAP_START_TLS upgrades an ldap:// connection; ldaps:// is already TLS")
        ca_cert_file = get("AUTH_LDAP_CA_CERT_FILE") or ""
        if ca_cert_file and not os.path.isfile(ca_cert_file):
            raise ImproperlyConfigured(f"AUTH_LDAP_CA_CERT_FILE {ca_cert_file!r} is not a readable file")
        if get("AUTH_LDAP_BIND_DN") and not config.get("AUTH_LDAP_BIND_PASSWORD"):
            # The bind would be an unauthenticated one, which directories accept as anonymous.
            raise ImproperlyConfigured("AUTH_LDAP_BIND_DN is set without AUTH_LDAP_BIND_PASSWORD")
        template = get("AUTH_LDAP_USER_DN_TEMPLATE") or ""
        bases = tuple(_dn_list(config.get("AUTH_LDAP_USER_SEARCH_BASES"), "AUTH_LDAP_USER_SEARCH_BASES", keep=True))
        search_filter = get("AUTH_LDAP_USER_SEARCH_FILTER") or ""
        if template:
            _check_template(template)
        elif not bases:
            raise ImproperlyConfigured("Set AUTH_LDAP_USER_DN_TEMPLATE, or AUTH_LDAP_USER_SEARCH_BASES and "
                                       "AUTH_LDAP_USER_SEARCH_FILTER, so Tessera can find people in the directory")
        else:
            _check_filter("AUTH_LDAP_USER_SEARCH_FILTER", search_filter, placeholder=True)
        group_base = get("AUTH_LDAP_GROUP_SEARCH_BASE") or ""
        if group_base:
            _dn_list(group_base, "AUTH_LDAP_GROUP_SEARCH_BASE")
        group_filter = get("AUTH_LDAP_GROUP_SEARCH_FILTER") or "(objectClass=groupOfNames)"
        _check_filter("AUTH_LDAP_GROUP_SEARCH_FILTER", group_filter, placeholder=False)
        organization = (get("AUTH_LDAP_ORGANIZATION") or "").lower()
        owner_email = (get("AUTH_LDAP_ORGANIZATION_OWNER_EMAIL") or "").lower()
        if not (organization or owner_email):
            raise ImproperlyConfigured("Set AUTH_LDAP_ORGANIZATION (the organization's short name) or "
                                       "AUTH_LDAP_ORGANIZATION_OWNER_EMAIL (its Owner's e-mail)")
        role_groups = tuple((role, tuple(_dn_list(config.get(name), name))) for role, name in ROLE_SETTINGS.items())
        raw_timeout = config.get("AUTH_LDAP_TIMEOUT")
        try:
            timeout = 10 if raw_timeout in (None, "") else int(raw_timeout)
        except (TypeError, ValueError):
            raise ImproperlyConfigured("AUTH_LDAP_TIMEOUT must be a whole number of seconds") from None
        if timeout <= 0:
            raise ImproperlyConfigured("AUTH_LDAP_TIMEOUT must be at least 1 second")
        workspace_groups = _workspace_groups(config.get("AUTH_LDAP_ORGANIZATION_WORKSPACES"))
        if not group_base and (any(dns for _, dns in role_groups) or workspace_groups):
            raise ImproperlyConfigured("Group mappings need AUTH_LDAP_GROUP_SEARCH_BASE (where the groups are)")
        return cls(
            server_uri=uri, start_tls=start_tls, ca_cert_file=ca_cert_file,
            bind_dn=get("AUTH_LDAP_BIND_DN") or "", bind_password=config.get("AUTH_LDAP_BIND_PASSWORD") or "",
            user_dn_template=template, user_search_bases=bases, user_search_filter=search_filter,
            attr_email=get("AUTH_LDAP_ATTR_EMAIL") or "mail",
            attr_first_name=get("AUTH_LDAP_ATTR_FIRST_NAME") or "givenName",
            attr_last_name=get("AUTH_LDAP_ATTR_LAST_NAME") or "sn",
            group_search_base=group_base, group_search_filter=group_filter,
            organization=organization, organization_owner_email=owner_email,
            role_groups=role_groups, workspace_groups=workspace_groups, timeout=timeout,
        )


def _dn_list(raw, name, keep=False):
    """The ';'-separated DNs of a setting, normalised (``keep``: as written, only checked)."""
    if isinstance(raw, (list, tuple)):
        parts = [str(p).strip() for p in raw]
    else:
        parts = [p.strip() for p in (raw or "").split(";")]
    found = []
    for part in filter(None, parts):
        try:
            normalised = normalize_dn(part)
        except ldap_errors.LDAPInvalidDnError:
            raise ImproperlyConfigured(f"{name}: {part!r} is not a valid distinguished name") from None
        found.append(part if keep else normalised)
    return found


def _check_template(template):
    if _PLACEHOLDER not in template:
        raise ImproperlyConfigured(f"AUTH_LDAP_USER_DN_TEMPLATE must contain {_PLACEHOLDER}, got {template!r}")
    try:
        normalize_dn(template % {"user": "someone"})
    except (KeyError, ValueError, TypeError, ldap_errors.LDAPInvalidDnError):
        raise ImproperlyConfigured(f"AUTH_LDAP_USER_DN_TEMPLATE {template!r} does not give a valid DN") from None


def _check_filter(name, value, placeholder):
    if not (value.startswith("(") and value.endswith(")") and value.count("(") == value.count(")")):
        raise ImproperlyConfigured(f"{name} must be one parenthesised LDAP filter, got {value!r}")
    if placeholder:
        if _PLACEHOLDER not in value:
            raise ImproperlyConfigured(f"{name} must contain {_PLACEHOLDER}, got {value!r}")
        try:
            value % {"user": "someone"}
        except (KeyError, ValueError, TypeError):
            raise ImproperlyConfigured(f"{name} {value!r} has a '%' other than {_PLACEHOLDER} "
                                       "(write a literal % as %%)") from None


def _workspace_groups(raw):
    name = "AUTH_LDAP_ORGANIZATION_WORKSPACES"
    if not raw:
        return ()
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise ImproperlyConfigured(f'{name} must be JSON like {{"Workspace name": "cn=group,dc=example"}}') from None
    if not isinstance(value, dict) or not all(isinstance(v, (str, list)) for v in value.values()):
        raise ImproperlyConfigured(f'{name} must be a JSON object of workspace name to ";"-separated group DNs')
    found = []
    for workspace, dns in value.items():
        if not str(workspace).strip():
            raise ImproperlyConfigured(f"{name}: a workspace name is empty")
        found.append((str(workspace).strip(), tuple(_dn_list(dns, f"{name}[{workspace!r}]"))))
    return tuple(found)


# Sign-in --------------------------------------------------------------------------------------------------

class _Failed(Exception):
    """The credentials do not match an entry; ``reason`` goes to the audit trail only."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Entry:
    dn: str
    attributes: dict
    groups: list | None

    def first(self, name):
        for key, values in self.attributes.items():
            if key.lower() == name.lower():
                values = values if isinstance(values, list) else [values]
                return str(values[0]).strip() if values else ""
        return ""


def authenticate(login, password):
    """The user for these credentials, or None after auditing why; ``Refused`` explains anything else.

    ``login`` is a user name or e-mail address as the directory's search filter or DN template expects it.
    """
    login = (login or "").strip()
    local = user_by_email(login) if "@" in login else None
    if _break_glass(local, password):
        local.last_login_at = utcnow()
        record(local, _audit_org(local), "auth.login_succeeded", target=local,
               data={"method": "password", "break_glass": True})
        return local
    try:
        settings = LdapSettings.from_config(current_app.config)
    except ImproperlyConfigured as exc:
        log.error("LDAP sign-in is misconfigured: %s", exc)
        raise Refused(MISCONFIGURED) from None
    org = _organization(settings)
    if not login or not password:
        # An empty password would make the bind an anonymous one, which directories accept.
        return _fail(org, login, local, "empty login" if not login else "empty password")
    try:
        entry = _find_and_bind(settings, login, password)
    except _Failed as exc:
        return _fail(org, login, local, exc.reason)
    except ldap_errors.LDAPOperationResult as exc:
        log.error("LDAP directory %s answered %s: %s", settings.server_uri, exc.result, exc.description)
        _audit_failure(org, login, local, f"directory error: {exc.description}")
        raise Refused(UNREACHABLE) from None
    except ldap_errors.LDAPException as exc:
        log.warning("LDAP directory %s could not be reached: %s", settings.server_uri, exc)
        _audit_failure(org, login, local, "directory unreachable")
        raise Refused(UNREACHABLE) from None
    email = entry.first(settings.attr_email)
    if not email:
        _audit_failure(org, login, local, f"no {settings.attr_email} in the directory entry")
        raise Refused(f"Your directory entry has no e-mail address ({settings.attr_email}); ask your administrator "
                      f"to add one.")
    profile = provisioning.Profile(email, entry.first(settings.attr_first_name), entry.first(settings.attr_last_name),
                                   groups=entry.groups)
    identifier = normalize_dn(entry.dn)
    try:
        mapping = _mapping(org, settings, entry.groups)
        user, _ = provisioning.sign_in(org, profile, PROVIDER, identifier, mapping=mapping, method="ldap")
    except Refused as exc:
        _audit_failure(org, login, user_by_email(email) or local, exc.message)
        raise
    return user


def _break_glass(user, password):
    """Site administrators and Owners keep their local password, for when the directory is down."""
    if user is None or not user.is_active or not user.password_hash or not password:
        return False
    if not (user.is_site_admin or _owns_an_organization(user)):
        return False
    return password_matches(user, password)


def _owns_an_organization(user):
    return db.session.execute(
        select(OrgMember.id).where(OrgMember.user_id == user.id, OrgMember.role == Role.OWNER).limit(1)
    ).first() is not None


def _organization(settings):
    if settings.organization:
        org = db.session.execute(select(Organization).where(Organization.slug == settings.organization)).scalar()
        missing = f"AUTH_LDAP_ORGANIZATION {settings.organization!r} is not an organization's short name"
    else:
        org = db.session.execute(
            select(Organization).join(OrgMember, OrgMember.org_id == Organization.id)
            .join(User, User.id == OrgMember.user_id)
            .where(OrgMember.role == Role.OWNER, func.lower(User.email) == settings.organization_owner_email)
            .order_by(Organization.id).limit(1)
        ).scalar()
        missing = f"AUTH_LDAP_ORGANIZATION_OWNER_EMAIL {settings.organization_owner_email!r} owns no organization"
    if org is None:
        log.error("LDAP sign-in is misconfigured: %s", missing)
        raise Refused(MISCONFIGURED)
    return org


def _fail(org, login, local, reason):
    _audit_failure(org, login, local, reason)
    return None


def _audit_failure(org, login, local, reason):
    target = local or ("user", None, login[:254])
    record(local, org, "auth.login_failed", target=target, data={"method": "ldap", "reason": reason})


# The directory --------------------------------------------------------------------------------------------

def _server(settings):
    tls = None
    if settings.start_tls or settings.server_uri.lower().startswith("ldaps://"):
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_cert_file or None)
    # No schema or server info read: one round trip less per sign-in, and nothing cached in the process.
    return Server(settings.server_uri, get_info=NONE, tls=tls, connect_timeout=settings.timeout)


def _bind(settings, server, dn=None, password=None):
    """A bound connection; raises ldap3's exceptions (``LDAPInvalidCredentialsResult`` on a wrong password)."""
    if dn is not None and not password:
        raise _Failed("empty password")
    return Connection(
        server, user=dn, password=password, read_only=True, raise_exceptions=True,
        auto_bind=AUTO_BIND_TLS_BEFORE_BIND if settings.start_tls else AUTO_BIND_NO_TLS,
        receive_timeout=settings.timeout,
    )


def _service(settings, server):
    """The connection searches go through: the service account, or anonymous when none is set."""
    try:
        return _bind(settings, server, settings.bind_dn or None, settings.bind_password if settings.bind_dn else None)
    except (ldap_errors.LDAPInvalidCredentialsResult, _Failed):
        log.error("LDAP directory %s refused the service account AUTH_LDAP_BIND_DN %r", settings.server_uri,
                  settings.bind_dn)
        raise Refused(MISCONFIGURED) from None


def _find_and_bind(settings, login, password):
    server = _server(settings)
    attributes = [settings.attr_email, settings.attr_first_name, settings.attr_last_name]
    connections = []
    try:
        if settings.user_dn_template:
            person = _bind_as(settings, server, settings.user_dn_template % {"user": escape_rdn(login)}, password)
            connections.append(person)
            entries = _search(person, person.user, "(objectClass=*)", attributes, scope=BASE)
            if not entries:
                raise _Failed("unknown user")
            dn, found = entries[0]
            searcher = None
            if settings.group_search_base and settings.bind_dn:
                searcher = _service(settings, server)
                connections.append(searcher)
            searcher = searcher or person
        else:
            searcher = _service(settings, server)
            connections.append(searcher)
            search_filter = settings.user_search_filter % {"user": escape_filter_chars(login)}
            entries = []
            for base in settings.user_search_bases:
                entries += _search(searcher, base, search_filter, attributes)
            if not entries:
                raise _Failed("unknown user")
            if len({normalize_dn(dn) for dn, _ in entries}) > 1:
                raise _Failed("several directory entries match")
            dn, found = entries[0]
            connections.append(_bind_as(settings, server, dn, password))
        groups = _groups(settings, searcher, dn) if settings.group_search_base else None
        return _Entry(dn, found, groups)
    finally:
        for connection in connections:
            connection.unbind()


def _bind_as(settings, server, dn, password):
    try:
        return _bind(settings, server, dn, password)
    except ldap_errors.LDAPInvalidCredentialsResult:
        # A DN template cannot tell an unknown person from a wrong password: the directory says the same.
        raise _Failed("wrong password" if not settings.user_dn_template else "wrong password or unknown user") from None
    except ldap_errors.LDAPInvalidDNSyntaxResult:
        raise _Failed("unknown user") from None


def _search(connection, base, search_filter, attributes, scope=SUBTREE):
    try:
        connection.search(base, search_filter, search_scope=scope, attributes=attributes)
    except ldap_errors.LDAPNoSuchObjectResult:
        return []
    return [(item["dn"], dict(item.get("attributes") or {}))
            for item in connection.response or [] if item.get("type") == "searchResEntry"]


def _groups(settings, connection, dn):
    """Normalised DNs of the groups whose member (or uniqueMember) attribute holds ``dn``."""
    escaped = escape_filter_chars(dn)
    search_filter = f"(&{settings.group_search_filter}(|(member={escaped})(uniqueMember={escaped})))"
    found = _search(connection, settings.group_search_base, search_filter, ["1.1"])
    return sorted({normalize_dn(group_dn) for group_dn, _ in found})


# Mapping --------------------------------------------------------------------------------------------------

def _mapping(org, settings, groups):
    """The settings' rules as provisioning understands them; a workspace a person's groups need is created."""
    rules = [provisioning.Rule(dn, GroupMapping.KIND_ROLE, role=role)
             for role, dns in settings.role_groups for dn in dns]
    mine = set(groups or ())
    for name, dns in settings.workspace_groups:
        workspace = _workspace_named(org, name)
        if workspace is None and mine & set(dns):
            workspace = org_services.create_workspace(None, org, name)
        if workspace is not None:
            rules += [provisioning.Rule(dn, GroupMapping.KIND_WORKSPACE, workspace_id=workspace.id) for dn in dns]
    return provisioning.Mapping(rules)


def _workspace_named(org, name):
    return db.session.execute(
        select(Workspace).where(Workspace.org_id == org.id, func.lower(Workspace.name) == name.lower(),
                                Workspace.is_sandbox.is_(False))
    ).scalars().first()
