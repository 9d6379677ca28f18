"""Account services: password hashing, reset tokens, e-mail addresses."""
import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner

from app.auth import services
from app.auth.services import (
    authenticate,
    change_password,
    create_user,
    hash_password,
    make_reset_token,
    normalize_email,
    password_matches,
    reset_password,
    user_by_email,
    user_for_reset_token,
)
from app.errors import Refused
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


# Passwords -------------------------------------------------------------------------------------------------

def test_passwords_are_hashed_with_argon2id(db, create_user):
    user = create_user()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted
    assert password_matches(user, PASSWORD)
    assert not password_matches(user, PASSWORD + "x")
    assert not password_matches(user, "")


def test_unreadable_hash_or_no_password_never_matches(db, create_user):
    user = create_user()
    user.password_hash = "not an argon2 hash"
    assert not password_matches(user, PASSWORD)
    user.password_hash = None
    assert not password_matches(user, PASSWORD)


def test_outdated_hash_is_upgraded_on_sign_in(db, create_user):
    user = create_user()
    current = user.password_hash
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash(PASSWORD)
    outdated = user.password_hash
    assert authenticate(user.email, PASSWORD) is user
    assert user.password_hash not in (outdated, current)
    assert user.password_hash.split("$")[3] == current.split("$")[3]  # the parameters in use now
    # an up-to-date hash is left alone
    upgraded = user.password_hash
    assert password_matches(user, PASSWORD) and user.password_hash == upgraded


def test_wrong_password_does_not_rehash(db, create_user):
    user = create_user()
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash(PASSWORD)
    outdated = user.password_hash
    assert not password_matches(user, "wrong password")
    assert user.password_hash == outdated


def test_change_password_checks_the_current_one(db, create_user):
    user = create_user()
    with pytest.raises(Refused) as refused:
        change_password(user, "wrong", NEW_PASSWORD)
    assert refused.value.field == "current_password"
    with pytest.raises(Refused, match="at least 10"):
        change_password(user, PASSWORD, "short")
    change_password(user, PASSWORD, NEW_PASSWORD)
    assert password_matches(user, NEW_PASSWORD)


# Reset tokens ----------------------------------------------------------------------------------------------

def test_reset_token_works_once(db, create_user):
    user = create_user()
    token = make_reset_token(user)
    assert user_for_reset_token(token) is user
    reset_password(token, NEW_PASSWORD)
    assert password_matches(user, NEW_PASSWORD)
    with pytest.raises(Refused, match="already been used"):
        user_for_reset_token(token)
    with pytest.raises(Refused, match="already been used"):
        reset_password(token, "yet another passphrase")


def test_reset_token_expires(db, create_user, app, monkeypatch):
    user = create_user()
    hours = app.config["PASSWORD_RESET_HOURS"]
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - hours * 3600 - 5)
    old = make_reset_token(user)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - hours * 3600 + 60)
    recent = make_reset_token(user)
    monkeypatch.undo()
    with pytest.raises(Refused, match="expired"):
        user_for_reset_token(old)
    assert user_for_reset_token(recent) is user


def test_tampered_reset_token_is_refused(db, create_user):
    user = create_user()
    token = make_reset_token(user)
    with pytest.raises(Refused, match="not valid"):
        user_for_reset_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_reset_token_of_a_disabled_account_is_refused(db, create_user):
    user = create_user()
    token = make_reset_token(user)
    user.is_active_account = False
    with pytest.raises(Refused):
        user_for_reset_token(token)


def test_reset_request_reveals_nothing_for_unknown_addresses(db, create_user):
    assert services.request_password_reset("nobody@example.com") == (None, None)
    user = create_user()
    found, token = services.request_password_reset(user.email.upper())
    assert found is user and user_for_reset_token(token) is user


# E-mail addresses ------------------------------------------------------------------------------------------

def test_normalize_email():
    assert normalize_email("  Mixed.Case@Example.COM ") == "mixed.case@example.com"
    assert normalize_email("ops@intranet.local") == "ops@intranet.local"
    for bad in ("", None, "no-at-sign", "a@", "two@@example.com"):
        with pytest.raises(Refused) as refused:
            normalize_email(bad)
        assert refused.value.field == "email"


def test_duplicates_are_case_insensitive(db, create_user):
    user = create_user(email="Jane.Doe@Example.com")
    assert user.email == "jane.doe@example.com"
    assert user_by_email(" JANE.DOE@example.COM ") is user
    with pytest.raises(Refused, match="already exists"):
        create_user(email="JANE.DOE@EXAMPLE.COM")
    with pytest.raises(Refused, match="already exists"):
        services.create_user(None, "jane.doe@example.com")


def test_sign_in_with_any_case(db, create_user):
    user = create_user(email="case@example.com")
    assert authenticate("CASE@Example.com", PASSWORD) is user
    assert user.last_login_at is not None


def test_short_password_is_refused_at_creation(db):
    with pytest.raises(Refused, match="at least 10"):
        create_user(None, "short@example.com", password="short")
    assert user_by_email("short@example.com") is None
