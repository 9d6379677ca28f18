"""The @require gate: load, 404 for other organizations, 403 for missing permissions, login for strangers."""
import pytest

from app.security.permissions import PERMISSIONS, can, permissions_for
from app.security.roles import Role
from tests.conftest import hx


@pytest.mark.parametrize("who,status", [
    ("owner", 200), ("admin", 200), ("manager", 200), ("reviewer", 200), ("annotator", 200),
    ("deactivated", 404), ("outsider", 404),
])
def test_org_home_by_role(client_for, people, who, status):
    assert client_for(people[who]).get("/o/acme/").status_code == status


def test_unknown_org_is_404(owner_client):
    assert owner_client.get("/o/nowhere/").status_code == 404


def test_pending_member_is_sent_to_the_waiting_page(client_for, people):
    client = client_for(people["pending"])
    response = client.get("/o/acme/")
    assert response.status_code == 302 and response.headers["Location"] == "/o/acme/pending"
    page = client.get("/o/acme/pending")
    assert page.status_code == 200 and b"Waiting for a role" in page.data
    htmx = client.get("/o/acme/", headers=hx())
    assert htmx.status_code == 403 and htmx.headers["HX-Redirect"] == "/o/acme/pending"


def test_waiting_page_is_only_for_pending_members(owner_client, client_for, people):
    assert owner_client.get("/o/acme/pending").status_code == 404
    assert client_for(people["outsider"]).get("/o/acme/pending").status_code == 404


def test_htmx_errors_are_fragments(client_for, people):
    response = client_for(people["outsider"]).get("/o/acme/", headers=hx())
    assert response.status_code == 404
    assert b"<html" not in response.data and b'data-status="404"' in response.data


def test_anonymous_api_call_gets_json_401(client):
    response = client.get("/api/organizations/1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    body = response.get_json()
    assert body["status_code"] == 401 and body["detail"] == "Authentication credentials were not provided."


def test_site_permission_needs_the_flag(client_for, people, create_user):
    assert client_for(people["owner"]).get("/admin/").status_code == 403
    assert client_for(create_user(is_site_admin=True)).get("/admin/").status_code == 200


def test_every_html_response_varies_on_hx_request(owner_client):
    assert "HX-Request" in owner_client.get("/o/acme/").headers.get("Vary", "")


class _Member:
    def __init__(self, role):
        self.role = role


def test_can_follows_the_table(people):
    owner = people["owner"]
    for permission, (scope, roles) in PERMISSIONS.items():
        if scope != "org":
            continue
        for role in Role:
            assert can(owner, _Member(role), permission) == (role in roles), (permission, role)


def test_no_permission_for_pending_or_deactivated():
    assert permissions_for(Role.PENDING) == [] and permissions_for(Role.DEACTIVATED) == []
    assert "members.change_role" in permissions_for(Role.ADMIN)
    assert "members.change_role" not in permissions_for(Role.MANAGER)
