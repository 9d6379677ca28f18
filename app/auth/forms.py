from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import TextInput

MATCHES_PASSWORD = EqualTo("password", "The two passwords differ.")


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])

    def __init__(self, *args, directory=False, **kwargs):
        super().__init__(*args, **kwargs)
        if directory:
            # a directory also knows people by user name, which the browser would refuse in an e-mail field
            self.email.widget = TextInput()
            self.email.label.text = "E-mail or user name"


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), MATCHES_PASSWORD])


class RegisterForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired()])


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password")
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), MATCHES_PASSWORD])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
