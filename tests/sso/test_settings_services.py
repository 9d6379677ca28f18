"""Single sign-on settings services: identity-provider metadata and manual entry, attribute names, policy, group
mapping; each change checked, stored and audited with what it changed."""
import base64
import hashlib

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.errors import Refused
from app.orgs.models import Workspace
from app.orgs.services import create_workspace, ensure_sandbox, owner_of
from app.security.roles import Role
from app.sso import settings as services
from app.sso.models import GroupMapping
from app.sso.provisioning import Mapping, settings_of
from tests.sso.idp import make_key_pair

# Metadata documents -----------------------------------------------------------------------------------------

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def key_descriptor(cert_b64, use="signing"):
    use_attr = f' use="{use}"' if use else ""
    # the certificate wrapped over lines, as identity providers publish it
    wrapped = "\n".join(cert_b64[i:i + 64] for i in range(0, len(cert_b64), 64))
    return (f'<md:KeyDescriptor{use_attr}><ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data>'
            f"<ds:X509Certificate>\n{wrapped}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>")


def entity(entity_id, certs, sso_binding=REDIRECT, sso_url="https://idp.example.test/sso",
           slo_url="https://idp.example.test/slo", xmlns=True):
    """An EntityDescriptor with an IDPSSODescriptor; ``certs`` is a list of (base64 DER, use)."""
    ns = f' xmlns:md="{MD}"' if xmlns else ""
    keys = "".join(key_descriptor(cert, use) for cert, use in certs)
    slo = f'<md:SingleLogoutService Binding="{REDIRECT}" Location="{slo_url}"/>' if slo_url else ""
    return (f'<md:EntityDescriptor{ns} entityID="{entity_id}">\n'
            f'  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
            f"    {keys}\n    {slo}\n"
            f'    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n'
            f'    <md:SingleSignOnService Binding="{sso_binding}" Location="{sso_url}"/>\n'
            f"  </md:IDPSSODescriptor>\n</md:EntityDescriptor>")


def metadata(entity_id, cert_b64, **kwargs):
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + entity(entity_id, [(cert_b64, "signing")], **kwargs)


def several(*entities):
    return f'<md:EntitiesDescriptor xmlns:md="{MD}">' + "".join(entities) + "</md:EntitiesDescriptor>"


def audit(db, action):
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).scalars().all()


def fingerprint(cert_b64):
    return hashlib.sha256(base64.b64decode(cert_b64)).hexdigest()


@pytest.fixture(scope="module")
def certs(idp_keys, tmp_path_factory):
    """Three throwaway certificates: the identity provider's, a second one for rollover, an encryption one."""
    extra = make_key_pair(tmp_path_factory.mktemp("settings-keys"), "rollover")
    return {"idp": idp_keys["idp"], "rollover": extra, "other": idp_keys["other"]}


@pytest.fixture
def owner(people):
    return people["owner"]


# Metadata ---------------------------------------------------------------------------------------------------

def test_metadata_with_a_signing_certificate_is_stored_and_audited(db, dummy_org, owner, certs):
    document = metadata("https://idp.example.test/metadata", certs["idp"].cert_b64)
    services.save_idp_metadata(owner, dummy_org, document)
    row = settings_of(dummy_org)
    assert row.idp_entity_id == "https://idp.example.test/metadata"
    assert row.idp_sso_url == "https://idp.example.test/sso"
    assert row.idp_slo_url == "https://idp.example.test/slo"
    assert row.idp_certificates == [certs["idp"].cert_b64]  # base64 DER, no armour, no line breaks
    assert row.idp_metadata_xml == document.strip()
    assert row.is_configured and not row.enabled
    entry = audit(db, "sso.settings_changed")[-1]
    assert entry.actor_id == owner.id and entry.org_id == dummy_org.id
    assert entry.data["section"] == "identity_provider"
    assert entry.data["before"]["idp_entity_id"] == "" and entry.data["before"]["idp_certificates"] == []
    assert entry.data["after"]["idp_entity_id"] == "https://idp.example.test/metadata"
    assert entry.data["after"]["idp_certificates"] == [fingerprint(certs["idp"].cert_b64)]


