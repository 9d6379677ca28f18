"""Error responses that suit the caller: JSON for the API, a fragment for htmx, a page otherwise."""
import uuid
from urllib.parse import urlsplit

from flask import current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.security.decorators import PendingMember
from app.web.htmx import current_url, is_htmx

MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to do that.",
    404: "Not found.",
    405: "That method is not allowed here.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you submitted was saved; please try again.",
}


def wants_json():
    return request.path.startswith(("/api/", "/scim/")) or request.path in ("/api", "/health")


def api_error(status, detail=None, validation_errors=None, headers=None):
    """The error envelope the model product's API clients expect."""
    body = {
        "id": str(uuid.uuid4()),
        "status_code": status,
        "version": current_app.config["TESSERA_VERSION"],
        "detail": detail or MESSAGES.get(status, "Error"),
        "exc_info": None,
    }
    if validation_errors is not None:
        body["validation_errors"] = validation_errors
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(status, message=None):
    message = message or MESSAGES.get(status, "Error")
    if wants_json():
        return api_error(status, message)
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    response = make_response(render_template(template, status=status, message=message), status)
    response.headers["Vary"] = "HX-Request"
    return response


def login_url():
    """Where to send someone whose session is missing or expired, coming back here afterwards."""
    target = current_url() if is_htmx() else request.full_path
    if target:
        parts = urlsplit(target)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("auth.login", next=target or None)


def unauthorized():
    if wants_json():
        return api_error(401, headers={"WWW-Authenticate": "Token"})
    if is_htmx():
        # A 302 would be followed by htmx and the login page swapped into the fragment.
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url()
        return response
    return redirect(login_url())


def register(app):
    @app.errorhandler(HTTPException)
    def http_error(exc):
        if isinstance(exc, CSRFError):
            return csrf_error(exc)
        return error_response(exc.code, getattr(exc, "description", None) if exc.code not in MESSAGES else None)

    def csrf_error(exc):
        message = "Your form was missing its security token or the page is stale. Reload the page and try again."
        return error_response(400, message)

    @app.errorhandler(PendingMember)
    def pending(_exc):
        from flask import g

        if wants_json():
            return api_error(403, "Your membership is waiting for an administrator to give you a role.")
        page = url_for("orgs.pending", org_slug=g.org.slug)
        if is_htmx():
            response = make_response("", 403)
            response.headers["HX-Redirect"] = page
            return response
        return redirect(page)

    @app.errorhandler(Exception)
    def server_error(exc):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500)
