"""Configuration read from the environment through typed helpers."""
import os
from datetime import timedelta
from pathlib import Path

import orjson

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


class ImproperlyConfigured(RuntimeError):
    """Raised at start-up when a required setting is missing or invalid."""


def env_str(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


def _database_url():
    url = env_str("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tessera.db'}")
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = env_str("TESSERA_ENV", "development")
    SECRET_KEY = env_str("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # orjson reads and writes JSON columns several times faster than the standard library (exports, imports).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": lambda value: orjson.dumps(value).decode(),
                                 "json_deserializer": orjson.loads}
    REDIS_URL = env_str("REDIS_URL")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 12))
    # How many reverse proxies to trust for X-Forwarded-* (0 = none).
    PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)

    WTF_CSRF_ENABLED = True
    # A labeling page stays open for hours; the token lives as long as the session.
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "10 per minute")
    #: single sign-on's start and assertion consumer, per address: a company's people often share one address
    #: behind its proxy, and their passwords were checked by the identity provider
    RATELIMIT_SSO = env_str("RATELIMIT_SSO", "60 per minute")
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)

    MAIL_SERVER = env_str("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_FROM = env_str("MAIL_FROM", "tessera@localhost")

    INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
    PASSWORD_RESET_HOURS = env_int("PASSWORD_RESET_HOURS", 2)
    TESSERA_VERSION = "0.1.0"

    # LDAP sign-in (on-premise installs) ----------------------------------------------------------------------
    # When on, the sign-in form checks e-mail or user name and password against the directory, and the groups
    # the person belongs to give their role and workspaces in one organization. app/sso/ldap.py reads these on
    # every sign-in; Config.validate checks them at start-up.
    #: switch LDAP sign-in on; password sign-in then stays open only to site administrators and Owners
    AUTH_LDAP_ENABLED = env_bool("AUTH_LDAP_ENABLED", False)
    #: ldap://host:389 or ldaps://host:636
    AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI", "")
    #: upgrade an ldap:// connection with StartTLS before binding
    AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
    #: PEM file of the certificate authorities the directory's certificate must chain to (system store if empty)
    AUTH_LDAP_CA_CERT_FILE = env_str("AUTH_LDAP_CA_CERT_FILE", "")
    #: service account for searches (people and groups); empty searches anonymously
    AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = env_str("AUTH_LDAP_BIND_PASSWORD", "")
    #: DN to bind as, e.g. uid=%(user)s,ou=people,dc=example,dc=org (the login is escaped as an RDN value);
    #: empty: search for the person under AUTH_LDAP_USER_SEARCH_BASES instead
    AUTH_LDAP_USER_DN_TEMPLATE = env_str("AUTH_LDAP_USER_DN_TEMPLATE", "")
    #: ';'-separated search bases for people (used when AUTH_LDAP_USER_DN_TEMPLATE is empty)
    AUTH_LDAP_USER_SEARCH_BASES = env_str("AUTH_LDAP_USER_SEARCH_BASES", "")
    #: %(user)s is the login, escaped for a filter; exactly one entry must match
    AUTH_LDAP_USER_SEARCH_FILTER = env_str("AUTH_LDAP_USER_SEARCH_FILTER", "(|(uid=%(user)s)(mail=%(user)s))")
    AUTH_LDAP_ATTR_EMAIL = env_str("AUTH_LDAP_ATTR_EMAIL", "mail")
    AUTH_LDAP_ATTR_FIRST_NAME = env_str("AUTH_LDAP_ATTR_FIRST_NAME", "givenName")
    AUTH_LDAP_ATTR_LAST_NAME = env_str("AUTH_LDAP_ATTR_LAST_NAME", "sn")
    #: where groups live; a group counts when its member or uniqueMember holds the person's DN
    AUTH_LDAP_GROUP_SEARCH_BASE = env_str("AUTH_LDAP_GROUP_SEARCH_BASE", "")
    AUTH_LDAP_GROUP_SEARCH_FILTER = env_str("AUTH_LDAP_GROUP_SEARCH_FILTER", "(objectClass=groupOfNames)")
    #: slug of the organization directory people join; or, when empty, the organization this e-mail owns
    AUTH_LDAP_ORGANIZATION = env_str("AUTH_LDAP_ORGANIZATION", "")
    AUTH_LDAP_ORGANIZATION_OWNER_EMAIL = env_str("AUTH_LDAP_ORGANIZATION_OWNER_EMAIL", "")
    #: ';'-separated group DNs per role; the strongest role among a person's groups wins
    AUTH_LDAP_ORGANIZATION_ROLE_ADMINISTRATOR = env_str("AUTH_LDAP_ORGANIZATION_ROLE_ADMINISTRATOR", "")
    AUTH_LDAP_ORGANIZATION_ROLE_MANAGER = env_str("AUTH_LDAP_ORGANIZATION_ROLE_MANAGER", "")
    AUTH_LDAP_ORGANIZATION_ROLE_REVIEWER = env_str("AUTH_LDAP_ORGANIZATION_ROLE_REVIEWER", "")
    AUTH_LDAP_ORGANIZATION_ROLE_ANNOTATOR = env_str("AUTH_LDAP_ORGANIZATION_ROLE_ANNOTATOR", "")
    AUTH_LDAP_ORGANIZATION_ROLE_NOT_ACTIVATED = env_str("AUTH_LDAP_ORGANIZATION_ROLE_NOT_ACTIVATED", "")
    AUTH_LDAP_ORGANIZATION_ROLE_DEACTIVATED = env_str("AUTH_LDAP_ORGANIZATION_ROLE_DEACTIVATED", "")
    #: JSON {"workspace name": "group dn;group dn"}; missing workspaces are created
    AUTH_LDAP_ORGANIZATION_WORKSPACES = env_str("AUTH_LDAP_ORGANIZATION_WORKSPACES", "")
    #: seconds to wait for the directory to connect and to answer
    AUTH_LDAP_TIMEOUT = env_int("AUTH_LDAP_TIMEOUT", 10)

    @classmethod
    def validate(cls, app):
        """Fail loudly on a production start without the settings it cannot run without."""
        if not app.config.get("SECRET_KEY"):
            if app.config["ENV_NAME"] == "production":
                raise ImproperlyConfigured(
                    "SECRET_KEY is not set. Set it in the environment (see .env.example) "
                    "before starting Tessera in production."
                )
            app.config["SECRET_KEY"] = _development_secret()
        if app.config.get("AUTH_LDAP_ENABLED"):
            from app.sso.ldap import LdapSettings

            LdapSettings.from_config(app.config)  # raises ImproperlyConfigured naming the setting


def _development_secret():
    """A per-checkout key for development, kept in instance/ so sessions survive a restart."""
    path = INSTANCE_DIR / "dev-secret-key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 (the test configuration only)
    # The suite runs on DATABASE_URL when given (CI's PostgreSQL run), else on a throw-away SQLite file
    # that tests/conftest.py names.
    SQLALCHEMY_DATABASE_URI = _database_url() if env_str("DATABASE_URL") else None
    RATELIMIT_ENABLED = False
    MAIL_SERVER = None
    # Hashing at full cost would dominate the suite's time; the rehash check upgrades such hashes anyway.
    PASSWORD_HASH_CHEAP = True
