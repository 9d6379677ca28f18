"""Accounts, passwords, sign-in and API tokens."""
import hashlib
import secrets
from datetime import timedelta

import email_validator
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import ApiToken, User
from app.db import utcnow
from app.errors import Refused
from app.extensions import db


def _hasher():
    """argon2 with the library's recommended parameters; the test suite asks for the cheapest profile."""
    from argon2 import profiles

    if current_app.config.get("PASSWORD_HASH_CHEAP"):
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return _DEFAULT_HASHER


_DEFAULT_HASHER = PasswordHasher()
# On-premise directories commonly use .local addresses (email-validator documents editing this list).
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")
MIN_PASSWORD_LENGTH = 10
#: how stale ``last_used_at`` may get before a request writes it again
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def normalize_email(raw):
    """Lower-cased, syntax-checked address; raises Refused with a readable reason."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False, globally_deliverable=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Refused(f"{(raw or '').strip() or 'An empty value'} is not a valid e-mail address: {exc}", "email") from None


def check_password_strength(password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Refused(f"Use at least {MIN_PASSWORD_LENGTH} characters.", "password")


def hash_password(password):
    return _hasher().hash(password)


def password_matches(user, password):
    if not user or not user.password_hash or not password:
        return False
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return True


def user_by_email(email):
    return db.session.execute(select(User).where(func.lower(User.email) == (email or "").strip().lower())).scalar_one_or_none()


def create_user(actor, email, name="", password=None, is_site_admin=False, org=None):
    """Create an account; ``org`` only chooses which audit chain records it."""
    email = normalize_email(email)
    if user_by_email(email) is not None:
        raise Refused(f"An account with the e-mail {email} already exists.", "email")
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        name=(name or "").strip(),
        password_hash=hash_password(password) if password else None,
        is_site_admin=is_site_admin,
    )
    db.session.add(user)
    db.session.flush()
    record(actor or user, org, "user.created", target=user, data={"after": {"email": email, "site_admin": is_site_admin}})
    return user


def update_profile(user, name):
    before = user.name
    user.name = (name or "").strip()
    db.session.flush()
    record(user, _audit_org(user), "user.updated", target=user, data={"before": {"name": before}, "after": {"name": user.name}})
    return user


def change_password(user, current, new):
    if user.password_hash and not password_matches(user, current):
        raise Refused("The current password is not right.", "current_password")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    db.session.flush()
    record(user, _audit_org(user), "auth.password_changed", target=user)


def set_password(actor, user, new):
    """Operators' reset (CLI); people use the e-mailed token instead."""
    check_password_strength(new)
    user.password_hash = hash_password(new)
    db.session.flush()
    record(actor, _audit_org(user), "auth.password_reset", target=user, data={"by": "operator"})


def _audit_org(user):
    """Sign-in events go to the organization the person works in, so its Admins see them."""
    if user is not None and user.active_org_id:
        from app.orgs.models import Organization

        return db.session.get(Organization, user.active_org_id)
    return None


def authenticate(email, password):
    """The user for these credentials, or None; both outcomes are audited.

    Raises ``Refused`` with a message for the person when the credentials are right but policy says no (their
    organization requires single sign-on).
    """
    from app.sso import ldap

    if ldap.enabled():
        return ldap.authenticate(email, password)
    user = user_by_email(email)
    if user is not None and user.is_active and password_matches(user, password):
        from app.sso.policy import password_refusal

        refusal = password_refusal(user)
        if refusal:
            record(user, _audit_org(user), "auth.login_failed", target=user, data={"reason": "single sign-on required"})
            raise Refused(refusal)
        user.last_login_at = utcnow()
        record(user, _audit_org(user), "auth.login_succeeded", target=user, data={"method": "password"})
        return user
    reason = "unknown e-mail" if user is None else ("account disabled" if not user.is_active else "wrong password")
    target = user or ("user", None, (email or "")[:254])
    record(user, _audit_org(user), "auth.login_failed", target=target, data={"reason": reason})
    return None


def record_logout(user):
    record(user, _audit_org(user), "auth.logout", target=user)


# Password reset -------------------------------------------------------------------------------------------

def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user):
    # Changing the password changes this, so a reset link works once.
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def make_reset_token(user):
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def request_password_reset(email):
    """Return (user, token) for a known, active address; (None, None) otherwise (the page says the same)."""
    user = user_by_email(email)
    if user is None or not user.is_active:
        return None, None
    record(user, _audit_org(user), "auth.password_reset_requested", target=user)
    return user, make_reset_token(user)


def user_for_reset_token(token):
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        payload = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise Refused("This reset link has expired. Ask for a new one.") from None
    except BadSignature:
        raise Refused("This reset link is not valid.") from None
    user = db.session.get(User, payload.get("uid"))
    if user is None or not user.is_active or payload.get("fp") != _password_fingerprint(user):
        raise Refused("This reset link has already been used or is no longer valid.")
    return user


def reset_password(token, new):
    user = user_for_reset_token(token)
    check_password_strength(new)
    user.password_hash = hash_password(new)
    db.session.flush()
    record(user, _audit_org(user), "auth.password_reset", target=user, data={"by": "e-mailed link"})
    return user


# API tokens -----------------------------------------------------------------------------------------------

def token_digest(token):
    """What is stored of a secret token (API keys, invitation and SCIM tokens): its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user, name="API token"):
    """Create a token and return (token_row, key); the key is never stored and cannot be shown again."""
    key = secrets.token_hex(20)  # 40 characters, the length the model product's clients expect
    token = ApiToken(user_id=user.id, name=(name or "API token").strip()[:100], token_hash=token_digest(key), prefix=key[:8])
    db.session.add(token)
    db.session.flush()
    record(user, _audit_org(user), "api_token.created", target=("api_token", token.id, token.name), data={"prefix": token.prefix})
    return token, key


def revoke_api_token(user, token):
    if token.user_id != user.id:
        raise Refused("That token is not yours.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(user, _audit_org(user), "api_token.revoked", target=("api_token", token.id, token.name),
               data={"prefix": token.prefix})
    return token


def revoke_all_api_tokens(user):
    for token in db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars():
        revoke_api_token(user, token)


def user_for_api_key(key):
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(key))).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user
