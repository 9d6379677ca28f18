"""Forms of the workspace pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


def _user_id(value):
    """The chosen person's id, or None for the empty choice (never a coercion error)."""
    return int(value) if str(value or "").isdigit() else None


class WorkspaceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the workspace a name."), Length(max=200)])


class WorkspaceMemberForm(FlaskForm):
    # The view fills the choices; whether the id belongs to the organization is checked there, not by the choice list,
    # so the refusal names the rule that was broken.
    user = SelectField("Person", coerce=_user_id, validate_choice=False,
                       validators=[DataRequired("Choose someone to add.")])
