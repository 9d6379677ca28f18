import pytest

from app.auth.services import issue_api_token


@pytest.fixture
def key_for(db):
    """An API key for ``user`` (committed, as a script would hold it)."""

    def make(user, name="script"):
        _, key = issue_api_token(user, name)
        db.session.commit()
        return key

    return make


@pytest.fixture
def token_client(app, key_for):
    """A client without a session that sends ``Authorization: Token <key>`` for ``user``."""

    def make(user):
        return TokenClient(app.test_client(), key_for(user))

    return make


class TokenClient:
    def __init__(self, client, key):
        self.client = client
        self.key = key

    def open(self, path, method="GET", headers=None, **kwargs):
        headers = {"Authorization": f"Token {self.key}", **(headers or {})}
        # A script sends no CSRF token; token authentication must not need one.
        return self.client.open(path, method=method, headers=headers, csrf=False, **kwargs)

    def get(self, path, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path, **kwargs):
        return self.open(path, "POST", **kwargs)

    def patch(self, path, **kwargs):
        return self.open(path, "PATCH", **kwargs)

    def delete(self, path, **kwargs):
        return self.open(path, "DELETE", **kwargs)
