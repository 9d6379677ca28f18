import pytest

from app import create_app
from app.config import Config, ImproperlyConfigured


def test_production_refuses_to_start_without_secret_key():
    class Production(Config):
        ENV_NAME = "production"
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        create_app(Production)


def test_postgres_urls_use_psycopg3(monkeypatch):
    from app import config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert config._database_url() == "postgresql+psycopg://u@h/db"


def test_bad_integer_setting_is_named(monkeypatch):
    from app.config import env_int

    monkeypatch.setenv("SESSION_HOURS", "twelve")
    with pytest.raises(ImproperlyConfigured, match="SESSION_HOURS"):
        env_int("SESSION_HOURS", 12)


def test_session_cookie_is_httponly_and_lax(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
