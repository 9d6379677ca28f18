"""The Single sign-on settings page: who sees it, each section's form over htmx and plain posts, tenancy of the
group mapping, SCIM tokens shown once, and a sign-in through an identity provider configured on the page."""
import hashlib

import pytest
from sqlalchemy import select

from app.orgs.models import Workspace
from app.orgs.services import create_workspace
from app.scim.tokens import create_token
from app.security.roles import Role
from app.sso.models import GroupMapping, ScimToken, SsoSettings
from app.sso.provisioning import settings_of
from app.sso.settings import add_mapping
from tests.conftest import hx
from tests.sso.idp import IdentityProvider, SpClient
from tests.sso.test_settings_services import POST, audit, entity, metadata, several

URL = "/o/acme/settings/sso"
TOKENS = "/o/acme/settings/scim/tokens"


def _page(response):
    return response.get_data(as_text=True)


@pytest.fixture
def keys(idp_keys):
    return idp_keys["idp"]


# The page ---------------------------------------------------------------------------------------------------

def test_owner_sees_every_section_and_the_token_form(owner_client, people):
    response = owner_client.get(URL)
    page = _page(response)
    assert response.status_code == 200
    for section in ("sso-sp", "sso-idp", "sso-attributes", "sso-policy", "sso-mappings", "sso-scim"):
        assert f'id="{section}"' in page
    assert 'value="http://localhost/sso/acme/metadata"' in page  # the entity id, external
    assert 'value="http://localhost/sso/acme/acs"' in page
    assert 'value="http://localhost/sso/acme/slo"' in page
    assert 'value="http://localhost/sso/acme/login"' in page
    assert 'href="/sso/acme/metadata" hx-boost="false"' in page
    assert 'data-copy="#sp-entity-id"' in page
    assert 'value="http://localhost/scim/v2/"' in page and "Authorization: Bearer" in page
    assert 'id="scim-token-form"' in page
    assert "break-glass" in page and "highest" in page
    # the defaults, and the roles a group may give (never Owner)
    assert 'value="Email"' in page and 'value="Groups"' in page
    assert '<option value="pending">Pending (not activated)</option>' in page
    assert '<option value="owner"' not in page


def test_admin_sees_the_tokens_but_no_buttons(org_admin_client, people, dummy_org):
    create_token(people["owner"], dummy_org, "Okta")
    page = _page(org_admin_client.get(URL))
    assert "Okta" in page and 'id="scim-tokens"' in page
    assert 'id="scim-token-form"' not in page and "Revoke" not in page
    assert "Only the Owner creates and revokes tokens" in page