def test_saving_the_same_metadata_again_audits_nothing(db, dummy_org, owner, certs):
    document = metadata("https://idp.example.test/metadata", certs["idp"].cert_b64)
    services.save_idp_metadata(owner, dummy_org, document)
    count = len(audit(db, "sso.settings_changed"))
    services.save_idp_metadata(owner, dummy_org, document)
    assert len(audit(db, "sso.settings_changed")) == count


def test_several_signing_certificates_are_all_kept_and_encryption_ones_left_out(dummy_org, owner, certs):
    document = entity("https://idp.example.test/metadata", [
        (certs["idp"].cert_b64, "signing"), (certs["rollover"].cert_b64, None), (certs["other"].cert_b64, "encryption"),
    ])
    services.save_idp_metadata(owner, dummy_org, document)
    assert settings_of(dummy_org).idp_certificates == [certs["idp"].cert_b64, certs["rollover"].cert_b64]


def test_uploaded_bytes_are_read_as_utf8(dummy_org, owner, certs):
    document = metadata("https://idp.example.test/metadata", certs["idp"].cert_b64).encode("utf-8")
    services.save_idp_metadata(owner, dummy_org, b"\xef\xbb\xbf" + document)
    assert settings_of(dummy_org).idp_entity_id == "https://idp.example.test/metadata"
    with pytest.raises(Refused, match="not UTF-8"):
        services.parse_idp_metadata(b"\xff\xfe<x/>")


def _refusal(document, entity_id=None):
    with pytest.raises(Refused) as caught:
        services.parse_idp_metadata(document, entity_id)
    return caught.value


def test_metadata_without_a_redirect_sign_in_service_is_refused(certs):
    refusal = _refusal(metadata("https://idp.example.test/metadata", certs["idp"].cert_b64, sso_binding=POST))
    assert "SingleSignOnService with the HTTP-Redirect binding" in refusal.message
    assert refusal.field == "metadata_xml"


def test_metadata_without_a_signing_certificate_is_refused(certs):
    only_encryption = entity("https://idp.example.test/metadata", [(certs["idp"].cert_b64, "encryption")])
    assert "no signing certificate" in _refusal(only_encryption).message
    assert "no signing certificate" in _refusal(entity("https://idp.example.test/metadata", [])).message


def test_metadata_with_a_broken_certificate_is_refused(certs):
    broken = certs["idp"].cert_b64[:40] + certs["idp"].cert_b64[60:]
    assert "not valid" in _refusal(metadata("https://idp.example.test/metadata", broken)).message


def test_malformed_metadata_names_the_line():
    document = ('<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">\n'
                "  <md:IDPSSODescriptor>\n</md:EntityDescriptor>\n")
    refusal = _refusal(document)
    assert refusal.message.startswith("The metadata is not well-formed XML (line 4)")
    assert refusal.field == "metadata_xml"


@pytest.mark.parametrize("document", [
    ('<!DOCTYPE md:EntityDescriptor SYSTEM "http://attacker.example/x.dtd"><md:EntityDescriptor '
     'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>'),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>'),
], ids=["external-dtd", "entities"])
def test_doctype_and_entities_are_refused(dummy_org, owner, document):
    with pytest.raises(Refused, match="DOCTYPE or entity declaration"):
        services.save_idp_metadata(owner, dummy_org, document)
    assert settings_of(dummy_org).idp_entity_id == ""


def test_a_service_provider_document_is_not_an_identity_provider():
    document = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="sp">'
                '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
                "</md:EntityDescriptor>")
    assert "describes no identity provider" in _refusal(document).message
    assert "Paste" in _refusal("   ").message


