"""The SAML routes around the assertion consumer: start, login, metadata, single logout, and TLS behind a proxy."""
import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from lxml import etree
from sqlalchemy import select

from app import create_app
from app.audit.models import AuditEntry
from app.config import TestConfig
from app.sso.models import SamlRequest
from tests.conftest import Client, hx
from tests.sso.idp import SLO_URL, SSO_URL, SpClient, authn_request, configure, redirect_message

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def _session(client):
    with client.session_transaction() as session:
        return dict(session)


# Start ----------------------------------------------------------------------------------------------------------

def test_the_start_page_asks_for_the_organization(client, db):
    response = client.get("/sso/start")
    assert response.status_code == 200
    assert 'name="organization"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["acme", "ACME ", "ada@corp.example", "Someone@CORP.example"])
def test_start_finds_the_organization_by_slug_or_e_mail_domain(client, saml_org, value):
    response = client.post("/sso/start?next=/o/acme/projects", data={"organization": value})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sso/acme/login" and parse_qs(location.query)["next"] == ["/o/acme/projects"]


def test_start_answers_htmx_with_a_redirect_header(client, saml_org):
    response = client.post("/sso/start", data={"organization": "acme"}, headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/sso/acme/login")


@pytest.mark.parametrize("value", ["nobody", "ada@unknown.example", "other"])
def test_start_says_when_nothing_matches(client, saml_org, people, value):
    response = client.post("/sso/start", data={"organization": value}, headers=hx())
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "No organization with single sign-on matches" in body and "<html" not in body


def test_start_ignores_organizations_with_sso_switched_off(db, client, saml_org, idp_keys):
    configure(db, saml_org, idp_keys["idp"], enabled=False)
    assert client.post("/sso/start", data={"organization": "acme"}).status_code == 422
    assert client.post("/sso/start", data={"organization": "ada@corp.example"}).status_code == 422


def test_start_drops_a_next_that_leaves_the_site(client, saml_org):
    response = client.post("/sso/start?next=https://evil.example/", data={"organization": "acme"})
    assert "evil" not in response.headers["Location"]


# Login ------------------------------------------------------------------------------------------------------------

def test_login_redirects_to_the_identity_provider_with_a_stored_request(db, client, saml_org):
    response = client.get("/sso/acme/login?next=/o/acme/projects")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(SSO_URL + "?")
    request, _ = authn_request(location)
    assert request.get("AssertionConsumerServiceURL") == "http://localhost/sso/acme/acs"
    assert request.get("Destination") == SSO_URL
    issuer = request.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer").text
    assert issuer == "http://localhost/sso/acme/metadata"
    row = db.session.get(SamlRequest, request.get("ID"))
    assert row.org_id == saml_org.id and row.next_path == "/o/acme/projects" and row.used_at is None
    assert 9 <= (row.expires_at - row.created_at).total_seconds() / 60 <= 10


def test_login_keeps_only_our_own_next_path(db, client, saml_org):
    request, _ = authn_request(client.get("/sso/acme/login?next=https://evil.example/x").headers["Location"])
    assert db.session.get(SamlRequest, request.get("ID")).next_path is None


@pytest.mark.parametrize("path", ["/sso/nowhere/login", "/sso/other/login", "/sso/nowhere/metadata"])
def test_unknown_organizations_and_organizations_without_sso_answer_404(client, saml_org, people, path):
    assert client.get(path).status_code == 404


def test_routes_answer_404_while_sso_is_switched_off(db, client, saml_org, idp_keys):
    configure(db, saml_org, idp_keys["idp"], enabled=False)
    assert client.get("/sso/acme/login").status_code == 404
    assert client.post("/sso/acme/acs", data={"SAMLResponse": "x"}, csrf=False).status_code == 404
    assert client.get("/sso/acme/slo").status_code == 404


# Metadata ---------------------------------------------------------------------------------------------------------

def test_metadata_describes_the_service_provider(client, saml_org):
    response = client.get("/sso/acme/metadata")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"].startswith("application/samlmetadata+xml")
    root = etree.fromstring(response.data)
    assert root.get("entityID") == "http://localhost/sso/acme/metadata"
    assert root.get("validUntil") is None  # a copy kept by the identity provider does not expire
    descriptor = root.find(f"{{{MD}}}SPSSODescriptor")
    assert descriptor.get("WantAssertionsSigned") == "true"
    assert descriptor.get("AuthnRequestsSigned") == "false"
    acs = descriptor.find(f"{{{MD}}}AssertionConsumerService")
    assert acs.get("Location") == "http://localhost/sso/acme/acs"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    slo = descriptor.find(f"{{{MD}}}SingleLogoutService")
    assert slo.get("Location") == "http://localhost/sso/acme/slo"


def test_metadata_is_offered_before_sso_is_switched_on(db, client, saml_org, idp_keys):
    # the identity provider's administrator needs it to set Tessera up before the organization switches on
    configure(db, saml_org, idp_keys["idp"], enabled=False, idp_certificates=[])
    assert client.get("/sso/acme/metadata").status_code == 200


def test_metadata_is_offered_before_anything_is_saved(client, people):
    response = client.get("/sso/other/metadata")  # an organization that never opened its SSO settings
    assert response.status_code == 200
    assert etree.fromstring(response.data).get("entityID") == "http://localhost/sso/other/metadata"


# Single logout ------------------------------------------------------------------------------------------------------

def _signed_in_browser(sp, idp):
    browser = SpClient(sp.client.application.test_client(), sp.org)
    request_id = browser.start()
    assert browser.post(idp.response_xml(browser.acs, browser.audience, in_response_to=request_id)).status_code == 303
    return browser, _session(browser.client)


def test_logout_requested_by_the_identity_provider_ends_the_session(db, sp, idp):
    browser, session = _signed_in_browser(sp, idp)
    request_id, message = idp.logout_request("http://localhost/sso/acme/slo", session["saml"]["name_id"],
                                             session["saml"]["session_index"])
    response = browser.client.get("/sso/acme/slo", query_string={"SAMLRequest": message, "RelayState": "x"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(SLO_URL + "?")
    answer = redirect_message(response.headers["Location"])
    assert answer.get("InResponseTo") == request_id
    assert answer.find("{*}Status/{*}StatusCode").get("Value").endswith(":Success")
    assert "_user_id" not in _session(browser.client)
    assert browser.client.get("/").status_code == 302
    logout = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.logout")).scalars().all()
    assert logout


def test_a_logout_request_by_post_binding_is_answered(db, sp, idp):
    # the POST binding sends the message base64-encoded without deflating it, and no CSRF token
    request_id, deflated = idp.logout_request("http://localhost/sso/acme/slo", "ada@corp.example")
    plain = base64.b64encode(zlib.decompress(base64.b64decode(deflated), -15)).decode()
    response = sp.client.post("/sso/acme/slo", data={"SAMLRequest": plain}, csrf=False)
    assert response.status_code == 302
    assert redirect_message(response.headers["Location"]).get("InResponseTo") == request_id


def test_a_logout_request_for_someone_else_leaves_the_session(db, sp, idp):
    browser, _ = _signed_in_browser(sp, idp)
    _, message = idp.logout_request("http://localhost/sso/acme/slo", "someone.else@corp.example")
    assert browser.client.get("/sso/acme/slo", query_string={"SAMLRequest": message}).status_code == 302
    assert "_user_id" in _session(browser.client)


def test_a_logout_request_from_another_issuer_is_refused(db, sp, idp):
    browser, session = _signed_in_browser(sp, idp)
    idp.entity_id = "https://evil-idp.example/metadata"
    _, message = idp.logout_request("http://localhost/sso/acme/slo", session["saml"]["name_id"])
    response = browser.client.get("/sso/acme/slo", query_string={"SAMLRequest": message})
    assert response.status_code == 400
    assert "_user_id" in _session(browser.client)


def test_a_malformed_logout_message_answers_400(db, sp, idp):
    browser, _ = _signed_in_browser(sp, idp)
    assert browser.client.get("/sso/acme/slo", query_string={"SAMLRequest": "%%%"}).status_code == 400
    assert browser.client.get("/sso/acme/slo").status_code == 400


def test_signing_out_continues_at_the_identity_provider(db, sp, idp):
    browser, session = _signed_in_browser(sp, idp)
    response = browser.client.post("/logout")
    # a page of ours moves on to the identity provider: the page's form-action policy stops a cross-site redirect
    assert response.status_code == 200
    page = lxml.html.fromstring(response.data)
    location = page.xpath("//meta[@http-equiv='refresh']/@content")[0].split("url=", 1)[1]
    assert location.startswith(SLO_URL + "?")
    assert page.xpath("//a[text()='Continue to the identity provider']/@href") == [location]
    logout_request = redirect_message(location, "SAMLRequest")
    assert logout_request.find("{*}NameID").text == session["saml"]["name_id"]
    assert "_user_id" not in _session(browser.client)
    answer = idp.logout_response("http://localhost/sso/acme/slo", logout_request.get("ID"))
    done = browser.client.get("/sso/acme/slo", query_string={"SAMLResponse": answer})
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/login"
    assert "saml_logout_id" not in _session(browser.client)


def test_signing_out_with_htmx_continues_at_the_identity_provider(db, sp, idp):
    browser, _ = _signed_in_browser(sp, idp)
    response = browser.client.post("/logout", headers=hx())
    assert response.headers["HX-Redirect"].startswith(SLO_URL + "?")


def test_a_logout_response_to_another_request_is_refused(db, sp, idp):
    browser, _ = _signed_in_browser(sp, idp)
    browser.client.post("/logout")
    answer = idp.logout_response("http://localhost/sso/acme/slo", "_not_ours")
    assert browser.client.get("/sso/acme/slo", query_string={"SAMLResponse": answer}).status_code == 400


def test_an_unasked_logout_response_leaves_the_session(db, sp, idp):
    browser, _ = _signed_in_browser(sp, idp)
    answer = idp.logout_response("http://localhost/sso/acme/slo", "_anything")
    assert browser.client.get("/sso/acme/slo", query_string={"SAMLResponse": answer}).status_code == 400
    assert "_user_id" in _session(browser.client)


def test_password_sessions_sign_out_locally(client_for, people):
    client = client_for(people["annotator"])
    response = client.post("/logout")
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/login"


# Behind a TLS-terminating proxy -------------------------------------------------------------------------------------

class ProxiedConfig(TestConfig):
    PROXY_FIX_HOPS = 1


@pytest.fixture
def proxied(app, db):
    proxied_app = create_app(ProxiedConfig)
    proxied_app.test_client_class = Client
    # like the suite's app, a context stays pushed, so requests do not end the test's database session
    with proxied_app.app_context():
        yield proxied_app.test_client()


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tessera.example.com", "X-Forwarded-For": "203.0.113.9"}


def test_behind_a_proxy_the_public_https_urls_are_used_and_checked(db, proxied, saml_org, idp):
    public_acs = "https://tessera.example.com/sso/acme/acs"
    start = proxied.get("/sso/acme/login", headers=FORWARDED)
    request, _ = authn_request(start.headers["Location"])
    assert request.get("AssertionConsumerServiceURL") == public_acs
    metadata = etree.fromstring(proxied.get("/sso/acme/metadata", headers=FORWARDED).data)
    assert metadata.get("entityID") == "https://tessera.example.com/sso/acme/metadata"

    response = idp.response_xml(public_acs, metadata.get("entityID"), in_response_to=request.get("ID"))
    browser = SpClient(proxied, saml_org)
    # the same response, reaching Tessera without the proxy's headers, names another destination
    direct = browser.post(response)
    assert direct.status_code == 400
    accepted = browser.post(response, headers=FORWARDED)
    assert accepted.status_code == 303, accepted.get_data(as_text=True)
    assert urlsplit(accepted.headers["Location"]).path == "/o/acme/"
    assert "Secure" in accepted.headers["Set-Cookie"]


# Rate limits --------------------------------------------------------------------------------------------------------

class LimitedConfig(TestConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_SSO = "2 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None


@pytest.mark.parametrize("path, data", [("/sso/acme/acs", {"SAMLResponse": "x"}), ("/sso/start", {"organization": "x"})])
def test_the_assertion_consumer_and_start_are_rate_limited(app, db, saml_org, path, data):
    from app.extensions import limiter

    limited = create_app(LimitedConfig)
    limited.test_client_class = Client
    try:
        with limited.app_context():
            client = limited.test_client()
            # the identity provider's POST carries no CSRF token; the start form does
            statuses = [client.post(path, data=data, csrf=path == "/sso/start").status_code for _ in range(3)]
    finally:
        limiter.enabled = app.config["RATELIMIT_ENABLED"]  # the limiter is shared by every app instance
    assert statuses[2] == 429 and 429 not in statuses[:2]
