"""SCIM fixtures: an organization with a bearer token, and a client that sends it."""
import pytest

from app.scim.tokens import create_token


class ScimClient:
    """The Flask test client with the bearer header and SCIM media type on every call."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}

    def open(self, method, path, json=None, headers=None, **kwargs):
        url = path if path.startswith("/") else f"/scim/v2/{path}"
        return self.client.open(url, method=method, json=json, headers={**self.headers, **(headers or {})},
                                content_type="application/scim+json" if json is not None else None, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.open("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.open("PUT", path, json=json, **kwargs)

    def patch(self, path, operations, **kwargs):
        payload = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
        return self.open("PATCH", path, json=payload, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)


USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def user_payload(user_name, given="", family="", **extra):
    payload = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True,
               "emails": [{"value": user_name, "type": "work", "primary": True}]}
    if given or family:
        payload["name"] = {"givenName": given, "familyName": family}
    payload.update(extra)
    return payload


@pytest.fixture
def scim_org(create_org):
    return create_org(name="Provisioned", slug="provisioned")


@pytest.fixture
def scim_token(db, scim_org):
    from app.orgs.services import owner_of

    _row, token = create_token(owner_of(scim_org).user, scim_org, "Identity provider")
    db.session.commit()
    return token


@pytest.fixture
def scim(client, scim_token):
    return ScimClient(client, scim_token)


@pytest.fixture
def make_user(scim):
    """POST a user and return its SCIM representation."""

    def make(user_name, given="", family="", **extra):
        response = scim.post("Users", user_payload(user_name, given, family, **extra))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make
