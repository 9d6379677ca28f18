"""Helpers for the form cycle: validate, call a service, re-render with messages (422) on refusal."""
from app.errors import Refused


def apply_refusal(form, refused: Refused):
    """Attach a service's refusal to the matching field, or to the form as a whole."""
    field = getattr(form, refused.field, None) if refused.field else None
    if field is not None:
        field.errors = list(field.errors) + [refused.message]
    else:
        form.form_errors.append(refused.message)
    return form


def invalid_status(form):
    return 422 if form.errors or form.form_errors else 200


def submit(form, change):
    """Validate ``form``, then make ``change()``; a service's refusal lands on the form.

    Returns ``(True, result)`` when the change was made and ``(False, None)`` otherwise, so a view reads:
    ``ok, thing = submit(form, lambda: services.do(...))``, then redirect on ok or re-render with 422.
    """
    if not form.validate_on_submit():
        return False, None
    try:
        return True, change()
    except Refused as exc:
        apply_refusal(form, exc)
        return False, None
