"""Changing an organization's single sign-on settings: identity provider, attribute names, policy, group mapping.

Each change is checked here, made in the request's transaction and audited with what it changed.
"""
import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit

import xmlsec
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError
from onelogin.saml2.xmlparser import fromstring as safe_fromstring
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.error import PyAsn1Error
from sqlalchemy import func, select

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.orgs import services as org_services
from app.orgs.models import Workspace
from app.projects.models import Project, ProjectRole
from app.security.roles import ASSIGNABLE_ROLES, Role, parse_role
from app.sso.models import DEFAULT_ATTRIBUTES, GroupMapping, SsoSettings
from app.sso.provisioning import settings_of

#: a metadata document larger than this is not an identity provider's metadata
MAX_METADATA_CHARS = 1_000_000
#: the roles a group may give; the Owner's role only moves by transfer of ownership
MAPPABLE_ROLES = ASSIGNABLE_ROLES
PROJECT_ROLES = {"": None, ProjectRole.ANNOTATOR.value: ProjectRole.ANNOTATOR.value,
                 ProjectRole.REVIEWER.value: ProjectRole.REVIEWER.value}

_NS = {"md": OneLogin_Saml2_Constants.NS_MD}
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CN_OID = "2.5.4.3"


class SeveralProviders(Refused):
    """The metadata describes more than one identity provider: the person picks one by its entity id."""

    def __init__(self, message, entity_ids, field=None):
        super().__init__(message, field)
        self.entity_ids = entity_ids


@dataclass
class IdentityProvider:
    entity_id: str
    sso_url: str
    slo_url: str = ""
    certificates: list = field(default_factory=list)


def current_settings(org):
    """The stored settings, or the defaults unsaved, so that showing the page writes nothing."""
    row = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none()
    if row is None:
        row = SsoSettings(org_id=org.id, enabled=False, idp_entity_id="", idp_sso_url="", idp_slo_url="",
                          idp_certificates=[], email_domains=[], require_sso=False, allow_idp_initiated=False,
                          manage_roles_in_tessera=False, attr_email=DEFAULT_ATTRIBUTES["email"],
                          attr_first_name=DEFAULT_ATTRIBUTES["first_name"],
                          attr_last_name=DEFAULT_ATTRIBUTES["last_name"], attr_groups=DEFAULT_ATTRIBUTES["groups"])
    return row


# Certificates ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateInfo:
    fingerprint: str
    subject: str
    not_before: object
    not_after: object


def _checked_der(der):
    """``der`` when xmlsec can load it as an X.509 certificate, the same loader that verifies signatures."""
    try:
        xmlsec.Key.from_memory(der, xmlsec.KeyFormat.CERT_DER)
    except xmlsec.Error:
        raise Refused("That is not an X.509 certificate. Paste the identity provider's signing certificate, "
                      "in PEM (-----BEGIN CERTIFICATE-----) or as bare base64.", "certificate") from None
    return base64.b64encode(der).decode("ascii")


def parse_certificates(text):
    """Base64 DER (no headers, no whitespace) of each certificate in ``text``: PEM blocks, or one bare base64."""
    text = (text or "").strip()
    if not text:
        return []
    blocks = _PEM_BLOCK.findall(text)
    if "-----BEGIN" in text and not blocks:
        raise Refused("The PEM block is incomplete: copy it from -----BEGIN CERTIFICATE----- to "
                      "-----END CERTIFICATE-----.", "certificate")
    for kind, _ in blocks:
        if "PRIVATE KEY" in kind:
            raise Refused("That is a private key. Never share it: paste the identity provider's certificate "
                          "instead.", "certificate")
        if kind != "CERTIFICATE":
            raise Refused(f"Expected a certificate, got a {kind.lower()}.", "certificate")
    bodies = [body for _, body in blocks] if blocks else [text]
    found = []
    for body in bodies:
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise Refused("The certificate is not valid base64.", "certificate") from None
        cert = _checked_der(der)
        if cert not in found:
            found.append(cert)
    return found


