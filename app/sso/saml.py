"""python3-saml for one organization: its settings, the Flask request as the library reads it, and what the
library leaves to us when it has checked a response (the request it answers, replays, comment injection).

``process_response`` returns a ``SignIn`` or raises ``SamlRefused`` with a reason for the audit trail; the views
turn either into a session or a page.
"""
import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import request, url_for
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.sso.models import SamlAssertionSeen, SamlRequest
from app.sso.provisioning import Profile

#: how long an AuthnRequest of ours may be answered
REQUEST_LIFETIME = timedelta(minutes=10)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SamlRefused(Exception):
    """A response we do not accept. ``status`` 400: the response itself is bad; 403: our policy says no."""

    def __init__(self, reason, status=400, message=None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.message = message or "The sign-in response from your identity provider could not be accepted."


@dataclass
class SignIn:
    """A checked response: who the identity provider says signed in, and where to go next."""

    name_id: str
    name_id_format: str | None
    session_index: str | None
    profile: Profile
    next_path: str | None


# Settings -------------------------------------------------------------------------------------------------

def sp_urls(org):
    """Our entity id (the metadata URL), ACS and SLO, as the browser reaches them (ProxyFix gives the public URL)."""
    return {
        "entity_id": url_for("saml.metadata", org_slug=org.slug, _external=True),
        "acs": url_for("saml.acs", org_slug=org.slug, _external=True),
        "slo": url_for("saml.slo", org_slug=org.slug, _external=True),
    }


def settings_dict(org, sso):
    urls = sp_urls(org)
    certs = [c for c in (sso.idp_certificates or []) if c]
    idp = {
        "entityId": sso.idp_entity_id,
        "singleSignOnService": {"url": sso.idp_sso_url, "binding": C.BINDING_HTTP_REDIRECT},
        "x509cert": certs[0] if certs else "",
    }
    if len(certs) > 1:
        # key rollover: a signature by any listed certificate verifies
        idp["x509certMulti"] = {"signing": certs}
    if sso.idp_slo_url:
        idp["singleLogoutService"] = {"url": sso.idp_slo_url, "binding": C.BINDING_HTTP_REDIRECT}
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": urls["entity_id"],
            "assertionConsumerService": {"url": urls["acs"], "binding": C.BINDING_HTTP_POST},
            "singleLogoutService": {"url": urls["slo"], "binding": C.BINDING_HTTP_REDIRECT},
            "NameIDFormat": C.NAMEID_UNSPECIFIED,
        },
        "idp": idp,
        "security": {
            "authnRequestsSigned": False,
            "logoutRequestSigned": False,
            "logoutResponseSigned": False,
            "wantAssertionsSigned": True,
            # identity providers commonly sign only the assertion; a signed response is still verified
            "wantMessagesSigned": False,
            "wantNameId": True,
            "wantAssertionsEncrypted": False,
            "wantNameIdEncrypted": False,
            # the e-mail may come as the NameID alone
            "wantAttributeStatement": False,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
            "requestedAuthnContext": False,
            # the library's default would have a downloaded copy expire in the identity provider after two days
            "metadataValidUntil": "",
        },
    }


def settings_for(org, sso, sp_only=False):
    return OneLogin_Saml2_Settings(settings_dict(org, sso), sp_validation_only=sp_only)


def request_data(form_as_query=False):
    """The request as python3-saml reads it; scheme and host come from Flask, so after ProxyFix they are the
    public ones and the Destination and Recipient checks compare the URL the identity provider posted to.

    ``form_as_query``: python3-saml reads logout messages from the query only; the POST binding carries the
    same fields in the form.
    """
    return {
        "https": "on" if request.scheme == "https" else "off",
        "http_host": request.host,
        "script_name": request.script_root,
        "path_info": request.path,
        "get_data": request.form.to_dict() if form_as_query else request.args.to_dict(),
        "post_data": request.form.to_dict(),
        "query_string": request.query_string.decode("latin-1"),
    }


def auth_for(org, sso, form_as_query=False):
    return OneLogin_Saml2_Auth(request_data(form_as_query), settings_for(org, sso))


