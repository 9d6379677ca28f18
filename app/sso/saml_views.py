"""SAML 2.0 sign-in per organization: start, assertion consumer, single logout, service-provider metadata."""
from flask import Blueprint, abort, current_app, make_response, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app import keep_changes_on_error
from app.audit.services import record
from app.auth import services as auth_services
from app.auth.views import _safe_next, _sign_in
from app.db import writes
from app.errors import Refused
from app.extensions import csrf, db, limiter
from app.orgs.models import Organization
from app.security.decorators import public
from app.sso import provisioning, saml
from app.sso.models import SsoSettings
from app.sso.settings import current_settings
from app.web.htmx import hx_redirect, render

bp = Blueprint("saml", __name__, url_prefix="/sso")

#: what the session keeps of a SAML sign-in, for single logout
SESSION_KEY = "saml"


NO_MATCH = ("No organization with single sign-on matches that. Check the spelling, or ask your administrator for "
            "your organization's short name.")


class StartForm(FlaskForm):
    organization = StringField("Organization or work e-mail", validators=[DataRequired(), Length(max=254)])


def _org_and_settings(org_slug, need_enabled=True):
    """The organization and its settings; 404 for an unknown organization or one without SAML sign-in."""
    org = db.session.execute(select(Organization).where(Organization.slug == org_slug)).scalar_one_or_none()
    if org is None:
        abort(404)
    if not need_enabled:
        # the metadata is what an administrator hands the identity provider before anything is saved here
        return org, current_settings(org)
    sso = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none()
    if sso is None or not (sso.enabled and sso.is_configured):
        abort(404)
    return org, sso


def _find_org(value):
    """An enabled organization by slug, or by the domain of a work e-mail address."""
    value = value.strip().lower()
    enabled = select(Organization, SsoSettings).join(SsoSettings, SsoSettings.org_id == Organization.id).where(
        SsoSettings.enabled.is_(True))
    if "@" in value:
        domain = value.rsplit("@", 1)[1]
        for org, sso in db.session.execute(enabled).all():
            if domain in [d.lower() for d in (sso.email_domains or [])]:
                return org
        return None
    return db.session.execute(enabled.where(Organization.slug == value)).scalars().first()


@bp.route("/start", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_SSO"], methods=["POST"])
def start():
    """Ask for the organization (its short name or a work e-mail) and send the person to its sign-in."""
    form = StartForm()
    next_url = _safe_next(request.values.get("next"))
    status = 200
    if form.validate_on_submit():
        org = _find_org(form.organization.data)
        if org is not None:
            return hx_redirect(url_for("saml.login", org_slug=org.slug, next=next_url))
        form.organization.errors = [NO_MATCH]
    if request.method == "POST":
        status = 422
    return render("saml/start.html", "saml/_start_form.html", status=status, form=form, next=next_url)


@bp.route("/<org_slug>/login")
@public
@writes()
def login(org_slug):
    """Send an AuthnRequest to the organization's identity provider (HTTP-Redirect binding)."""
    org, sso = _org_and_settings(org_slug)
    return redirect(saml.start_login(org, sso, _safe_next(request.args.get("next"))))


@bp.route("/<org_slug>/acs", methods=["POST"])
@public
@csrf.exempt  # the identity provider posts here from its own site; the signed response is the proof
@limiter.limit(lambda: current_app.config["RATELIMIT_SSO"])
def acs(org_slug):
    """The assertion consumer: check the response, provision the person, open a session."""
    org, sso = _org_and_settings(org_slug)
    try:
        result = saml.process_response(org, sso, _safe_next)
    except saml.SamlRefused as refused:
        return _refuse(org, refused.reason, refused.status, refused.message)
    # The request and assertion are now used up; a refusal below keeps that, and only that.
    savepoint = db.session.begin_nested()
    try:
        user, _ = provisioning.sign_in(org, result.profile, provider=f"saml:{org.id}", identifier=result.name_id)
    except Refused as exc:
        savepoint.rollback()
        return _refuse(org, f"provisioning refused: {exc.message}", 403, exc.message, email=result.profile.email)
    savepoint.commit()
    _sign_in(user)
    session[SESSION_KEY] = {"org_id": org.id, "name_id": result.name_id, "name_id_format": result.name_id_format,
                            "session_index": result.session_index}
    return redirect(result.next_path or url_for("orgs.home", org_slug=org.slug), code=303)


def _refuse(org, reason, status, message, email=None):
    """No session, an audit entry kept despite the error status, and a page that says what happened."""
    keep_changes_on_error()
    target = ("user", None, email[:254]) if email else None
    record(None, org, "auth.login_failed", target=target, data={"method": "saml", "reason": reason[:500]})
    return render("saml/refused.html", status=status, org=org, message=message)


@bp.route("/<org_slug>/slo", methods=["GET", "POST"])
@public
@csrf.exempt  # LogoutRequests and LogoutResponses come from the identity provider
@writes()
def slo(org_slug):
    """Single logout: the identity provider's LogoutRequest, or its LogoutResponse to ours."""
    org, sso = _org_and_settings(org_slug)
    auth = saml.auth_for(org, sso, form_as_query=request.method == "POST")
    ours = session.get(SESSION_KEY) or {}
    pending_logout = session.get("saml_logout_id")
    message = request.form if request.method == "POST" else request.args
    if "SAMLResponse" in message and pending_logout is None:
        # a LogoutResponse answers a LogoutRequest of ours; an unasked one must not end anyone's session
        return _bad_logout(org, "LogoutResponse without a pending LogoutRequest")
    try:
        url = auth.process_slo(keep_local_session=True, request_id=pending_logout)
    except Exception as exc:
        return _bad_logout(org, f"{type(exc).__name__}: {exc}")
    errors = auth.get_errors()
    if errors:
        return _bad_logout(org, auth.get_last_error_reason() or ", ".join(errors))
    if url is None:
        # our own LogoutRequest answered: the local session ended when it was sent
        session.clear()
        return redirect(url_for("auth.login"))
    if ours.get("org_id") == org.id and ours.get("name_id") == _logout_name_id(auth):
        _end_session()
    return redirect(url)


def _logout_name_id(auth):
    from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request

    try:
        return OneLogin_Saml2_Logout_Request.get_nameid(auth.get_last_request_xml())
    except Exception:
        return None


def _end_session():
    if current_user.is_authenticated:
        auth_services.record_logout(current_user)
    logout_user()
    session.clear()


def _bad_logout(org, reason):
    current_app.logger.info("SAML logout refused for %s: %s", org.slug, reason)
    return render("saml/refused.html", status=400, org=org,
                  message="The sign-out message from your identity provider could not be accepted.")


@bp.route("/<org_slug>/metadata")
@public
def metadata(org_slug):
    """Our service-provider metadata, for the identity provider's administrator (a download)."""
    org, sso = _org_and_settings(org_slug, need_enabled=False)
    response = make_response(saml.metadata_xml(org, sso), 200)
    response.headers["Content-Type"] = "application/samlmetadata+xml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="tessera-{org.slug}-metadata.xml"'
    return response


def logout_redirect():
    """Where single logout continues after the local session ends (the identity provider), or None.

    Called by the sign-out view before it clears the session; keeps our LogoutRequest's id in the new session so
    the identity provider's answer can be checked.
    """
    ours = session.get(SESSION_KEY)
    if not ours:
        return None
    org = db.session.get(Organization, ours.get("org_id"))
    sso = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none() if org is not None else None
    if sso is None or not (sso.enabled and sso.is_configured):
        return None
    url, request_id = saml.logout_redirect(org, sso, ours)
    return (url, request_id) if url else None
