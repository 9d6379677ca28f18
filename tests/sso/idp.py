"""An identity provider inside the tests: a throwaway key, SAML responses built with lxml and signed with xmlsec,
and a knob for every way a response can be wrong.

Fixtures (tests/sso/conftest.py imports them): ``idp_keys`` (session: two key pairs made once with the openssl CLI),
``idp`` (an ``IdentityProvider`` signing with the first), ``saml_org`` (Acme with SAML configured for ``idp``).
"""
import base64
import subprocess
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import xmlsec
from lxml import etree

from app.sso.models import GroupMapping, SsoSettings

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}
ENTITY_ID = "https://idp.example.test/metadata"
SSO_URL = "https://idp.example.test/sso"
SLO_URL = "https://idp.example.test/slo"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"


@dataclass(frozen=True)
class KeyPair:
    key_pem: bytes
    cert_pem: bytes

    @property
    def cert_b64(self):
        """The certificate as SsoSettings keeps it: base64 DER, no PEM armour."""
        lines = self.cert_pem.decode().strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def make_key_pair(directory, name):
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(  # noqa: S603 (fixed arguments)
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",  # noqa: S607
         "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return KeyPair(key.read_bytes(), cert.read_bytes())


def _instant(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id():
    return "_" + uuid.uuid4().hex


def q(node, path):
    return node.xpath(path, namespaces=NS)


def sign(element, keys, algorithm="sha256"):
    """An enveloped signature of ``element`` (exclusive c14n), placed after its Issuer as the schema wants."""
    method = {"sha256": xmlsec.Transform.RSA_SHA256, "sha1": xmlsec.Transform.RSA_SHA1}[algorithm]
    digest = {"sha256": xmlsec.Transform.SHA256, "sha1": xmlsec.Transform.SHA1}[algorithm]
    signature = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, method, ns="ds")
    element.find(f"{{{SAML}}}Issuer").addnext(signature)
    reference = xmlsec.template.add_reference(signature, digest, uri="#" + element.get("ID"))
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(keys.key_pem, xmlsec.constants.KeyDataFormatPem, None)
    context.key.load_cert_from_memory(keys.cert_pem, xmlsec.constants.KeyDataFormatPem)
    context.register_id(element, "ID")
    context.sign(signature)
    return signature


def encode(root_or_bytes):
    raw = root_or_bytes if isinstance(root_or_bytes, bytes) else etree.tostring(root_or_bytes)
    return base64.b64encode(raw).decode()


@dataclass
class IdentityProvider:
    keys: KeyPair
    entity_id: str = ENTITY_ID

    def response_xml(self, acs, audience, in_response_to=None, name_id="ada@corp.example", attributes=None,
                     issuer=None, assertion_issuer=None, destination=None, recipient=None, scd_in_response_to="same",
                     not_before=None, not_on_or_after=None, scd_not_on_or_after=None, assertion_id=None,
                     sign_assertion=True, sign_response=False, algorithm="sha256", keys=None, status="Success",
                     before_signing=None):
        """A SAML Response (an lxml element), signed as asked. Every argument is a knob for a negative test.

        ``scd_in_response_to`` "same" copies ``in_response_to`` into the SubjectConfirmationData;
        ``before_signing(response, assertion)`` edits the tree before signatures are made.
        """
        now = datetime.now(UTC)
        keys = keys or self.keys
        attributes = {"Email": [name_id], "FirstName": ["Ada"], "LastName": ["Lovelace"], "Groups": ["labelers"]} \
            if attributes is None else attributes
        not_before = now - timedelta(minutes=1) if not_before is None else not_before
        not_on_or_after = now + timedelta(minutes=5) if not_on_or_after is None else not_on_or_after
        scd_not_on_or_after = not_on_or_after if scd_not_on_or_after is None else scd_not_on_or_after
        scd_irt = in_response_to if scd_in_response_to == "same" else scd_in_response_to

        response = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML}, ID=_id(), Version="2.0",
                                 IssueInstant=_instant(now), Destination=acs if destination is None else destination)
        if in_response_to:
            response.set("InResponseTo", in_response_to)
        etree.SubElement(response, f"{{{SAML}}}Issuer").text = issuer or self.entity_id
        status_el = etree.SubElement(response, f"{{{SAMLP}}}Status")
        etree.SubElement(status_el, f"{{{SAMLP}}}StatusCode", Value=f"urn:oasis:names:tc:SAML:2.0:status:{status}")

        assertion = etree.SubElement(response, f"{{{SAML}}}Assertion", ID=assertion_id or _id(), Version="2.0",
                                     IssueInstant=_instant(now))
        etree.SubElement(assertion, f"{{{SAML}}}Issuer").text = assertion_issuer or issuer or self.entity_id
        subject = etree.SubElement(assertion, f"{{{SAML}}}Subject")
        etree.SubElement(subject, f"{{{SAML}}}NameID", Format=EMAIL_FORMAT).text = name_id
        confirmation = etree.SubElement(subject, f"{{{SAML}}}SubjectConfirmation", Method=BEARER)
        data = etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData",
                                Recipient=acs if recipient is None else recipient,
                                NotOnOrAfter=_instant(scd_not_on_or_after))
        if scd_irt:
            data.set("InResponseTo", scd_irt)
        conditions = etree.SubElement(assertion, f"{{{SAML}}}Conditions", NotBefore=_instant(not_before),
                                      NotOnOrAfter=_instant(not_on_or_after))
        restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(restriction, f"{{{SAML}}}Audience").text = audience
        authn = etree.SubElement(assertion, f"{{{SAML}}}AuthnStatement", AuthnInstant=_instant(now),
                                 SessionIndex=_id())
        context = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
        etree.SubElement(context, f"{{{SAML}}}AuthnContextClassRef").text = \
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        if attributes:
            statement = etree.SubElement(assertion, f"{{{SAML}}}AttributeStatement")
            for name, values in attributes.items():
                attribute = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)
                for value in values:
                    etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = value

        if before_signing:
            before_signing(response, assertion)
        if sign_assertion:
            sign(assertion, keys, algorithm)
        if sign_response:
            sign(response, keys, algorithm)
        return response


    def logout_request(self, destination, name_id, session_index=None):
        """An IdP-initiated LogoutRequest, encoded for the HTTP-Redirect binding (unsigned, as the SP allows)."""
        now = datetime.now(UTC)
        message = etree.Element(f"{{{SAMLP}}}LogoutRequest", nsmap={"samlp": SAMLP, "saml": SAML}, ID=_id(),
                                Version="2.0", IssueInstant=_instant(now), Destination=destination,
                                NotOnOrAfter=_instant(now + timedelta(minutes=5)))
        etree.SubElement(message, f"{{{SAML}}}Issuer").text = self.entity_id
        etree.SubElement(message, f"{{{SAML}}}NameID", Format=EMAIL_FORMAT).text = name_id
        if session_index:
            etree.SubElement(message, f"{{{SAMLP}}}SessionIndex").text = session_index
        return message.get("ID"), deflate(message)

    def logout_response(self, destination, in_response_to, status="Success"):
        now = datetime.now(UTC)
        message = etree.Element(f"{{{SAMLP}}}LogoutResponse", nsmap={"samlp": SAMLP, "saml": SAML}, ID=_id(),
                                Version="2.0", IssueInstant=_instant(now), Destination=destination,
                                InResponseTo=in_response_to)
        etree.SubElement(message, f"{{{SAML}}}Issuer").text = self.entity_id
        status_el = etree.SubElement(message, f"{{{SAMLP}}}Status")
        etree.SubElement(status_el, f"{{{SAMLP}}}StatusCode", Value=f"urn:oasis:names:tc:SAML:2.0:status:{status}")
        return deflate(message)