def certificate_info(cert_b64):
    """Fingerprint, subject common name and validity of a stored certificate, for people to compare."""
    der = base64.b64decode(cert_b64)
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2))
    subject, not_before, not_after = "", None, None
    try:
        tbs = der_decoder.decode(der)[0][0]
        fields = [tbs[i] for i in range(len(tbs))]
        if fields and len(fields[0].tagSet.superTags) > 1:  # the explicit [0] version
            fields = fields[1:]
        validity, names = fields[3], fields[4]
        not_before, not_after = (validity[0].asDateTime.astimezone(UTC), validity[1].asDateTime.astimezone(UTC))
        for rdn in names:
            for pair in rdn:
                if str(pair[0]) == _CN_OID:
                    subject = bytes(pair[1].asOctets()).decode("utf-8", "replace")
    except (PyAsn1Error, IndexError, AttributeError, TypeError, ValueError):
        pass  # the certificate loaded in xmlsec; only the details shown beside it are missing
    return CertificateInfo(fingerprint, subject, not_before, not_after)


def _fingerprints(certs):
    return [hashlib.sha256(base64.b64decode(c)).hexdigest() for c in certs or []]


# The identity provider ------------------------------------------------------------------------------------

def _check_url(url, field_name, what, required=True):
    url = (url or "").strip()
    if not url:
        if required:
            raise Refused(f"Enter the {what}.", field_name)
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url):
        raise Refused(f"The {what} must be an http:// or https:// address.", field_name)
    if len(url) > 1000:
        raise Refused(f"The {what} is longer than 1000 characters.", field_name)
    return url


def _check_entity_id(entity_id, field_name="entity_id"):
    entity_id = (entity_id or "").strip()
    if not entity_id:
        raise Refused("Enter the identity provider's entity id.", field_name)
    if len(entity_id) > 500:
        raise Refused("The entity id is longer than 500 characters.", field_name)
    return entity_id


def parse_idp_metadata(xml, entity_id=None):
    """The identity provider a metadata document describes, or ``Refused`` saying what is wrong with it."""
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refused("The metadata file is not UTF-8 text.", "metadata_xml") from None
    xml = (xml or "").strip()
    if not xml:
        raise Refused("Paste the identity provider's metadata XML or choose the file.", "metadata_xml")
    if len(xml) > MAX_METADATA_CHARS:
        raise Refused("The metadata is too large (over 1 MB).", "metadata_xml")
    try:
        root = safe_fromstring(xml.encode("utf-8"))
    except (DTDForbidden, EntitiesForbidden, NotSupportedError):
        raise Refused("The metadata contains a DOCTYPE or entity declaration, which metadata never needs; "
                      "it is refused for safety.", "metadata_xml") from None
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else "?")
        raise Refused(f"The metadata is not well-formed XML (line {line}): {exc.msg}", "metadata_xml") from None
    entities = [e for e in root.xpath("descendant-or-self::md:EntityDescriptor", namespaces=_NS)
                if e.xpath("md:IDPSSODescriptor", namespaces=_NS)]
    if not entities:
        raise Refused("The document describes no identity provider (no IDPSSODescriptor in an EntityDescriptor). "
                      "Is it a service provider's metadata?", "metadata_xml")
    chosen = entities[0]
    if len(entities) > 1:
        ids = [e.get("entityID", "") for e in entities]
        wanted = (entity_id or "").strip()
        if not wanted:
            raise SeveralProviders(f"The document describes {len(ids)} identity providers; choose the entity id of "
                                   "the one to use.", ids, "metadata_entity_id")
        matches = [e for e in entities if e.get("entityID") == wanted]
        if not matches:
            raise SeveralProviders(f"No identity provider in the document has the entity id {wanted!r}.", ids,
                                   "metadata_entity_id")
        chosen = matches[0]
    # Parse the chosen descriptor alone: the library reads the first EntityDescriptor of a document.
    data = OneLogin_Saml2_IdPMetadataParser.parse(etree.tostring(chosen)).get("idp", {})
    found_id = _check_entity_id(data.get("entityId"), "metadata_xml")
    sso = data.get("singleSignOnService", {}).get("url")
    if not sso:
        raise Refused("The identity provider lists no SingleSignOnService with the HTTP-Redirect binding, which "
                      "Tessera uses to send people to sign in.", "metadata_xml")
    sso = _check_url(sso, "metadata_xml", "SingleSignOnService location")
    slo = _check_url(data.get("singleLogoutService", {}).get("url"), "metadata_xml", "SingleLogoutService location",
                     required=False)
    raw = [data["x509cert"]] if data.get("x509cert") else data.get("x509certMulti", {}).get("signing", [])
    if data.get("x509cert") and not chosen.xpath(
            "md:IDPSSODescriptor/md:KeyDescriptor[not(contains(@use, 'encryption'))]", namespaces=_NS):
        raw = []  # the library's single certificate may be an encryption-only one
    if not raw:
        raise Refused("The metadata has no signing certificate (a KeyDescriptor with use=\"signing\" or no use); "
                      "Tessera needs it to check the identity provider's signatures.", "metadata_xml")
    certs = []
    for cert in raw:
        try:
            checked = parse_certificates(cert)
        except Refused as exc:
            raise Refused("A signing certificate in the metadata is not valid: " + exc.message, "metadata_xml") from None
        certs.extend(c for c in checked if c not in certs)
    return IdentityProvider(found_id, sso, slo, certs)