def test_several_identity_providers_ask_for_the_entity_id(dummy_org, owner, certs):
    document = several(
        entity("https://first.example/idp", [(certs["idp"].cert_b64, "signing")], xmlns=False),
        entity("https://second.example/idp", [(certs["rollover"].cert_b64, "signing")], xmlns=False,
               sso_url="https://second.example/sso"),
    )
    refusal = _refusal(document)
    assert isinstance(refusal, services.SeveralProviders)
    assert refusal.entity_ids == ["https://first.example/idp", "https://second.example/idp"]
    assert refusal.field == "metadata_entity_id"
    unknown = _refusal(document, "https://third.example/idp")
    assert "https://third.example/idp" in unknown.message and unknown.entity_ids == refusal.entity_ids
    # a quote in the chosen id reaches no XPath expression
    assert isinstance(_refusal(document, "x'] | //*['"), services.SeveralProviders)

    services.save_idp_metadata(owner, dummy_org, document, "https://second.example/idp")
    row = settings_of(dummy_org)
    assert (row.idp_entity_id, row.idp_sso_url) == ("https://second.example/idp", "https://second.example/sso")
    assert row.idp_certificates == [certs["rollover"].cert_b64]


def test_certificate_details_for_the_page(certs):
    info = services.certificate_info(certs["rollover"].cert_b64)
    assert info.subject == "rollover"
    assert info.not_before < info.not_after
    assert info.fingerprint.replace(":", "").lower() == fingerprint(certs["rollover"].cert_b64)


# Manual entry -----------------------------------------------------------------------------------------------

def test_manual_entry_with_a_pem_certificate(db, dummy_org, owner, certs):
    services.save_idp_metadata(owner, dummy_org, metadata("https://old.example/idp", certs["other"].cert_b64))
    services.save_idp_manual(owner, dummy_org, " https://idp.example.test/metadata ", "https://idp.example.test/sso",
                             "", certs["idp"].cert_pem.decode())
    row = settings_of(dummy_org)
    assert row.idp_entity_id == "https://idp.example.test/metadata"
    assert row.idp_slo_url == "" and row.idp_certificates == [certs["idp"].cert_b64]
    assert row.idp_metadata_xml is None  # the pasted document no longer describes what is stored
    entry = audit(db, "sso.settings_changed")[-1]
    assert entry.data["before"]["idp_entity_id"] == "https://old.example/idp"
    assert entry.data["after"]["idp_certificates"] == [fingerprint(certs["idp"].cert_b64)]


def test_manual_entry_with_bare_base64_and_several_pem_blocks(dummy_org, owner, certs):
    wrapped = "\n".join(certs["idp"].cert_b64[i:i + 64] for i in range(0, len(certs["idp"].cert_b64), 64))
    services.save_idp_manual(owner, dummy_org, "https://idp.example.test/metadata", "http://127.0.0.1:8080/sso", "",
                             wrapped)
    assert settings_of(dummy_org).idp_certificates == [certs["idp"].cert_b64]
    both = certs["idp"].cert_pem.decode() + "\n" + certs["rollover"].cert_pem.decode()
    services.save_idp_manual(owner, dummy_org, "https://idp.example.test/metadata", "https://idp.example.test/sso",
                             "https://idp.example.test/slo", both)
    assert settings_of(dummy_org).idp_certificates == [certs["idp"].cert_b64, certs["rollover"].cert_b64]


def test_manual_entry_keeps_the_stored_certificates_when_left_blank(dummy_org, owner, certs):
    with pytest.raises(Refused, match="signing certificate") as caught:
        services.save_idp_manual(owner, dummy_org, "https://idp.example.test/metadata", "https://idp.example.test/sso")
    assert caught.value.field == "certificate"
    services.save_idp_manual(owner, dummy_org, "https://idp.example.test/metadata", "https://idp.example.test/sso",
                             "", certs["idp"].cert_b64)
    services.save_idp_manual(owner, dummy_org, "https://idp.example.test/metadata", "https://idp.example.test/sso2")
    row = settings_of(dummy_org)
    assert row.idp_sso_url == "https://idp.example.test/sso2" and row.idp_certificates == [certs["idp"].cert_b64]


