"""Forms of the organization pages.

Role fields do not check their choices: the services refuse unknown and forbidden roles with a message
that says why, which the form then shows next to the field.
"""
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.security.roles import ASSIGNABLE_ROLES, INVITABLE_ROLES, Role


def _choices(roles):
    return [SelectChoice(r.value, r.label) for r in roles]


class MemberFilterForm(FlaskForm):
    """The search box and role filter above the members table (read from the query string)."""

    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Length(max=200)], id="member-search")
    role = SelectField("Role", choices=[SelectChoice("", "All roles")] + _choices(Role), default="", id="role-filter")


class MemberRoleForm(FlaskForm):
    role = SelectField("Role", choices=_choices(ASSIGNABLE_ROLES), validate_choice=False)


class BulkRoleForm(FlaskForm):
    member_ids = SelectMultipleField("Members", coerce=int, validate_choice=False)
    role = SelectField("New role", choices=[SelectChoice("", "Choose a role")] + _choices(ASSIGNABLE_ROLES),
                       validate_choice=False, validators=[DataRequired("Choose the new role.")], id="bulk-role")


class InviteForm(FlaskForm):
    emails = TextAreaField("E-mail addresses", validators=[DataRequired("Enter at least one e-mail address.")],
                           id="invite-emails")
    role = SelectField("Role", choices=_choices(INVITABLE_ROLES), default=Role.ANNOTATOR.value, validate_choice=False,
                       id="invite-role")


class OrgSettingsForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the organization a name."), Length(max=200)])


class TransferOwnershipForm(FlaskForm):
    #: choices are the organization's active members, filled in by the view
    member_id = SelectField("New Owner", validators=[DataRequired("Choose the member who becomes Owner.")])
