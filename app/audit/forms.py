"""Forms of the audit log page: the filters (a GET form) and the retention setting."""
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SearchField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.audit.actions import ACTIONS
from app.audit.services import RETENTION_MAX_DAYS, RETENTION_MIN_DAYS

FILTER_FIELDS = ("actor", "action", "target", "date_from", "date_to", "q")


class AuditFilterForm(FlaskForm):
    class Meta:
        # A search form read from the query string: it changes nothing, so it carries no token.
        csrf = False

    actor = StringField("Actor e-mail", validators=[Optional(), Length(max=254)])
    action = SelectField("Action", choices=[SelectChoice("", "Any action")] + [SelectChoice(a, a) for a in sorted(ACTIONS)],
                         validators=[Optional()])
    target = StringField("Target", validators=[Optional(), Length(max=300)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    q = SearchField("Search", validators=[Optional(), Length(max=200)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")

    def filters(self):
        """The filters for ``search_entries``; empty ones left out."""
        values = {
            "actor": (self.actor.data or "").strip(),
            "action": self.action.data,
            "target": (self.target.data or "").strip(),
            "date_from": self.date_from.data,
            "date_to": self.date_to.data,
            "text": (self.q.data or "").strip(),
        }
        return {key: value for key, value in values.items() if value}


class RetentionForm(FlaskForm):
    audit_retention_days = IntegerField(
        "Keep entries for (days)",
        validators=[Optional(), NumberRange(RETENTION_MIN_DAYS, RETENTION_MAX_DAYS,
                                            f"Choose between {RETENTION_MIN_DAYS} and {RETENTION_MAX_DAYS} days, "
                                            "or leave it empty to keep entries forever.")],
    )
