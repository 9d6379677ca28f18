"""Forms of the Single sign-on settings page.

Fields check only their shape; the services in ``app.sso.settings`` refuse the rest with messages that land next
to the fields (select fields accept any value so that another organization's id gets the service's message).
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.sso.models import DEFAULT_ATTRIBUTES, GroupMapping
from app.sso.settings import role_choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class IdpMetadataForm(FlaskForm):
    source = HiddenField(default="metadata", id="idp-source-metadata")
    metadata_xml = TextAreaField("Metadata XML", id="idp-metadata-xml")
    metadata_file = FileField("Or upload the metadata file", id="idp-metadata-file")
    #: asked for only when the document describes several identity providers
    metadata_entity_id = SelectField("Identity provider", id="idp-metadata-entity", validate_choice=False,
                                     choices=[])


class IdpManualForm(FlaskForm):
    source = HiddenField(default="manual", id="idp-source-manual")
    entity_id = StringField("Entity id (issuer)", filters=[_strip], id="idp-entity-id")
    sso_url = StringField("Sign-in (SSO) URL", filters=[_strip], id="idp-sso-url")
    slo_url = StringField("Sign-out (SLO) URL, optional", filters=[_strip], id="idp-slo-url")
    certificate = TextAreaField("Signing certificate", id="idp-certificate")


class AttributesForm(FlaskForm):
    attr_email = StringField("E-mail", filters=[_strip], default=DEFAULT_ATTRIBUTES["email"],
                             validators=[DataRequired("Enter the attribute's name."), Length(max=200)])
    attr_first_name = StringField("First name", filters=[_strip], default=DEFAULT_ATTRIBUTES["first_name"],
                                  validators=[DataRequired("Enter the attribute's name."), Length(max=200)])
    attr_last_name = StringField("Last name", filters=[_strip], default=DEFAULT_ATTRIBUTES["last_name"],
                                 validators=[DataRequired("Enter the attribute's name."), Length(max=200)])
    attr_groups = StringField("Groups", filters=[_strip], default=DEFAULT_ATTRIBUTES["groups"],
                              validators=[DataRequired("Enter the attribute's name."), Length(max=200)])


class PolicyForm(FlaskForm):
    enabled = BooleanField("Offer sign-in with SSO", id="sso-enabled")
    email_domains = TextAreaField("E-mail domains", id="sso-email-domains")
    require_sso = BooleanField("Require SSO", id="sso-require")
    allow_idp_initiated = BooleanField("Allow sign-in started at the identity provider", id="sso-idp-initiated")
    manage_roles_in_tessera = BooleanField("Manage roles in Tessera", id="sso-manage-roles")


class RoleMappingForm(FlaskForm):
    kind = HiddenField(default=GroupMapping.KIND_ROLE, id="map-role-kind")
    group_name = StringField("Group", filters=[_strip], id="map-role-group")
    role = SelectField("Organization role", id="map-role-role", validate_choice=False,
                       choices=[SelectChoice("", "Choose a role")] + [SelectChoice(v, label) for v, label in role_choices()])


class WorkspaceMappingForm(FlaskForm):
    kind = HiddenField(default=GroupMapping.KIND_WORKSPACE, id="map-workspace-kind")
    group_name = StringField("Group", filters=[_strip], id="map-workspace-group")
    #: choices are the organization's shared workspaces, filled in by the view
    workspace_id = SelectField("Workspace", id="map-workspace-id", validate_choice=False, choices=[])
    workspace_name = StringField("Or a new workspace", filters=[_strip], id="map-workspace-name")


class ProjectMappingForm(FlaskForm):
    kind = HiddenField(default=GroupMapping.KIND_PROJECT, id="map-project-kind")
    group_name = StringField("Group", filters=[_strip], id="map-project-group")
    #: choices are the organization's projects, filled in by the view
    project_id = SelectField("Project", id="map-project-id", validate_choice=False, choices=[])
    project_role = SelectField("Role in the project", id="map-project-role", validate_choice=False,
                               choices=[SelectChoice("", "Inherit (the organization role)"),
                                        SelectChoice("annotator", "Annotator"), SelectChoice("reviewer", "Reviewer")])


MAPPING_FORMS = {GroupMapping.KIND_ROLE: RoleMappingForm, GroupMapping.KIND_WORKSPACE: WorkspaceMappingForm,
                 GroupMapping.KIND_PROJECT: ProjectMappingForm}


class ScimTokenForm(FlaskForm):
    name = StringField("Token name", filters=[_strip], id="scim-token-name",
                       validators=[DataRequired("Give the token a name, such as the identity provider that will use "
                                                "it."), Length(max=100)])