@pytest.mark.parametrize("who,status", [("manager", 403), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_page_is_for_owner_and_admin(client_for, people, who, status):
    assert client_for(people[who]).get(URL).status_code == status


def test_showing_the_page_writes_nothing(org_admin_client, db, dummy_org):
    page = _page(org_admin_client.get(URL))
    assert 'value="FirstName"' in page and "No identity provider is configured yet." in page
    assert db.session.execute(SsoSettings.for_org(dummy_org)).scalar_one_or_none() is None


def test_the_settings_page_links_here(org_admin_client):
    assert f'href="{URL}" id="org-sso-link"' in _page(org_admin_client.get("/o/acme/settings"))


# Identity provider ------------------------------------------------------------------------------------------

def test_htmx_metadata_paste_swaps_the_section_with_what_is_stored(org_admin_client, dummy_org, keys):
    document = metadata("https://idp.example.test/metadata", keys.cert_b64)
    response = org_admin_client.post(f"{URL}/idp", data={"source": "metadata", "metadata_xml": document},
                                      headers=hx())
    page = _page(response)
    assert response.status_code == 200
    assert page.count("<section") == 1 and '<section id="sso-idp"' in page and "<html" not in page
    assert "saved from its metadata" in page
    assert "https://idp.example.test/sso" in page and "idp-certificates" in page and ">idp" in page
    assert settings_of(dummy_org).idp_certificates == [keys.cert_b64]


def test_plain_metadata_upload_redirects_to_the_page(org_admin_client, dummy_org, keys):
    from io import BytesIO

    document = metadata("https://idp.example.test/metadata", keys.cert_b64).encode()
    response = org_admin_client.post(f"{URL}/idp", data={"source": "metadata",
                                                         "metadata_file": (BytesIO(document), "idp.xml")},
                                      content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == f"{URL}#sso-idp"
    assert settings_of(dummy_org).idp_entity_id == "https://idp.example.test/metadata"
    assert "saved from its metadata" in _page(org_admin_client.get(URL))


def test_malformed_metadata_re_renders_with_the_line(org_admin_client, dummy_org):
    data = {"source": "metadata", "metadata_xml": "<a>\n<b>\n</a>"}
    partial = org_admin_client.post(f"{URL}/idp", data=data, headers=hx())
    assert partial.status_code == 422 and "<html" not in _page(partial)
    assert "not well-formed XML (line 3)" in _page(partial)
    assert 'id="idp-metadata-xml-msg"' in _page(partial)
    full = org_admin_client.post(f"{URL}/idp", data=data)
    assert full.status_code == 422 and "<html" in _page(full) and "line 3" in _page(full)
    assert settings_of(dummy_org).idp_entity_id == ""


def test_metadata_with_several_providers_offers_their_entity_ids(org_admin_client, dummy_org, keys):
    document = several(entity("https://first.example/idp", [(keys.cert_b64, "signing")], xmlns=False),
                       entity("https://second.example/idp", [(keys.cert_b64, "signing")], xmlns=False))
    response = org_admin_client.post(f"{URL}/idp", data={"metadata_xml": document}, headers=hx())
    page = _page(response)
    assert response.status_code == 422 and "2 identity providers" in page
    assert '<option value="https://second.example/idp">' in page
    chosen = org_admin_client.post(f"{URL}/idp", data={"metadata_xml": document,
                                                       "metadata_entity_id": "https://second.example/idp"},
                                   headers=hx())
    assert chosen.status_code == 200
    assert settings_of(dummy_org).idp_entity_id == "https://second.example/idp"


def test_metadata_without_redirect_binding_is_explained(org_admin_client, keys):
    document = metadata("https://idp.example.test/metadata", keys.cert_b64, sso_binding=POST)
    response = org_admin_client.post(f"{URL}/idp", data={"metadata_xml": document}, headers=hx())
    assert response.status_code == 422 and "HTTP-Redirect binding" in _page(response)


def test_manual_entry_through_the_page(org_admin_client, dummy_org, keys):
    data = {"source": "manual", "entity_id": "https://idp.example.test/metadata", "sso_url": "gopher://idp/sso",
            "certificate": keys.cert_pem.decode()}
    refused = org_admin_client.post(f"{URL}/idp", data=data, headers=hx())
    page = _page(refused)
    assert refused.status_code == 422 and 'id="idp-sso-url-msg"' in page and "http:// or https://" in page
    assert "<details open>" in page  # the manual form stays open with its message
    response = org_admin_client.post(f"{URL}/idp", data={**data, "sso_url": "https://idp.example.test/sso"},
                                     headers=hx())
    assert response.status_code == 200 and "The identity provider was saved." in _page(response)
    row = settings_of(dummy_org)
    assert (row.idp_sso_url, row.idp_certificates) == ("https://idp.example.test/sso", [keys.cert_b64])


# Attributes and policy --------------------------------------------------------------------------------------

def test_attributes_form(org_admin_client, dummy_org, db):
    data = {"attr_email": "mail", "attr_first_name": "", "attr_last_name": "sn", "attr_groups": "memberOf"}
    refused = org_admin_client.post(f"{URL}/attributes", data=data, headers=hx())
    assert refused.status_code == 422 and "Enter the attribute" in _page(refused)
    assert settings_of(dummy_org).attr_email == "Email"
    saved = org_admin_client.post(f"{URL}/attributes", data={**data, "attr_first_name": " givenName "}, headers=hx())
    assert saved.status_code == 200 and 'value="givenName"' in _page(saved)
    row = settings_of(dummy_org)
    assert (row.attr_email, row.attr_first_name, row.attr_last_name, row.attr_groups) == (
        "mail", "givenName", "sn", "memberOf")
    assert audit(db, "sso.settings_changed")[-1].actor_id is not None


def test_policy_form(org_admin_client, owner_client, dummy_org, keys, create_org):
    refused = org_admin_client.post(f"{URL}/policy", data={"enabled": "y"}, headers=hx())
    assert refused.status_code == 422 and "Configure the identity provider" in _page(refused)
    org_admin_client.post(f"{URL}/idp", data={"metadata_xml": metadata("https://idp.example.test/m", keys.cert_b64)})
    refused = org_admin_client.post(f"{URL}/policy", data={"require_sso": "y"}, headers=hx())
    assert refused.status_code == 422 and "before requiring it" in _page(refused)

    other = create_org(name="Globex", slug="globex")
    from app.sso.settings import save_policy
    save_policy(None, other, False, "globex.example", False, False, False)
    taken = org_admin_client.post(f"{URL}/policy", data={"email_domains": "acme.example\nglobex.example"},
                                  headers=hx())
    assert taken.status_code == 422 and "globex.example is already used by another organization." in _page(taken)

    saved = org_admin_client.post(f"{URL}/policy", data={"enabled": "y", "require_sso": "y",
                                                         "email_domains": "Acme.Example"}, headers=hx())
    page = _page(saved)
    assert saved.status_code == 200 and "The sign-in policy was saved." in page
    assert "acme.example</textarea>" in page
    row = settings_of(dummy_org)
    assert (row.enabled, row.require_sso, row.email_domains) == (True, True, ["acme.example"])


# Group mapping ----------------------------------------------------------------------------------------------

def test_mapping_tables_add_and_remove(org_admin_client, db, dummy_org):
    response = org_admin_client.post(f"{URL}/mappings", data={"kind": "role", "group_name": "Leads",
                                                              "role": "manager"}, headers=hx())
    assert response.status_code == 200 and "The group Leads was mapped." in _page(response)
    assert 'id="map-role-table"' in _page(response)
    twice = org_admin_client.post(f"{URL}/mappings", data={"kind": "role", "group_name": "Leads",
                                                           "role": "reviewer"}, headers=hx())
    page = _page(twice)
    assert twice.status_code == 422 and "already gives the role Manager" in page
    assert 'value="Leads"' in page  # what was typed stays in the form that was sent

    created = org_admin_client.post(f"{URL}/mappings", data={"kind": "workspace", "group_name": "Medics",
                                                             "workspace_name": "Radiology"}, headers=hx())
    assert created.status_code == 200 and '<option value="' in _page(created) and "Radiology" in _page(created)
    workspace = db.session.execute(select(Workspace).where(Workspace.name == "Radiology")).scalar_one()
    assert workspace.org_id == dummy_org.id

    mapping = db.session.execute(select(GroupMapping).where(GroupMapping.group_name == "Leads")).scalar_one()
    removed = org_admin_client.post(f"{URL}/mappings/{mapping.id}/delete", headers=hx())
    assert removed.status_code == 200 and "The mapping of the group Leads was removed." in _page(removed)
    assert db.session.get(GroupMapping, mapping.id) is None
    assert audit(db, "sso.mapping_removed")[-1].data["group"] == "Leads"


def test_mapping_without_a_kind_is_refused(org_admin_client, db):
    response = org_admin_client.post(f"{URL}/mappings", data={"group_name": "Leads", "role": "manager"}, headers=hx())
    assert response.status_code == 422 and "Choose what the group maps to" in _page(response)
    assert db.session.execute(select(GroupMapping)).scalars().all() == []


def test_another_organizations_ids_never_make_a_mapping(org_admin_client, db, people, create_project):
    other, outsider = people["other_org"], people["outsider"]
    workspace = create_workspace(outsider, other, "Theirs")
    project = create_project(other, outsider, title="Their project")
    for data, message in (
        ({"kind": "workspace", "group_name": "G", "workspace_id": str(workspace.id)}, "shared workspace of this"),
        ({"kind": "project", "group_name": "G", "project_id": str(project.id), "project_role": "reviewer"},
         "project of this organization"),
    ):
        response = org_admin_client.post(f"{URL}/mappings", data=data, headers=hx())
        assert response.status_code == 422 and message in _page(response)
    assert db.session.execute(select(GroupMapping)).scalars().all() == []
    theirs = add_mapping(outsider, other, "role", "Leads", role="manager")
    db.session.commit()
    assert org_admin_client.post(f"{URL}/mappings/{theirs.id}/delete").status_code == 404
    assert db.session.get(GroupMapping, theirs.id) is not None


# SCIM tokens ------------------------------------------------------------------------------------------------

def test_owner_creates_a_token_shown_once_and_stored_hashed(owner_client, db, dummy_org):
    refused = owner_client.post(TOKENS, data={"name": " "}, headers=hx())
    assert refused.status_code == 422 and "Give the token a name" in _page(refused)
    response = owner_client.post(TOKENS, data={"name": "Okta"}, headers=hx())
    page = _page(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "shown only this once" in page and 'data-copy="#scim-token-value"' in page
    token = page.split('id="scim-token-value" type="text" readonly value="')[1].split('"')[0]
    assert token.startswith("scim_") and len(token) > 40
    row = db.session.execute(select(ScimToken).where(ScimToken.name == "Okta")).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.prefix == token[:12]
    assert token not in (row.token_hash, row.prefix, row.name)
    assert audit(db, "scim.token_created")[-1].data == {"prefix": row.prefix}
    later = _page(owner_client.get(URL))
    assert token not in later and row.prefix in later  # never shown again


def test_a_token_authenticates_scim_until_revoked(owner_client, db, dummy_org, client):
    page = _page(owner_client.post(TOKENS, data={"name": "Okta"}))
    token = page.split('id="scim-token-value" type="text" readonly value="')[1].split('"')[0]
    row = db.session.execute(select(ScimToken).where(ScimToken.name == "Okta")).scalar_one()
    from app.scim.tokens import org_for_authorization
    assert org_for_authorization(f"Bearer {token}").id == dummy_org.id
    response = owner_client.post(f"{TOKENS}/{row.id}/revoke")
    assert response.status_code == 303 and response.headers["Location"] == f"{URL}#sso-scim"
    db.session.expire_all()
    assert db.session.get(ScimToken, row.id).revoked_at is not None
    assert org_for_authorization(f"Bearer {token}") is None
    assert audit(db, "scim.token_revoked")[-1].target_label == "Okta"
    assert "Revoked" in _page(owner_client.get(URL))


def test_only_the_owner_manages_tokens(org_admin_client, manager_client, owner_client, db, people, dummy_org):
    row, _ = create_token(people["owner"], dummy_org, "Okta")
    db.session.commit()
    assert org_admin_client.post(TOKENS, data={"name": "Mine"}).status_code == 403
    assert org_admin_client.post(f"{TOKENS}/{row.id}/revoke").status_code == 403
    assert manager_client.post(TOKENS, data={"name": "Mine"}).status_code == 403
    assert db.session.get(ScimToken, row.id).revoked_at is None
    theirs, _ = create_token(people["outsider"], people["other_org"], "Theirs")
    db.session.commit()
    assert owner_client.post(f"{TOKENS}/{theirs.id}/revoke").status_code == 404
    assert db.session.get(ScimToken, theirs.id).revoked_at is None


# From the page to a sign-in ---------------------------------------------------------------------------------

def test_an_identity_provider_configured_on_the_page_signs_people_in(owner_client, client, db, dummy_org, keys):
    idp = IdentityProvider(keys)
    document = metadata(idp.entity_id, keys.cert_b64)
    assert owner_client.post(f"{URL}/idp", data={"metadata_xml": document}).status_code == 303
    assert owner_client.post(f"{URL}/mappings", data={"kind": "role", "group_name": "labelers",
                                                      "role": "reviewer"}).status_code == 303
    assert owner_client.post(f"{URL}/mappings", data={"kind": "workspace", "group_name": "labelers",
                                                      "workspace_name": "Labeling"}).status_code == 303
    assert owner_client.post(f"{URL}/policy", data={"enabled": "y"}).status_code == 303

    sp = SpClient(client, dummy_org)
    request_id = sp.start()
    response = sp.post(idp.response_xml(sp.acs, sp.audience, in_response_to=request_id))
    assert response.status_code == 303, _page(response)[:500]
    from app.auth.models import User
    from app.orgs.services import is_workspace_member, member_of

    user = db.session.execute(select(User).where(User.email == "ada@corp.example")).scalar_one()
    assert member_of(dummy_org, user).role == Role.REVIEWER
    labeling = db.session.execute(select(Workspace).where(Workspace.name == "Labeling")).scalar_one()
    assert is_workspace_member(labeling, user)