def deflate(element):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(etree.tostring(element)) + compressor.flush()).decode()


# Reading what Tessera sends -----------------------------------------------------------------------------------

def authn_request(location):
    """The AuthnRequest carried by a redirect to the identity provider (HTTP-Redirect: deflated, base64)."""
    query = parse_qs(urlsplit(location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return etree.fromstring(xml), query.get("RelayState", [None])[0]


def redirect_message(location, name="SAMLResponse"):
    query = parse_qs(urlsplit(location).query)
    return etree.fromstring(zlib.decompress(base64.b64decode(query[name][0]), -15))


# Configuring an organization (the settings page is tested elsewhere; tests write the rows) -------------------

def configure(db, org, keys, **overrides):
    row = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none() or SsoSettings(org_id=org.id)
    values = {"enabled": True, "idp_entity_id": ENTITY_ID, "idp_sso_url": SSO_URL, "idp_slo_url": SLO_URL,
              "idp_certificates": [keys.cert_b64], "email_domains": ["corp.example"], **overrides}
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.commit()
    return row


def map_group(db, org, group, kind, **values):
    row = GroupMapping(org_id=org.id, group_name=group, kind=kind, **values)
    db.session.add(row)
    db.session.commit()
    return row


@dataclass
class SpClient:
    """The browser side: start a sign-in at Tessera, post the identity provider's answer back."""

    client: object
    org: object
    last_request_id: str | None = None
    sent: list = field(default_factory=list)

    @property
    def acs(self):
        return f"http://localhost/sso/{self.org.slug}/acs"

    @property
    def audience(self):
        return f"http://localhost/sso/{self.org.slug}/metadata"

    def start(self, next_path=None):
        query = {"next": next_path} if next_path else {}
        response = self.client.get(f"/sso/{self.org.slug}/login", query_string=query)
        assert response.status_code == 302, response.status_code
        request, _ = authn_request(response.headers["Location"])
        self.last_request_id = request.get("ID")
        return self.last_request_id

    def post(self, saml_response, relay_state=None, **kwargs):
        data = {"SAMLResponse": saml_response if isinstance(saml_response, str) else encode(saml_response)}
        if relay_state is not None:
            data["RelayState"] = relay_state
        # the identity provider's page posts cross-site: no CSRF token, no SameSite=Lax cookie
        return self.client.post(f"/sso/{self.org.slug}/acs", data=data, csrf=False, **kwargs)


# Fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def idp_keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("idp-keys")
    return {"idp": make_key_pair(directory, "idp"), "other": make_key_pair(directory, "attacker")}


@pytest.fixture
def idp(idp_keys):
    return IdentityProvider(idp_keys["idp"])


@pytest.fixture
def saml_org(app, db, dummy_org, people, idp_keys):
    """Acme with SAML sign-in through ``idp``; the group "labelers" maps to Annotator, "leads" to Manager."""
    from app.security.roles import Role

    configure(db, dummy_org, idp_keys["idp"])
    map_group(db, dummy_org, "labelers", "role", role=Role.ANNOTATOR)
    map_group(db, dummy_org, "leads", "role", role=Role.MANAGER)
    return dummy_org


@pytest.fixture
def sp(client, saml_org):
    return SpClient(client, saml_org)