@pytest.mark.parametrize("entity_id,sso,slo,certificate,field,message", [
    ("", "https://idp/sso", "", "CERT", "entity_id", "entity id"),
    ("x" * 501, "https://idp/sso", "", "CERT", "entity_id", "500"),
    ("https://idp", "", "", "CERT", "sso_url", "Enter the sign-in"),
    ("https://idp", "ftp://idp/sso", "", "CERT", "sso_url", "http:// or https://"),
    ("https://idp", "javascript:alert(1)", "", "CERT", "sso_url", "http:// or https://"),
    ("https://idp", "https://idp/sso", "idp/slo", "CERT", "slo_url", "http:// or https://"),
    ("https://idp", "https://idp/sso", "", "not a certificate", "certificate", "not valid base64"),
    ("https://idp", "https://idp/sso", "", base64.b64encode(b"hello world").decode(), "certificate", "not an X.509"),
    ("https://idp", "https://idp/sso", "", "-----BEGIN CERTIFICATE-----\nMIIB", "certificate", "incomplete"),
    ("https://idp", "https://idp/sso", "", "KEY", "certificate", "private key"),
])
def test_manual_entry_refusals(dummy_org, owner, certs, entity_id, sso, slo, certificate, field, message):
    certificate = {"CERT": certs["idp"].cert_b64, "KEY": certs["idp"].key_pem.decode()}.get(certificate, certificate)
    with pytest.raises(Refused, match=message) as caught:
        services.save_idp_manual(owner, dummy_org, entity_id, sso, slo, certificate)
    assert caught.value.field == field
    assert settings_of(dummy_org).idp_entity_id == ""


# Attribute names --------------------------------------------------------------------------------------------

def test_attribute_names_are_trimmed_required_and_audited(db, dummy_org, owner):
    row = settings_of(dummy_org)
    assert (row.attr_email, row.attr_first_name, row.attr_last_name, row.attr_groups) == (
        "Email", "FirstName", "LastName", "Groups")
    with pytest.raises(Refused) as caught:
        services.save_attributes(owner, dummy_org, attr_email="  ", attr_first_name="a", attr_last_name="b",
                                 attr_groups="c")
    assert caught.value.field == "attr_email"
    services.save_attributes(owner, dummy_org, attr_email=" mail ", attr_first_name="FirstName",
                             attr_last_name="LastName", attr_groups="http://schemas.xmlsoap.org/claims/Group")
    assert (row.attr_email, row.attr_groups) == ("mail", "http://schemas.xmlsoap.org/claims/Group")
    entry = audit(db, "sso.settings_changed")[-1]
    assert entry.data == {"section": "attributes",
                          "before": {"attr_email": "Email", "attr_groups": "Groups"},
                          "after": {"attr_email": "mail", "attr_groups": "http://schemas.xmlsoap.org/claims/Group"}}


# Policy -----------------------------------------------------------------------------------------------------

def _policy(org, actor, enabled=False, domains="", require=False, idp_initiated=False, manage_here=False):
    return services.save_policy(actor, org, enabled, domains, require, idp_initiated, manage_here)


def test_offering_sso_needs_a_configured_identity_provider(dummy_org, owner, certs):
    with pytest.raises(Refused, match="Configure the identity provider") as caught:
        _policy(dummy_org, owner, enabled=True)
    assert caught.value.field == "enabled"
    services.save_idp_metadata(owner, dummy_org, metadata("https://idp.example.test/metadata", certs["idp"].cert_b64))
    assert _policy(dummy_org, owner, enabled=True).enabled


def test_requiring_sso_needs_it_offered(db, dummy_org, owner, certs):
    services.save_idp_metadata(owner, dummy_org, metadata("https://idp.example.test/metadata", certs["idp"].cert_b64))
    with pytest.raises(Refused, match="before requiring it") as caught:
        _policy(dummy_org, owner, require=True)
    assert caught.value.field == "require_sso"
    row = _policy(dummy_org, owner, enabled=True, require=True, idp_initiated=True, manage_here=True)
    assert (row.enabled, row.require_sso, row.allow_idp_initiated, row.manage_roles_in_tessera) == (True,) * 4
    entry = audit(db, "sso.settings_changed")[-1]
    assert entry.data["section"] == "policy"
    assert entry.data["before"] == {"enabled": False, "require_sso": False, "allow_idp_initiated": False,
                                    "manage_roles_in_tessera": False}
    assert entry.data["after"] == {"enabled": True, "require_sso": True, "allow_idp_initiated": True,
                                   "manage_roles_in_tessera": True}


