"""Sign-in, sign-out, password reset, invitations and the account page."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app import keep_changes_on_error
from app.auth import services
from app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
    TokenForm,
)
from app.auth.models import ApiToken
from app.errors import Refused
from app.extensions import db, limiter
from app.mail import send
from app.orgs import services as org_services
from app.security.decorators import public, require
from app.web.forms import apply_refusal, invalid_status, submit
from app.web.htmx import hx_redirect, is_htmx, render

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only our own paths: never another host, never a scheme-relative URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _sign_in(user):
    session.clear()
    login_user(user)
    session.permanent = True


@bp.route("/")
@require("account.manage")
def home():
    """Open the organization the person last worked in."""
    orgs = org_services.orgs_of(current_user)
    if orgs:
        preferred = next((org for org, _ in orgs if org.id == current_user.active_org_id), orgs[0][0])
        return redirect(url_for("orgs.home", org_slug=preferred.slug))
    if current_user.is_site_admin:
        return redirect(url_for("admin.orgs"))
    return render("auth/no_org.html")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """E-mail and password sign-in."""
    from app.sso import ldap

    form = LoginForm(directory=ldap.enabled())
    next_url = _safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("auth.home"))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except Refused as exc:
            keep_changes_on_error()
            form.form_errors.append(exc.message)
        else:
            if user is not None:
                _sign_in(user)
                return hx_redirect(next_url or url_for("auth.home"))
            keep_changes_on_error()
            form.form_errors.append("That e-mail and password do not match an active account.")
    return render("auth/login.html", "auth/_login_form.html", status=invalid_status(form), form=form, next=next_url)


@bp.route("/logout", methods=["POST"])
@require("account.manage")
def logout():
    from app.sso.saml_views import logout_redirect

    single_logout = logout_redirect()
    services.record_logout(current_user)
    logout_user()
    session.clear()
    if single_logout:
        # signed in through the organization's identity provider: end that session too
        url, request_id = single_logout
        session["saml_logout_id"] = request_id
        if is_htmx():
            return hx_redirect(url)
        # The page's policy (form-action 'self') stops a form post redirected to another site, so the browser
        # leaves from a page of ours instead.
        return render("saml/signing_out.html", idp_url=url)
    return hx_redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("5 per minute", methods=["POST"])
def password_forgot():
    form = ForgotPasswordForm()
    sent = False
    if form.validate_on_submit():
        user, token = services.request_password_reset(form.email.data)
        if user is not None:
            link = url_for("auth.password_reset", token=token, _external=True)
            send(user.email, "Reset your Tessera password",
                 f"Someone asked to reset the password of {user.email}.\n\nSet a new one here: {link}\n\n"
                 "If it was not you, ignore this message.")
        sent = True  # the same answer for unknown addresses, so the page reveals no accounts
    return render("auth/password_forgot.html", status=invalid_status(form), form=form, sent=sent)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def password_reset(token):
    form = NewPasswordForm()
    try:
        services.user_for_reset_token(token)
    except Refused as exc:
        return render("auth/password_reset.html", status=400, form=None, problem=exc.message)
    ok, user = submit(form, lambda: services.reset_password(token, form.password.data))
    if ok:
        flash("Your password was changed.", "success")
        return _sign_in_with_new_password(user, url_for("auth.home"))
    return render("auth/password_reset.html", status=invalid_status(form), form=form, problem=None)


def _sign_in_with_new_password(user, destination):
    """Sign in someone who has just set a password, unless passwords do not sign them in (single sign-on
    required, LDAP): then the sign-in page says how to sign in instead."""
    from app.sso.policy import password_refusal

    refusal = password_refusal(user)
    if refusal:
        flash(refusal, "info")
        return hx_redirect(url_for("auth.login"))
    _sign_in(user)
    return hx_redirect(destination)


def _join(token, kind):
    try:
        invitation = org_services.find_invitation(token)
    except Refused as exc:
        return render("auth/join.html", status=400, problem=exc.message, invitation=None, form=None)
    if invitation.kind != kind:
        abort(404)
    form = RegisterForm()
    if request.method == "GET" and invitation.email:
        form.email.data = invitation.email
    existing = services.user_by_email(invitation.email) if invitation.email else None
    if request.method == "POST":
        try:
            if current_user.is_authenticated:
                org_services.accept_invitation(token, user=current_user)
                return hx_redirect(url_for("orgs.home", org_slug=invitation.org.slug))
            if form.validate():
                org_services.accept_invitation(token, email=form.email.data, name=form.name.data, password=form.password.data)
                user = services.user_by_email(invitation.email or form.email.data)
                return _sign_in_with_new_password(user, url_for("orgs.home", org_slug=invitation.org.slug))
        except Refused as exc:
            apply_refusal(form, exc)
    return render("auth/join.html", status=invalid_status(form), problem=None, invitation=invitation, form=form,
                  existing=existing)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def invite_accept(token):
    """Accept an e-mail invitation (single use, role chosen by the inviter)."""
    from app.orgs.models import Invitation

    return _join(token, Invitation.KIND_EMAIL)


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join_link(token):
    """Join an organization through its link; the membership waits as Pending for a role."""
    from app.orgs.models import Invitation

    return _join(token, Invitation.KIND_LINK)


# The account page -------------------------------------------------------------------------------------------

def _account_page(profile=None, password=None, token_form=None, new_key=None, status=200):
    tokens = db.session.execute(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).scalars().all()
    return render("account/account.html", status=status, profile=profile or ProfileForm(obj=current_user),
                  password=password or ChangePasswordForm(), token_form=token_form or TokenForm(), tokens=tokens,
                  new_key=new_key)


@bp.route("/account")
@require("account.manage")
def account():
    return _account_page()


@bp.route("/account/profile", methods=["POST"])
@require("account.manage")
def account_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        services.update_profile(current_user, form.name.data)
        flash("Saved.", "success")
        return hx_redirect(url_for("auth.account"))
    return _account_page(profile=form, status=422)


@bp.route("/account/password", methods=["POST"])
@require("account.manage")
def account_password():
    form = ChangePasswordForm()
    ok, _ = submit(form, lambda: services.change_password(current_user, form.current_password.data, form.password.data))
    if ok:
        flash("Your password was changed.", "success")
        return hx_redirect(url_for("auth.account"))
    return _account_page(password=form, status=422)


@bp.route("/account/tokens", methods=["POST"])
@require("account.manage")
def token_create():
    form = TokenForm()
    if form.validate_on_submit():
        _, key = services.issue_api_token(current_user, form.name.data)
        return _account_page(new_key=key)
    return _account_page(token_form=form, status=422)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@require("account.manage")
def token_revoke(token_id):
    token = db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar_one_or_none()
    if token is None:
        abort(404)
    services.revoke_api_token(current_user, token)
    return hx_redirect(url_for("auth.account"))
