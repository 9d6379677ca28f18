"""Every response the assertion consumer must refuse: no session, no account, an audit entry, 400 or 403."""
import base64
import copy
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import select, update

from app.audit.models import AuditEntry
from app.auth.models import User
from app.sso.models import SamlAssertionSeen, SamlRequest
from tests.sso.idp import DS, SAMLP, SpClient, configure, encode, q, sign

EMAIL = "ada@corp.example"


def assert_refused(sp, response, status, reason, absent=EMAIL):
    """The refusal's status, no session, no account for ``absent``, and the audit entry naming ``reason``."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:2000]
    assert "could not be signed in" in body
    with sp.client.session_transaction() as session:
        assert "_user_id" not in session
    follow = sp.client.get("/")
    assert follow.status_code == 302 and "/login" in follow.headers["Location"]
    from app.extensions import db

    if absent:
        assert db.session.execute(select(User).where(User.email == absent)).scalar_one_or_none() is None
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.org_id == sp.org.id, AuditEntry.action == "auth.login_failed")
        .order_by(AuditEntry.id.desc())
    ).scalars().all()
    assert entries, "no audit entry for the refusal"
    assert entries[0].data["method"] == "saml"
    assert reason.lower() in entries[0].data["reason"].lower(), entries[0].data["reason"]
    return entries[0]


def _response(sp, idp, **knobs):
    knobs.setdefault("in_response_to", sp.start())
    return idp.response_xml(sp.acs, sp.audience, **knobs)


# Signatures ---------------------------------------------------------------------------------------------------

def test_unsigned_response_is_refused(db, sp, idp):
    assert_refused(sp, sp.post(_response(sp, idp, sign_assertion=False)), 400, "not signed")


def test_unsigned_assertion_in_a_signed_response_is_refused(db, sp, idp):
    response = _response(sp, idp, sign_assertion=False, sign_response=True)
    assert_refused(sp, sp.post(response), 400, "assertion of the response is not signed")


def test_signed_response_and_assertion_is_accepted(db, sp, idp):
    # the counterpart of the test above: wantMessagesSigned is off, yet a signed response still verifies
    response = sp.post(_response(sp, idp, sign_response=True))
    assert response.status_code == 303


def test_signature_by_another_key_is_refused(db, sp, idp, idp_keys):
    response = _response(sp, idp, keys=idp_keys["other"])
    assert_refused(sp, sp.post(response), 400, "signature validation failed")


def test_response_signed_by_another_key_over_a_good_assertion_is_refused(db, sp, idp, idp_keys):
    def resign(response, assertion):
        sign(assertion, idp_keys["idp"])

    response = _response(sp, idp, sign_assertion=False, before_signing=resign, sign_response=True,
                         keys=idp_keys["other"])
    assert_refused(sp, sp.post(response), 400, "signature validation failed")


def test_name_id_edited_after_signing_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id="someone@corp.example",
                         attributes={"Email": [EMAIL], "Groups": ["labelers"]})
    q(response, "//saml:NameID")[0].text = EMAIL
    assert_refused(sp, sp.post(response), 400, "signature validation failed")


def test_attribute_edited_after_signing_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL, attributes={"Email": [EMAIL], "Groups": ["labelers"]})
    q(response, "//saml:Attribute[@Name='Groups']/saml:AttributeValue")[0].text = "leads"
    assert_refused(sp, sp.post(response), 400, "signature validation failed")


def test_sha1_signature_is_refused(db, sp, idp):
    assert_refused(sp, sp.post(_response(sp, idp, algorithm="sha1")), 400, "deprecated signature algorithm")


def test_certificate_rollover_accepts_either_listed_certificate(db, sp, idp, idp_keys):
    configure(db, sp.org, idp_keys["idp"], idp_certificates=[idp_keys["other"].cert_b64, idp_keys["idp"].cert_b64])
    assert sp.post(_response(sp, idp)).status_code == 303


# Conditions, audience, destination, recipient, issuer -----------------------------------------------------------

def test_expired_conditions_are_refused(db, sp, idp):
    past = datetime.now(UTC) - timedelta(hours=1)
    response = _response(sp, idp, not_before=past - timedelta(minutes=5), not_on_or_after=past,
                         scd_not_on_or_after=datetime.now(UTC) + timedelta(minutes=5))
    assert_refused(sp, sp.post(response), 400, "expired")


def test_not_yet_valid_conditions_are_refused(db, sp, idp):
    response = _response(sp, idp, not_before=datetime.now(UTC) + timedelta(hours=1))
    assert_refused(sp, sp.post(response), 400, "not yet valid")


def test_wrong_audience_is_refused(db, sp, idp):
    response = idp.response_xml(sp.acs, "https://other-sp.example/metadata", in_response_to=sp.start())
    assert_refused(sp, sp.post(response), 400, "not a valid audience")


def test_wrong_destination_is_refused(db, sp, idp):
    response = _response(sp, idp, destination="https://other-sp.example/acs")
    assert_refused(sp, sp.post(response), 400, "was received at")


def test_wrong_recipient_is_refused(db, sp, idp):
    response = _response(sp, idp, recipient="https://other-sp.example/acs")
    assert_refused(sp, sp.post(response), 400, "subjectconfirmation")


def test_wrong_issuer_is_refused(db, sp, idp):
    response = _response(sp, idp, issuer="https://evil-idp.example/metadata")
    assert_refused(sp, sp.post(response), 400, "invalid issuer")


def test_failed_status_is_refused(db, sp, idp):
    response = _response(sp, idp, status="Responder")
    assert_refused(sp, sp.post(response), 400, "status code")


# The request a response answers, and replays --------------------------------------------------------------------

def test_the_same_response_twice_is_refused(db, sp, idp):
    response = _response(sp, idp)
    assert sp.post(response).status_code == 303
    replay = SpClient(sp.client.application.test_client(), sp.org)
    assert_refused(replay, replay.post(response), 403, "request already answered", absent=None)


def test_an_assertion_id_reused_with_a_new_request_is_refused(db, sp, idp):
    first = _response(sp, idp)
    assert sp.post(first).status_code == 303
    assertion_id = q(first, "//saml:Assertion")[0].get("ID")
    again = SpClient(sp.client.application.test_client(), sp.org)
    response = _response(again, idp, assertion_id=assertion_id)
    assert_refused(again, again.post(response), 403, "replayed assertion", absent=None)
    seen = db.session.execute(select(SamlAssertionSeen).where(SamlAssertionSeen.assertion_id == assertion_id))
    assert len(seen.scalars().all()) == 1


def test_a_request_answered_twice_is_refused(db, sp, idp):
    request_id = sp.start()
    assert sp.post(idp.response_xml(sp.acs, sp.audience, in_response_to=request_id)).status_code == 303
    other = SpClient(sp.client.application.test_client(), sp.org)
    second = idp.response_xml(other.acs, other.audience, in_response_to=request_id, name_id="bob@corp.example")
    assert_refused(other, other.post(second), 403, "request already answered", absent="bob@corp.example")


def test_unknown_in_response_to_is_refused(db, sp, idp):
    sp.start()
    response = idp.response_xml(sp.acs, sp.audience, in_response_to="_never_sent_by_us")
    assert_refused(sp, sp.post(response), 403, "unknown inresponseto")


def test_an_expired_request_is_refused(db, sp, idp):
    request_id = sp.start()
    db.session.execute(update(SamlRequest).where(SamlRequest.id == request_id)
                       .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()
    response = idp.response_xml(sp.acs, sp.audience, in_response_to=request_id)
    assert_refused(sp, sp.post(response), 403, "request expired")


def test_another_organizations_request_is_refused(db, sp, idp, idp_keys, people):
    other_org = people["other_org"]
    configure(db, other_org, idp_keys["idp"], email_domains=["other.example"])
    other_request = SpClient(sp.client.application.test_client(), other_org).start()
    response = idp.response_xml(sp.acs, sp.audience, in_response_to=other_request)
    assert_refused(sp, sp.post(response), 403, "another organization")


def test_a_request_is_stored_server_side_not_in_the_cookie(db, sp):
    request_id = sp.start("/o/acme/")
    row = db.session.get(SamlRequest, request_id)
    assert row.org_id == sp.org.id and row.next_path == "/o/acme/" and row.used_at is None
    with sp.client.session_transaction() as session:
        assert request_id not in str(dict(session))


def test_unsolicited_response_is_refused_unless_allowed(db, sp, idp):
    response = idp.response_xml(sp.acs, sp.audience)
    assert_refused(sp, sp.post(response, relay_state="/o/acme/"), 403, "unsolicited")


def test_a_solicited_assertion_cannot_pass_as_unsolicited(db, sp, idp, idp_keys):
    configure(db, sp.org, idp_keys["idp"], allow_idp_initiated=True)
    response = idp.response_xml(sp.acs, sp.audience, scd_in_response_to=sp.start())  # response-level id removed
    assert_refused(sp, sp.post(response), 400, "answers a request")


def test_in_response_to_must_match_the_signed_assertion(db, sp, idp):
    first, second = sp.start(), sp.start()
    response = idp.response_xml(sp.acs, sp.audience, in_response_to=second, scd_in_response_to=first)
    assert_refused(sp, sp.post(response), 400, "subjectconfirmation")


# Signature wrapping -------------------------------------------------------------------------------------------

def _evil_copy(assertion):
    evil = copy.deepcopy(assertion)
    for signature in evil.findall(f"{{{DS}}}Signature"):
        evil.remove(signature)
    evil.set("ID", "_evil")
    q(evil, "saml:Subject/saml:NameID")[0].text = "mallory@corp.example"
    return evil


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_second_unsigned_assertion_is_refused(db, sp, idp, where):
    response = _response(sp, idp, name_id=EMAIL)
    signed = q(response, "saml:Assertion")[0]
    evil = _evil_copy(signed)
    (signed.addprevious if where == "before" else signed.addnext)(evil)
    assert_refused(sp, sp.post(response), 400, "1 assertion")


def test_the_signed_assertion_moved_into_extensions_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL)
    signed = q(response, "saml:Assertion")[0]
    evil = _evil_copy(signed)
    evil.set("ID", signed.get("ID"))
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    q(response, "saml:Issuer")[0].addnext(extensions)
    signed.addprevious(evil)
    extensions.append(signed)
    assert_refused(sp, sp.post(response), 400, "1 assertion")


def test_the_signed_assertion_wrapped_in_a_signature_object_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL)
    signed = q(response, "saml:Assertion")[0]
    evil = _evil_copy(signed)
    evil.set("ID", signed.get("ID"))
    # the evil assertion carries the original signature, whose ds:Object now holds the signed assertion
    signature = copy.deepcopy(q(signed, "ds:Signature")[0])
    q(evil, "saml:Issuer")[0].addnext(signature)
    holder = etree.SubElement(signature, f"{{{DS}}}Object")
    signed.addprevious(evil)
    holder.append(signed)
    assert_refused(sp, sp.post(response), 400, "1 assertion")


def test_a_response_signature_referring_to_another_element_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL)
    assertion_signature = q(response, "saml:Assertion/ds:Signature")[0]
    q(response, "saml:Issuer")[0].addnext(copy.deepcopy(assertion_signature))
    assert_refused(sp, sp.post(response), 400, "signed element")


def test_an_evil_assertion_under_the_original_signature_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL)
    signed = q(response, "saml:Assertion")[0]
    evil = _evil_copy(signed)
    evil.set("ID", signed.get("ID"))
    q(evil, "saml:Issuer")[0].addnext(copy.deepcopy(q(signed, "ds:Signature")[0]))
    signed.getparent().replace(signed, evil)
    assert_refused(sp, sp.post(response), 400, "signature validation failed")


# Comment injection and parser attacks -----------------------------------------------------------------------------

def _with_comment(text, before, inserted):
    return text.replace(before, before + inserted, 1)


def test_comment_injection_in_the_name_id_is_refused(db, sp, idp):
    # signed for a look-alike account; the comment would cut it to the victim's address in a naive reader
    response = _response(sp, idp, name_id="ada@corp.example.evil.test",
                         attributes={"Email": ["ada@corp.example.evil.test"], "Groups": ["labelers"]})
    raw = etree.tostring(response).decode()
    raw = _with_comment(raw, f"Format=\"{q(response, '//saml:NameID')[0].get('Format')}\">ada@corp.example",
                        "<!---->")
    assert "<!---->" in raw
    assert_refused(sp, sp.post(encode(raw.encode())), 400, "comment inside the assertion")


def test_comment_injection_in_an_attribute_is_refused(db, sp, idp):
    response = _response(sp, idp, attributes={"Email": [EMAIL], "Groups": ["leadsx"]})
    raw = etree.tostring(response).decode().replace(">leadsx<", "><!--x-->leadsx<", 1)
    assert_refused(sp, sp.post(encode(raw.encode())), 400, "comment inside the assertion")


def test_processing_instruction_in_the_name_id_is_refused(db, sp, idp):
    response = _response(sp, idp, name_id=EMAIL)
    raw = etree.tostring(response).decode().replace(f">{EMAIL}</saml:NameID>", f">{EMAIL}<?x y?></saml:NameID>", 1)
    assert "<?x y?>" in raw
    assert_refused(sp, sp.post(encode(raw.encode())), 400, "processing instruction")


BILLION_LAUGHS = (
    '<!DOCTYPE samlp:Response [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL_ENTITY = '<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype, entity", [(BILLION_LAUGHS, "&lol3;"), (EXTERNAL_ENTITY, "&xxe;"),
                                             ('<!DOCTYPE samlp:Response>', None)],
                         ids=["billion-laughs", "external-entity", "bare-doctype"])
def test_doctype_and_entities_are_refused(db, sp, idp, doctype, entity):
    raw = etree.tostring(_response(sp, idp, name_id=EMAIL)).decode()
    if entity:
        raw = raw.replace(f">{EMAIL}<", f">{entity}<", 1)
    response = sp.post(encode((doctype + raw).encode()))
    assert "root:" not in response.get_data(as_text=True)
    assert_refused(sp, response, 400, "unreadable response")


@pytest.mark.parametrize("payload, reason", [
    ("%%% not base64 %%%", "malformed base64"),
    (base64.b64encode(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>").decode(),
     "unreadable response"),
    (base64.b64encode(b"\x00\xff\xfe garbage").decode(), "unreadable response"),
    (base64.b64encode(b"<root/>").decode(), "invalid response"),
    ("", "no samlresponse"),
], ids=["bad-base64", "truncated-xml", "binary", "not-a-response", "empty"])
def test_malformed_input_answers_400_not_500(db, sp, payload, reason):
    assert_refused(sp, sp.post(payload), 400, reason)


def test_a_response_missing_its_assertion_answers_400(db, sp, idp):
    response = _response(sp, idp, sign_assertion=False)
    response.remove(q(response, "saml:Assertion")[0])
    sign(response, idp.keys)
    assert_refused(sp, sp.post(response), 400, "invalid response")


def test_refusals_keep_their_audit_entry_in_the_organizations_chain(db, sp, idp):
    entry = assert_refused(sp, sp.post(_response(sp, idp, sign_assertion=False)), 400, "not signed")
    assert entry.chain  # written to the organization's hash chain, not rolled back with the request
    assert entry.org_id == sp.org.id
