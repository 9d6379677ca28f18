"""The exception services raise when they refuse a change; views turn it into a form error or a 400."""


class Refused(Exception):
    """A change that breaks a rule; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_validation_errors(self):
        return {self.field or "non_field_errors": [self.message]}