def metadata_xml(org, sso):
    settings = settings_for(org, sso, sp_only=True)
    xml = settings.get_sp_metadata()
    errors = settings.validate_metadata(xml)
    if errors:
        raise ValueError(f"invalid service provider metadata: {errors}")
    return xml


# Sign-in --------------------------------------------------------------------------------------------------

def start_login(org, sso, next_path):
    """The identity provider's URL carrying a new AuthnRequest, whose id we keep to accept one answer."""
    _prune()
    auth = auth_for(org, sso)
    url = auth.login(return_to=next_path or "")
    db.session.add(SamlRequest(id=auth.get_last_request_id(), org_id=org.id, next_path=next_path,
                               expires_at=utcnow() + REQUEST_LIFETIME))
    db.session.flush()
    return url


def _prune():
    now = utcnow()
    db.session.execute(delete(SamlRequest).where(SamlRequest.expires_at < now - REQUEST_LIFETIME))
    db.session.execute(delete(SamlAssertionSeen).where(SamlAssertionSeen.expires_at < now))


def process_response(org, sso, safe_path):
    """Check the posted SAMLResponse; return a ``SignIn`` or raise ``SamlRefused``.

    The library verifies signatures, conditions, audience, destination, recipient and issuer; here we add the
    request it answers (once), the assertion id (once), no comments inside the assertion, and RelayState.
    ``safe_path`` returns its argument when it is one of our own paths, else None.
    """
    data = request_data()
    response = _parse(org, sso, data["post_data"].get("SAMLResponse"))
    try:
        valid = response.is_valid(data, raise_exceptions=True)
    except Exception as exc:  # the library raises its own errors and parser errors alike
        raise SamlRefused(f"invalid response: {exc}") from None
    if not valid:  # pragma: no cover - raise_exceptions makes this unreachable
        raise SamlRefused(f"invalid response: {response.get_error()}")
    try:
        name_id = response.get_nameid()
        name_id_format = response.get_nameid_format()
        session_index = response.get_session_index()
        attributes = response.get_attributes()
        assertion_id = response.get_assertion_id()
    except Exception as exc:
        raise SamlRefused(f"invalid response: {exc}") from None

    in_response_to = response.get_in_response_to()
    _check_subject_confirmation(response, in_response_to)
    if in_response_to is None:
        if not sso.allow_idp_initiated:
            raise SamlRefused("unsolicited response (identity-provider-initiated sign-in is not allowed)", 403,
                              "Start the sign-in from Tessera: this organization does not accept sign-ins that "
                              "begin at the identity provider.")
        next_path = safe_path(data["post_data"].get("RelayState"))
    else:
        next_path = _consume_request(org, in_response_to)
    _remember_assertion(org, assertion_id, _expiry(response))
    return SignIn(name_id=name_id, name_id_format=name_id_format, session_index=session_index,
                  profile=_profile(sso, name_id, attributes), next_path=next_path)


def _parse(org, sso, encoded):
    if not encoded:
        raise SamlRefused("no SAMLResponse in the request")
    compact = re.sub(r"\s+", "", encoded)
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SamlRefused("malformed base64 in SAMLResponse") from None
    try:
        # the library's parser refuses DOCTYPE and entity declarations, and never reads the network
        response = OneLogin_Saml2_Response(settings_for(org, sso), compact)
    except Exception as exc:
        raise SamlRefused(f"unreadable response: {type(exc).__name__}: {exc}"[:300]) from None
    _refuse_comments(response.response)
    return response


