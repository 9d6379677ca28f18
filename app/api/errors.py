"""Errors the API answers with its envelope (see app.web.errors.api_error)."""


class ApiError(Exception):
    """Stop and answer ``status`` with ``detail`` (and ``validation_errors`` on a 400)."""

    def __init__(self, status, detail=None, validation_errors=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.validation_errors = validation_errors
