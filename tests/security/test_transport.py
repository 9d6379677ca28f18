"""Cookies, proxies and rate limits: the parts that differ between a laptop and a deployment."""
import uuid

import pytest
import redis

from app import create_app
from app.config import TestConfig
from tests.conftest import Client


def _session_cookie(response):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_flags_over_http(client):
    cookie = _session_cookie(client.get("/login"))  # rendering the form puts a CSRF token in the session
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_behind_a_tls_proxy(app, db):
    """With PROXY_FIX_HOPS set, X-Forwarded-Proto: https from the proxy makes the cookie Secure."""

    class BehindProxy(TestConfig):
        PROXY_FIX_HOPS = 1
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    proxied = create_app(BehindProxy)
    proxied.test_client_class = Client
    with proxied.app_context():
        assert "Secure" in _session_cookie(proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"}))
        assert "Secure" not in _session_cookie(proxied.test_client().get("/login"))


def _redis_available():
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="no Redis on 127.0.0.1:6379 (CI starts one)")
def test_failed_logins_are_limited_across_replicas(app, db):
    """Two app instances sharing Redis count the same attempts: the limit holds with several replicas."""
    namespace = uuid.uuid4().hex

    class Replica(TestConfig):
        RATELIMIT_ENABLED = True
        RATELIMIT_LOGIN = "3 per minute"
        REDIS_URL = "redis://127.0.0.1:6379/15"
        RATELIMIT_KEY_PREFIX = namespace
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    from app.extensions import limiter

    first, second = create_app(Replica), create_app(Replica)
    statuses = []
    try:
        for replica in (first, second, first, second):
            replica.test_client_class = Client
            with replica.app_context():
                response = replica.test_client().post("/login", data={"email": "x@example.com", "password": "wrong password"})
                statuses.append(response.status_code)
    finally:
        # one limiter object serves every app instance: leave it as the suite's app configured it
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
    assert statuses == [422, 422, 422, 429]
    keys = redis.Redis.from_url("redis://127.0.0.1:6379/15").keys(f"*{namespace}*")
    assert keys, "the limiter kept its counters outside Redis"
