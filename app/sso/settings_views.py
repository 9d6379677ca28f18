"""The organization's Single sign-on settings: identity provider, attributes, group mapping, policy, SCIM tokens."""
from flask import Blueprint, flash, g, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.db import utcnow
from app.errors import Refused
from app.scim import tokens as scim_tokens
from app.security.decorators import require
from app.security.permissions import can
from app.sso import settings as services
from app.sso.forms import (
    MAPPING_FORMS,
    AttributesForm,
    IdpManualForm,
    IdpMetadataForm,
    PolicyForm,
    ProjectMappingForm,
    RoleMappingForm,
    ScimTokenForm,
    WorkspaceMappingForm,
)
from app.sso.models import GroupMapping, ScimToken
from app.web.forms import apply_refusal, submit
from app.web.htmx import hx_redirect, render, wants_partial

bp = Blueprint("sso_settings", __name__, url_prefix="/o/<org_slug>/settings")

PAGE = "sso/settings.html"
SECTIONS = {
    "idp": "sso/_idp.html",
    "attributes": "sso/_attributes.html",
    "policy": "sso/_policy.html",
    "mappings": "sso/_mappings.html",
    "scim": "sso/_scim.html",
}


def _mapping_forms(submitted=None):
    """One add form per kind; only the submitted one keeps what was typed."""
    forms = {kind: cls(formdata=None) for kind, cls in MAPPING_FORMS.items()}
    if submitted is not None:
        forms[submitted.kind.data] = submitted
    workspaces = services.mappable_workspaces(g.org)
    forms[GroupMapping.KIND_WORKSPACE].workspace_id.choices = [SelectChoice("", "Choose a workspace")] + [
        SelectChoice(str(w.id), w.name) for w in workspaces]
    forms[GroupMapping.KIND_PROJECT].project_id.choices = [SelectChoice("", "Choose a project")] + [
        SelectChoice(str(p.id), p.title) for p in services.mappable_projects(g.org)]
    return forms


def _render(section=None, status=200, **context):
    """The section's partial for htmx swaps, else the whole page; forms not given start from what is stored."""
    row = services.current_settings(g.org)
    context.setdefault("metadata_form", IdpMetadataForm(formdata=None))
    context.setdefault("manual_form", IdpManualForm(formdata=None, entity_id=row.idp_entity_id,
                                                    sso_url=row.idp_sso_url, slo_url=row.idp_slo_url))
    context.setdefault("attributes_form", AttributesForm(formdata=None, obj=row))
    context.setdefault("policy_form", PolicyForm(formdata=None, data={
        "enabled": row.enabled, "email_domains": "\n".join(row.email_domains or []), "require_sso": row.require_sso,
        "allow_idp_initiated": row.allow_idp_initiated, "manage_roles_in_tessera": row.manage_roles_in_tessera}))
    if "mapping_forms" not in context:
        context["mapping_forms"] = _mapping_forms()
    context.setdefault("token_form", ScimTokenForm(formdata=None))
    may_manage_tokens = can(current_user, g.member, "scim.tokens")
    return render(PAGE, SECTIONS.get(section), status=status, sso=row, org=g.org,
                  certificates=[services.certificate_info(c) for c in row.idp_certificates or []],
                  mappings=services.mappings_of(g.org), tokens=scim_tokens.tokens_of(g.org),
                  may_manage_tokens=may_manage_tokens, now=utcnow(), scim_base_url=request.url_root + "scim/v2/",
                  **context)


def _done(section, message, **context):
    """After a change: the section again with its notice (htmx), or back to the page (plain form)."""
    if wants_partial():
        return _render(section, notice={section: message}, **context)
    flash(message, "success")
    return hx_redirect(url_for("sso_settings.sso", org_slug=g.org.slug) + f"#sso-{section}")


@bp.route("/sso")
@require("sso.manage")
def sso():
    """The organization's single sign-on: this service provider, the identity provider, mapping, SCIM."""
    return _render()