def test_domains_are_lower_case_unique_and_valid(db, dummy_org, owner):
    row = _policy(dummy_org, owner, domains="Corp.Example\n@labs.corp.example, corp.example;")
    assert row.email_domains == ["corp.example", "labs.corp.example"]
    assert audit(db, "sso.settings_changed")[-1].data["after"] == {
        "email_domains": ["corp.example", "labs.corp.example"]}
    for bad in ("localhost", "not a domain", "-corp.example", "corp..example", "exa_mple.com", "10.0.0.1",
                "a" * 64 + ".com"):
        with pytest.raises(Refused, match="is not an e-mail domain") as caught:
            _policy(dummy_org, owner, domains=bad)
        assert caught.value.field == "email_domains"
    assert row.email_domains == ["corp.example", "labs.corp.example"]


def test_a_domain_another_organization_claims_is_refused_without_naming_it(dummy_org, owner, create_org):
    other = create_org(name="Globex Research", slug="globex")
    other_owner = owner_of(other).user
    _policy(other, other_owner, domains="other.example\nshared.example")
    with pytest.raises(Refused) as caught:
        _policy(dummy_org, owner, domains="acme.example\nShared.Example")
    assert caught.value.message == "shared.example is already used by another organization."
    assert "Globex" not in caught.value.message and "globex" not in caught.value.message
    assert settings_of(dummy_org).email_domains == []
    _policy(other, other_owner, domains="other.example")  # released, so Acme may take it
    assert _policy(dummy_org, owner, domains="shared.example").email_domains == ["shared.example"]
    assert services.org_id_claiming("SHARED.example") == dummy_org.id
    assert services.org_id_claiming("nobody.example") is None


# Group mapping ----------------------------------------------------------------------------------------------

def test_role_mapping_one_role_per_group_never_owner(db, dummy_org, owner):
    mapping = services.add_mapping(owner, dummy_org, "role", " Labelers ", role="annotator")
    assert (mapping.group_name, mapping.role) == ("Labelers", Role.ANNOTATOR)
    entry = audit(db, "sso.mapping_added")[-1]
    assert entry.actor_id == owner.id and entry.target_label == "Labelers"
    assert entry.data == {"group": "Labelers", "kind": "role", "role": "annotator"}
    with pytest.raises(Refused, match="already gives the role Annotator") as caught:
        services.add_mapping(owner, dummy_org, "role", "Labelers", role="manager")
    assert caught.value.field == "group_name"
    with pytest.raises(Refused, match="cannot make someone the Owner"):
        services.add_mapping(owner, dummy_org, "role", "Bosses", role="owner")
    with pytest.raises(Refused, match="Unknown role"):
        services.add_mapping(owner, dummy_org, "role", "Bosses", role="emperor")
    with pytest.raises(Refused, match="Choose the role"):
        services.add_mapping(owner, dummy_org, "role", "Bosses", role="")
    with pytest.raises(Refused, match="group's name") as caught:
        services.add_mapping(owner, dummy_org, "role", "  ", role="manager")
    assert caught.value.field == "group_name"
    services.add_mapping(owner, dummy_org, "role", "Leads", role="manager")
    services.add_mapping(owner, dummy_org, "role", "Gone", role="deactivated")
    # what sign-ins and SCIM read: the highest role among the person's groups
    assert Mapping.of_org(dummy_org).resolve(["Labelers", "Leads"]).role == Role.MANAGER


