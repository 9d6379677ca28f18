from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional


class OrgCreateForm(FlaskForm):
    name = StringField("Organization name", validators=[DataRequired("Give the organization a name."), Length(max=200)])
    slug = StringField("Short name (in URLs)", validators=[Optional(), Length(max=63)])
    owner_email = EmailField("Owner's e-mail", validators=[DataRequired("Enter the Owner's e-mail."), Length(max=254)])
    owner_name = StringField("Owner's name", validators=[Length(max=200)])


class SiteAdminGrantForm(FlaskForm):
    email = EmailField("E-mail of an existing account", validators=[DataRequired("Enter an e-mail."), Length(max=254)])