def _refuse_comments(raw):
    """Comments and processing instructions do not count in the signed digest, and readers differ on whether a
    NameID split by one is one value or two; an assertion carrying any is refused outright."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=False, remove_pis=False)
    try:
        root = etree.fromstring(raw, parser)  # noqa: S320 (no DTD, entities or network; DOCTYPE refused before)
    except etree.XMLSyntaxError as exc:
        raise SamlRefused(f"unreadable response: {exc}") from None
    for assertion in root.iter(f"{{{C.NS_SAML}}}Assertion"):
        for node in assertion.iter(etree.Comment, etree.ProcessingInstruction):
            kind = "comment" if isinstance(node, etree._Comment) else "processing instruction"
            raise SamlRefused(f"{kind} inside the assertion")


def _check_subject_confirmation(response, in_response_to):
    """The response's InResponseTo is not signed when only the assertion is: it must agree with the signed
    assertion's, so a solicited assertion cannot pass as unsolicited or answer another request."""
    nodes = OneLogin_Saml2_XML.query(
        response.document, "/samlp:Response/saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData")
    signed = {n.get("InResponseTo") for n in nodes}
    if in_response_to is None and signed != {None}:
        raise SamlRefused("the assertion answers a request but the response does not say which")
    if in_response_to is not None and in_response_to not in signed:
        raise SamlRefused("the assertion does not answer the request the response names")


def _consume_request(org, request_id):
    """Mark our AuthnRequest answered, atomically, so two responses to one request cannot both pass."""
    now = utcnow()
    result = db.session.execute(
        update(SamlRequest)
        .where(SamlRequest.id == request_id, SamlRequest.org_id == org.id, SamlRequest.used_at.is_(None),
               SamlRequest.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        row = db.session.get(SamlRequest, request_id)
        if row is None:
            reason = "unknown InResponseTo"
        elif row.org_id != org.id:
            reason = "InResponseTo names another organization's request"
        elif row.used_at is not None:
            reason = "request already answered"
        else:
            reason = "request expired"
        raise SamlRefused(reason, 403, "This sign-in was already used or has expired. Start the sign-in again.")
    return db.session.get(SamlRequest, request_id).next_path


def _expiry(response):
    """Until when the assertion could be presented: its subject confirmation's or conditions' NotOnOrAfter."""
    times = []
    if response.get_assertion_not_on_or_after():
        times.append(response.get_assertion_not_on_or_after())
    for node in OneLogin_Saml2_XML.query(response.document, "/samlp:Response/saml:Assertion/saml:Conditions"):
        if node.get("NotOnOrAfter"):
            times.append(_parse_time(node.get("NotOnOrAfter")))
    if not times:
        raise SamlRefused("the assertion has no NotOnOrAfter, so it could be replayed forever")
    # the library allows this much clock drift, so the assertion stays usable that much longer
    return datetime.fromtimestamp(max(times), UTC) + timedelta(seconds=C.ALLOWED_CLOCK_DRIFT)


def _parse_time(value):
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    return OneLogin_Saml2_Utils.parse_SAML_to_time(value)


def _remember_assertion(org, assertion_id, expires_at):
    try:
        with db.session.begin_nested():
            db.session.add(SamlAssertionSeen(org_id=org.id, assertion_id=assertion_id, expires_at=expires_at))
    except IntegrityError:
        raise SamlRefused("replayed assertion", 403, "This sign-in was already used. Start the sign-in again.") from None


def _profile(sso, name_id, attributes):
    def first(name):
        values = [v for v in attributes.get(name, []) if isinstance(v, str)]
        return values[0].strip() if values else ""

    email = first(sso.attr_email) or (name_id if _EMAIL.match(name_id or "") else "")
    if not _EMAIL.match(email):
        raise SamlRefused("no e-mail address in the response", 400,
                          f"Your identity provider did not send an e-mail address (attribute “{sso.attr_email}”).")
    groups = attributes.get(sso.attr_groups) if sso.attr_groups in attributes else None
    if groups is not None:
        groups = [g for g in groups if isinstance(g, str)]
    return Profile(email=email, first_name=first(sso.attr_first_name), last_name=first(sso.attr_last_name),
                   groups=groups)


# Single logout --------------------------------------------------------------------------------------------

def logout_redirect(org, sso, saml_session):
    """The identity provider's SLO URL with our LogoutRequest, and its id; (None, None) without an SLO URL."""
    if not sso.idp_slo_url:
        return None, None
    auth = auth_for(org, sso)
    url = auth.logout(return_to="", name_id=saml_session.get("name_id"), session_index=saml_session.get("session_index"),
                      name_id_format=saml_session.get("name_id_format"))
    return url, auth.get_last_request_id()