def test_workspace_mapping_to_an_existing_or_a_new_workspace(db, dummy_org, owner):
    labeling = create_workspace(owner, dummy_org, "Labeling")
    mapping = services.add_mapping(owner, dummy_org, "workspace", "Labelers", workspace_id=str(labeling.id))
    assert mapping.workspace_id == labeling.id
    with pytest.raises(Refused, match="already opens Labeling"):
        services.add_mapping(owner, dummy_org, "workspace", "Labelers", workspace_name="labeling")  # same, by name
    created = services.add_mapping(owner, dummy_org, "workspace", "Labelers", workspace_name="Medical")
    workspace = db.session.get(Workspace, created.workspace_id)
    assert workspace.name == "Medical" and workspace.org_id == dummy_org.id
    assert audit(db, "workspace.created")[-1].target_label == "Medical"
    assert audit(db, "sso.mapping_added")[-1].data == {"group": "Labelers", "kind": "workspace",
                                                       "workspace_id": workspace.id, "workspace": "Medical"}
    assert Mapping.of_org(dummy_org).resolve(["Labelers"]).workspace_ids == {labeling.id, workspace.id}
    with pytest.raises(Refused, match="not both"):
        services.add_mapping(owner, dummy_org, "workspace", "Other", workspace_id=str(labeling.id),
                             workspace_name="New")
    with pytest.raises(Refused, match="Choose a workspace"):
        services.add_mapping(owner, dummy_org, "workspace", "Other")


def test_workspace_mapping_refuses_other_organizations_and_sandboxes(db, dummy_org, owner, people):
    foreign = create_workspace(people["outsider"], people["other_org"], "Theirs")
    sandbox = ensure_sandbox(dummy_org, owner)
    for ident in (foreign.id, sandbox.id, "999999", "nope"):
        with pytest.raises(Refused, match="shared workspace of this organization") as caught:
            services.add_mapping(owner, dummy_org, "workspace", "Labelers", workspace_id=str(ident))
        assert caught.value.field == "workspace_id"
    assert db.session.execute(select(GroupMapping)).scalars().all() == []


def test_project_mapping(db, dummy_org, owner, people, create_project):
    project = create_project(dummy_org, owner, title="Sentiment")
    foreign = create_project(people["other_org"], people["outsider"], title="Theirs")
    reviewers = services.add_mapping(owner, dummy_org, "project", "QA", project_id=str(project.id),
                                     project_role="reviewer")
    assert (reviewers.project_id, reviewers.project_role) == (project.id, "reviewer")
    inherit = services.add_mapping(owner, dummy_org, "project", "Everyone", project_id=str(project.id),
                                   project_role="")
    assert inherit.project_role is None
    assert audit(db, "sso.mapping_added")[-1].data == {"group": "Everyone", "kind": "project",
                                                       "project_id": project.id, "project": "Sentiment",
                                                       "project_role": "inherit"}
    with pytest.raises(Refused, match="already has a role in Sentiment"):
        services.add_mapping(owner, dummy_org, "project", "QA", project_id=str(project.id), project_role="annotator")
    with pytest.raises(Refused, match="Choose a project of this organization") as caught:
        services.add_mapping(owner, dummy_org, "project", "QA", project_id=str(foreign.id), project_role="reviewer")
    assert caught.value.field == "project_id"
    with pytest.raises(Refused, match="Annotator, Reviewer or Inherit") as caught:
        services.add_mapping(owner, dummy_org, "project", "Bosses", project_id=str(project.id), project_role="manager")
    assert caught.value.field == "project_role"
    with pytest.raises(Refused, match="Choose what the group maps to"):
        services.add_mapping(owner, dummy_org, "team", "QA")
    assert all(m.org_id == dummy_org.id for m in db.session.execute(select(GroupMapping)).scalars())


def test_removing_a_mapping_is_audited(db, dummy_org, owner, people):
    mapping = services.add_mapping(owner, dummy_org, "role", "Leads", role="manager")
    mapping_id = mapping.id
    services.remove_mapping(owner, dummy_org, mapping)
    assert db.session.get(GroupMapping, mapping_id) is None
    entry = audit(db, "sso.mapping_removed")[-1]
    assert (entry.target_id, entry.target_label) == (str(mapping_id), "Leads")
    assert entry.data == {"group": "Leads", "kind": "role", "role": "manager"}
    theirs = services.add_mapping(people["outsider"], people["other_org"], "role", "Leads", role="manager")
    with pytest.raises(Refused, match="another organization"):
        services.remove_mapping(owner, dummy_org, theirs)


def test_audit_entries_name_the_organization(db, dummy_org, owner):
    services.add_mapping(owner, dummy_org, "role", "Leads", role="manager")
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action.like("sso.%"))).scalars().all()
    assert entries and {e.org_id for e in entries} == {dummy_org.id}