@bp.route("/sso/idp", methods=["POST"])
@require("sso.manage")
def idp():
    """Configure the identity provider from its metadata (pasted or uploaded) or by hand."""
    if request.form.get("source") == "manual":
        form = IdpManualForm()
        ok, _ = submit(form, lambda: services.save_idp_manual(
            current_user, g.org, form.entity_id.data, form.sso_url.data, form.slo_url.data, form.certificate.data))
        if ok:
            return _done("idp", "The identity provider was saved.")
        return _render("idp", 422, manual_form=form, idp_mode="manual")
    form = IdpMetadataForm()
    upload = form.metadata_file.data
    document = upload.read(services.MAX_METADATA_CHARS + 1) if upload and upload.filename else form.metadata_xml.data
    ok = False
    if form.validate_on_submit():
        try:
            services.save_idp_metadata(current_user, g.org, document, form.metadata_entity_id.data)
            ok = True
        except services.SeveralProviders as exc:
            form.metadata_entity_id.choices = [SelectChoice("", "Choose the identity provider")] + [
                SelectChoice(e, e) for e in exc.entity_ids]
            apply_refusal(form, exc)
        except Refused as exc:
            apply_refusal(form, exc)
    if ok:
        return _done("idp", "The identity provider was saved from its metadata.")
    if isinstance(document, bytes):
        # An uploaded file is shown back in the text box, so that choosing among providers needs no new upload.
        form.metadata_xml.data = document.decode("utf-8", "replace")[:services.MAX_METADATA_CHARS]
    return _render("idp", 422, metadata_form=form, idp_mode="metadata")


@bp.route("/sso/attributes", methods=["POST"])
@require("sso.manage")
def attributes():
    """The SAML attribute names that carry e-mail, names and groups."""
    form = AttributesForm()
    ok, _ = submit(form, lambda: services.save_attributes(current_user, g.org, **{
        name: getattr(form, name).data for name in services.ATTRIBUTE_FIELDS}))
    if ok:
        return _done("attributes", "The attribute names were saved.")
    return _render("attributes", 422, attributes_form=form)


@bp.route("/sso/policy", methods=["POST"])
@require("sso.manage")
def policy():
    """Offer and require SSO, e-mail domains, IdP-initiated sign-in, where roles are managed."""
    form = PolicyForm()
    ok, _ = submit(form, lambda: services.save_policy(
        current_user, g.org, form.enabled.data, form.email_domains.data, form.require_sso.data,
        form.allow_idp_initiated.data, form.manage_roles_in_tessera.data))
    if ok:
        return _done("policy", "The sign-in policy was saved.")
    return _render("policy", 422, policy_form=form)


@bp.route("/sso/mappings", methods=["POST"])
@require("sso.manage")
def mapping_add():
    """Map a group to an organization role, a workspace or a project role (the kind is in the form)."""
    form_class = MAPPING_FORMS.get(request.form.get("kind"), RoleMappingForm)
    form = form_class()
    if request.form.get("kind") not in MAPPING_FORMS:
        form.validate_on_submit()
        form.form_errors.append("Choose what the group maps to: a role, a workspace or a project.")
        return _render("mappings", 422, mapping_forms=_mapping_forms(form))

    def change():
        extra = {}
        if isinstance(form, RoleMappingForm):
            extra = {"role": form.role.data}
        elif isinstance(form, WorkspaceMappingForm):
            extra = {"workspace_id": form.workspace_id.data, "workspace_name": form.workspace_name.data}
        elif isinstance(form, ProjectMappingForm):
            extra = {"project_id": form.project_id.data, "project_role": form.project_role.data}
        return services.add_mapping(current_user, g.org, form.kind.data, form.group_name.data, **extra)

    ok, mapping = submit(form, change)
    if ok:
        return _done("mappings", f"The group {mapping.group_name} was mapped.")
    return _render("mappings", 422, mapping_forms=_mapping_forms(form))


@bp.route("/sso/mappings/<int:mapping_id>/delete", methods=["POST"])
@require("sso.manage", load=GroupMapping, arg="mapping_id")
def mapping_delete(mapping):
    name = mapping.group_name
    services.remove_mapping(current_user, g.org, mapping)
    return _done("mappings", f"The mapping of the group {name} was removed.")


@bp.route("/scim/tokens", methods=["POST"])
@require("scim.tokens")
def scim_token_create():
    """The Owner creates a SCIM bearer token; it is in this response only."""
    form = ScimTokenForm()
    ok, created = submit(form, lambda: scim_tokens.create_token(current_user, g.org, form.name.data))
    if not ok:
        return _render("scim", 422, token_form=form)
    row, token = created
    # The token is shown here once and never again, so this answer is rendered rather than redirected.
    response = _render("scim", notice={"scim": f"The token {row.name} was created."}, new_token=token,
                       new_token_row=row)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/scim/tokens/<int:token_id>/revoke", methods=["POST"])
@require("scim.tokens", load=ScimToken, arg="token_id")
def scim_token_revoke(token):
    scim_tokens.revoke_token(current_user, g.org, token)
    return _done("scim", f"The token {token.name} was revoked; the identity provider can no longer use it.")