def _idp_state(row):
    return {"idp_entity_id": row.idp_entity_id, "idp_sso_url": row.idp_sso_url, "idp_slo_url": row.idp_slo_url,
            "idp_certificates": _fingerprints(row.idp_certificates),
            "idp_metadata": hashlib.sha256(row.idp_metadata_xml.encode()).hexdigest()[:16]
            if row.idp_metadata_xml else None}


def _audit_change(actor, org, row, section, before, after):
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        record(actor, org, "sso.settings_changed", target=("sso_settings", row.id, section), data={
            "section": section, "before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}})
    return changed


def _store_idp(actor, org, idp, metadata_xml):
    row = settings_of(org)
    before = _idp_state(row)
    row.idp_entity_id, row.idp_sso_url, row.idp_slo_url = idp.entity_id, idp.sso_url, idp.slo_url
    row.idp_certificates = list(idp.certificates)
    row.idp_metadata_xml = metadata_xml
    db.session.flush()
    _audit_change(actor, org, row, "identity_provider", before, _idp_state(row))
    return row


def save_idp_metadata(actor, org, xml, entity_id=None):
    """Configure the identity provider from its metadata document, kept to show back."""
    idp = parse_idp_metadata(xml, entity_id)
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8-sig")
    return _store_idp(actor, org, idp, xml.strip())


def save_idp_manual(actor, org, entity_id, sso_url, slo_url="", certificate=""):
    """Configure the identity provider by hand; a blank certificate keeps the ones stored."""
    entity_id = _check_entity_id(entity_id)
    sso_url = _check_url(sso_url, "sso_url", "sign-in (SSO) URL")
    slo_url = _check_url(slo_url, "slo_url", "sign-out (SLO) URL", required=False)
    certs = parse_certificates(certificate)
    if not certs:
        certs = list(settings_of(org).idp_certificates or [])
        if not certs:
            raise Refused("Paste the identity provider's signing certificate.", "certificate")
    return _store_idp(actor, org, IdentityProvider(entity_id, sso_url, slo_url, certs), None)


# Attribute names ------------------------------------------------------------------------------------------

ATTRIBUTE_FIELDS = ("attr_email", "attr_first_name", "attr_last_name", "attr_groups")


def save_attributes(actor, org, **names):
    """The SAML attribute names that carry e-mail, first name, last name and groups."""
    cleaned = {}
    for key in ATTRIBUTE_FIELDS:
        value = (names.get(key) or "").strip()
        if not value:
            raise Refused("Enter the attribute's name.", key)
        if len(value) > 200:
            raise Refused("Keep the name under 200 characters.", key)
        cleaned[key] = value
    row = settings_of(org)
    before = {k: getattr(row, k) for k in ATTRIBUTE_FIELDS}
    for key, value in cleaned.items():
        setattr(row, key, value)
    db.session.flush()
    _audit_change(actor, org, row, "attributes", before, cleaned)
    return row


# Policy ---------------------------------------------------------------------------------------------------

def parse_domains(text):
    """Lower-case e-mail domains from a text of lines, commas or spaces; ``@`` prefixes are forgiven."""
    domains = []
    for raw in re.split(r"[\s,;]+", (text or "").strip().lower()):
        domain = raw.removeprefix("@").rstrip(".")
        if not domain:
            continue
        labels = domain.split(".")
        if (len(domain) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels)
                or labels[-1].isdigit()):
            raise Refused(f"{raw!r} is not an e-mail domain (such as example.com).", "email_domains")
        if domain not in domains:
            domains.append(domain)
    return domains


def org_id_claiming(domain):
    """The organization whose sign-in starts for addresses at ``domain``, or None."""
    domain = (domain or "").strip().lower()
    for org_id, domains in db.session.execute(select(SsoSettings.org_id, SsoSettings.email_domains)):
        if domain in (domains or []):
            return org_id
    return None


def _claimed_elsewhere(org, domains):
    rows = db.session.execute(
        select(SsoSettings.email_domains).where(SsoSettings.org_id != org.id)
    ).scalars()
    taken = {d for row in rows for d in (row or [])}
    return [d for d in domains if d in taken]


POLICY_FIELDS = ("enabled", "email_domains", "require_sso", "allow_idp_initiated", "manage_roles_in_tessera")


def save_policy(actor, org, enabled, email_domains, require_sso, allow_idp_initiated, manage_roles_in_tessera):
    """Who signs in how; ``email_domains`` is a list or the text typed on the page."""
    row = settings_of(org)
    if not isinstance(email_domains, str):
        email_domains = " ".join(email_domains or ())
    domains = parse_domains(email_domains)
    enabled, require_sso = bool(enabled), bool(require_sso)
    if enabled and not row.is_configured:
        raise Refused("Configure the identity provider (entity id, sign-in URL and certificate) before offering "
                      "sign-in with SSO.", "enabled")
    if require_sso and not enabled:
        raise Refused("Offer sign-in with SSO before requiring it.", "require_sso")
    taken = _claimed_elsewhere(org, domains)
    if taken:
        # Which organization holds it is not ours to say.
        raise Refused(f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already used by another "
                      "organization.", "email_domains")
    after = {"enabled": enabled, "email_domains": domains, "require_sso": require_sso,
             "allow_idp_initiated": bool(allow_idp_initiated), "manage_roles_in_tessera": bool(manage_roles_in_tessera)}
    before = {k: getattr(row, k) for k in POLICY_FIELDS}
    before["email_domains"] = list(before["email_domains"] or [])
    for key, value in after.items():
        setattr(row, key, value)
    db.session.flush()
    _audit_change(actor, org, row, "policy", before, after)
    return row


# Group mapping --------------------------------------------------------------------------------------------

def mappings_of(org):
    """The organization's mappings by kind, each list in the order they were added."""
    rows = db.session.execute(GroupMapping.for_org(org).order_by(func.lower(GroupMapping.group_name),
                                                                 GroupMapping.id)).scalars().all()
    found = {GroupMapping.KIND_ROLE: [], GroupMapping.KIND_WORKSPACE: [], GroupMapping.KIND_PROJECT: []}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    return found


def mappable_workspaces(org):
    return db.session.execute(
        Workspace.for_org(org).where(Workspace.is_sandbox.is_(False)).order_by(func.lower(Workspace.name))
    ).scalars().all()


def mappable_projects(org):
    return db.session.execute(Project.for_org(org).order_by(func.lower(Project.title))).scalars().all()


def _group_name(name):
    name = (name or "").strip()
    if not name:
        raise Refused("Enter the group's name as the identity provider sends it.", "group_name")
    if len(name) > 300:
        raise Refused("Keep the group's name under 300 characters.", "group_name")
    return name


def _existing(org, kind, group_name, **where):
    query = GroupMapping.for_org(org).where(GroupMapping.kind == kind, GroupMapping.group_name == group_name)
    for column, value in where.items():
        query = query.where(getattr(GroupMapping, column) == value)
    return db.session.execute(query).scalars().first()


def _workspace_for(actor, org, workspace_id, workspace_name):
    workspace_name = (workspace_name or "").strip()
    if workspace_name and workspace_id:
        raise Refused("Choose an existing workspace or type the name of a new one, not both.", "workspace_id")
    if workspace_name:
        existing = db.session.execute(
            Workspace.for_org(org).where(func.lower(Workspace.name) == workspace_name.lower(),
                                         Workspace.is_sandbox.is_(False))
        ).scalar_one_or_none()
        if existing is not None:
            return existing
        try:
            return org_services.create_workspace(actor, org, workspace_name)
        except Refused as exc:
            raise Refused(exc.message, "workspace_name") from None
    if not workspace_id:
        raise Refused("Choose a workspace, or type the name of a new one.", "workspace_id")
    workspace = _in_org(Workspace, org, workspace_id)
    if workspace is None or workspace.is_sandbox:
        raise Refused("Choose a shared workspace of this organization.", "workspace_id")
    return workspace


def _in_org(model, org, ident):
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        return None
    return db.session.execute(model.for_org(org).where(model.id == ident)).scalar_one_or_none()


def _mapping_label(mapping):
    if mapping.kind == GroupMapping.KIND_ROLE:
        return {"role": mapping.role.value}
    if mapping.kind == GroupMapping.KIND_WORKSPACE:
        return {"workspace_id": mapping.workspace_id, "workspace": mapping.workspace.name}
    return {"project_id": mapping.project_id, "project": mapping.project.title,
            "project_role": mapping.project_role or "inherit"}


def add_mapping(actor, org, kind, group_name, role=None, workspace_id=None, workspace_name=None, project_id=None,
                project_role=""):
    """Map a group to an organization role, a workspace or a role in a project (one role per group)."""
    group_name = _group_name(group_name)
    mapping = GroupMapping(org_id=org.id, group_name=group_name, kind=kind, created_by_id=getattr(actor, "id", None))
    if kind == GroupMapping.KIND_ROLE:
        if not role:
            raise Refused("Choose the role the group gives.", "role")
        role = parse_role(role)
        if role not in MAPPABLE_ROLES:
            raise Refused("A group cannot make someone the Owner; ownership moves only by transfer.", "role")
        current = _existing(org, kind, group_name)
        if current is not None:
            raise Refused(f"The group {group_name!r} already gives the role {current.role.label}; a group gives one "
                          "role. Remove that mapping first to change it.", "group_name")
        mapping.role = role
    elif kind == GroupMapping.KIND_WORKSPACE:
        workspace = _workspace_for(actor, org, workspace_id, workspace_name)
        if _existing(org, kind, group_name, workspace_id=workspace.id) is not None:
            raise Refused(f"The group {group_name!r} already opens {workspace.name}.", "group_name")
        mapping.workspace_id, mapping.workspace = workspace.id, workspace
    elif kind == GroupMapping.KIND_PROJECT:
        project = _in_org(Project, org, project_id) if project_id else None
        if project is None:
            raise Refused("Choose a project of this organization.", "project_id")
        if (project_role or "") not in PROJECT_ROLES:
            raise Refused("Choose Annotator, Reviewer or Inherit.", "project_role")
        if _existing(org, kind, group_name, project_id=project.id) is not None:
            raise Refused(f"The group {group_name!r} already has a role in {project.title}; remove that mapping "
                          "first to change it.", "group_name")
        mapping.project_id, mapping.project = project.id, project
        mapping.project_role = PROJECT_ROLES[project_role or ""]
    else:
        raise Refused("Choose what the group maps to: a role, a workspace or a project.")
    db.session.add(mapping)
    db.session.flush()
    record(actor, org, "sso.mapping_added", target=("sso_group_mapping", mapping.id, group_name),
           data={"group": group_name, "kind": kind, **_mapping_label(mapping)})
    return mapping


def remove_mapping(actor, org, mapping):
    if mapping.org_id != org.id:
        raise Refused("That mapping belongs to another organization.")
    data = {"group": mapping.group_name, "kind": mapping.kind, **_mapping_label(mapping)}
    target = ("sso_group_mapping", mapping.id, mapping.group_name)
    db.session.delete(mapping)
    db.session.flush()
    record(actor, org, "sso.mapping_removed", target=target, data=data)


def role_choices():
    """(value, label) of the roles a group may give, the strongest first."""
    labels = {Role.PENDING: "Pending (not activated)"}
    return [(r.value, labels.get(r, r.label)) for r in MAPPABLE_ROLES]

