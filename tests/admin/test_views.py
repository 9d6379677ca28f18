"""Site administration pages: who reaches them, creating organizations with their Owners, site administrators."""
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.auth.services import authenticate, user_by_email
from app.orgs.models import Organization, OrgMember
from app.security.roles import Role
from tests.conftest import hx


def _entries(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def _org(db, slug):
    return db.session.execute(select(Organization).where(Organization.slug == slug)).scalar_one_or_none()


def _org_count(db):
    return db.session.execute(select(func.count(Organization.id))).scalar()


# Who gets in ---------------------------------------------------------------------------------------------------

#: (method, path, form data); data that is refused by validation, so a granted call is 422 and changes nothing
ROUTES = [
    ("GET", "/admin/", None),
    ("GET", "/admin/site-admins", None),
    ("POST", "/admin/orgs", {"name": "", "owner_email": ""}),
    ("POST", "/admin/site-admins", {"email": "nobody@nowhere.example.com"}),
    ("POST", "/admin/site-admins/{self}/revoke", {}),
]


def _call(client, method, path, data, site_admin, headers=None):
    path = path.format(self=site_admin.id)
    return client.open(path, method=method, data=data, headers=headers)


@pytest.mark.parametrize("method,path,data", ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_site_admin_gets_in(site_admin_client, site_admin, method, path, data, htmx):
    response = _call(site_admin_client, method, path, data, site_admin, headers=hx() if htmx else None)
    assert response.status_code == (200 if method == "GET" else 422)
    assert (b"<html" in response.data) is not htmx
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("who", ["owner", "admin", "annotator"])
@pytest.mark.parametrize("method,path,data", ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_organization_roles_are_refused(client_for, people, site_admin, who, method, path, data, htmx):
    response = _call(client_for(people[who]), method, path, data, site_admin, headers=hx() if htmx else None)
    assert response.status_code == 403
    assert site_admin.is_site_admin


@pytest.mark.parametrize("method,path,data", ROUTES)
def test_anonymous_is_sent_to_sign_in(client, site_admin, method, path, data):
    response = _call(client, method, path, data, site_admin)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/admin/")
    htmx = _call(client, method, path, data, site_admin, headers=hx())
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")


def test_post_without_csrf_token_is_refused(site_admin_client, db):
    before = _org_count(db)
    response = site_admin_client.post("/admin/orgs", data={"name": "Sneaky", "owner_email": "x@example.com"}, csrf=False)
    assert response.status_code == 400
    assert _org_count(db) == before


# The organizations page -----------------------------------------------------------------------------------------

def test_organizations_table_lists_owner_and_member_count(site_admin_client, people, dummy_org):
    page = site_admin_client.get("/admin/").get_data(as_text=True)
    row = re.search(r"<tr><td>Acme</td>.*?</tr>", page, re.S).group(0)
    assert people["owner"].email in row
    # seven memberships, one of them deactivated
    assert "<td>6</td>" in row
    assert "Other" in page and 'action="/admin/orgs"' in page
    assert 'href="/admin/site-admins"' in page


def test_create_org_with_a_new_owner_shows_the_password_once(site_admin_client, site_admin, db):
    response = site_admin_client.post("/admin/orgs", data={
        "name": "Northwind Traders", "slug": "", "owner_email": " Boss@Northwind.Example.com ", "owner_name": "Nora Boss",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    org = _org(db, "northwind-traders")
    assert org is not None and org.name == "Northwind Traders" and org.created_by_id == site_admin.id
    owner = user_by_email("boss@northwind.example.com")
    assert owner.name == "Nora Boss" and owner.email == "boss@northwind.example.com"
    membership = db.session.execute(select(OrgMember).where(OrgMember.org_id == org.id)).scalar_one()
    assert membership.user_id == owner.id and membership.role == Role.OWNER
    password = re.search(r'<code id="owner-password">([^<]+)</code>', page).group(1)
    assert authenticate(owner.email, password) is owner
    assert password not in site_admin_client.get("/admin/").get_data(as_text=True)
    created = _entries(db, "org.created")[-1]
    assert created.org_id == org.id and created.actor_id == site_admin.id
    assert _entries(db, "user.created")[-1].target_id == str(owner.id)
    # the site administrator did not become a member by creating it
    assert site_admin_client.get("/o/northwind-traders/").status_code == 404


def test_create_org_for_an_existing_account(site_admin_client, db, people):
    outsider = people["outsider"]
    response = site_admin_client.post("/admin/orgs", data={
        "name": "Second", "slug": "second", "owner_email": outsider.email.upper(), "owner_name": "",
    }, headers=hx())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" not in page and 'id="admin-orgs"' in page and "owner-password" not in page
    assert f"owned by {outsider.email}" in page
    org = _org(db, "second")
    assert db.session.execute(
        select(OrgMember.role).where(OrgMember.org_id == org.id, OrgMember.user_id == outsider.id)
    ).scalar_one() == Role.OWNER


@pytest.mark.parametrize("data,message", [
    ({"name": "Copy", "slug": "acme", "owner_email": "new-owner@example.com"}, "is taken"),
    ({"name": "Bad", "slug": "Not A Slug!", "owner_email": "new-owner@example.com"}, "lower-case letters"),
    ({"name": "Mail", "slug": "", "owner_email": "not-an-address"}, "not a valid e-mail address"),
    ({"name": "   ", "slug": "", "owner_email": "new-owner@example.com"}, "Give the organization a name."),
    ({"name": "", "slug": "", "owner_email": "new-owner@example.com"}, "Give the organization a name."),
])
def test_create_org_refusals_save_nothing(site_admin_client, db, dummy_org, data, message):
    before = _org_count(db)
    response = site_admin_client.post("/admin/orgs", data={"owner_name": "", **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _org_count(db) == before
    # the Owner's account made before the refusal was rolled back with it
    assert user_by_email("new-owner@example.com") is None


def test_refusal_in_htmx_is_the_form_fragment(site_admin_client, dummy_org):
    response = site_admin_client.post("/admin/orgs", data={"name": "Copy", "slug": "acme", "owner_email": "a@example.com"},
                                      headers=hx())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" not in page and 'id="org-create-form"' in page and 'aria-invalid="true"' in page
    assert 'value="Copy"' in page


def test_disabled_account_cannot_own(site_admin_client, create_user, db):
    user = create_user(email="gone@example.com")
    user.is_active_account = False
    db.session.commit()
    response = site_admin_client.post("/admin/orgs", data={"name": "Ghost", "owner_email": "gone@example.com"})
    assert response.status_code == 422 and b"is disabled" in response.data
    assert _org(db, "ghost") is None


# Site administrators ----------------------------------------------------------------------------------------------

def test_site_admins_page_lists_them(site_admin_client, site_admin, create_user):
    other = create_user(email="second-root@example.com", is_site_admin=True)
    create_user(email="plain@example.com")
    page = site_admin_client.get("/admin/site-admins").get_data(as_text=True)
    assert site_admin.email in page and other.email in page and "plain@example.com" not in page
    assert f"/admin/site-admins/{other.id}/revoke" in page
    # no button to revoke yourself
    assert f"/admin/site-admins/{site_admin.id}/revoke" not in page


def test_grant_by_email(site_admin_client, site_admin, people, db):
    owner = people["owner"]
    response = site_admin_client.post("/admin/site-admins", data={"email": owner.email.upper()})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/site-admins"
    assert db.session.get(User, owner.id).is_site_admin
    entry = _entries(db, "user.site_admin_granted")[-1]
    assert entry.org_id is None and entry.chain == "site"
    assert entry.actor_id == site_admin.id and entry.target_id == str(owner.id)
    assert "is now a site administrator" in site_admin_client.get("/admin/site-admins").get_data(as_text=True)
    # the new site administrator reaches the pages
    assert site_admin_client.application.test_client().login(owner).get("/admin/").status_code == 200


def test_grant_through_htmx_redirects(site_admin_client, create_user):
    user = create_user()
    response = site_admin_client.post("/admin/site-admins", data={"email": user.email}, headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/admin/site-admins"


@pytest.mark.parametrize("email,message", [
    ("nobody@example.com", "No account has the e-mail"),
    ("root@tessera.example.com", "already a site administrator"),
    ("", "Enter an e-mail."),
])
def test_grant_refusals(site_admin_client, db, email, message):
    response = site_admin_client.post("/admin/site-admins", data={"email": email}, headers=hx())
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert not _entries(db, "user.site_admin_granted")


def test_revoke(site_admin_client, site_admin, create_user, db):
    other = create_user(email="second-root@example.com", is_site_admin=True)
    response = site_admin_client.post(f"/admin/site-admins/{other.id}/revoke", headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/admin/site-admins"
    assert not db.session.get(User, other.id).is_site_admin
    entry = _entries(db, "user.site_admin_revoked")[-1]
    assert entry.chain == "site" and entry.actor_id == site_admin.id and entry.target_id == str(other.id)
    assert site_admin_client.application.test_client().login(other).get("/admin/").status_code == 403


def test_cannot_revoke_yourself(site_admin_client, site_admin, create_user, db):
    create_user(email="second-root@example.com", is_site_admin=True)
    response = site_admin_client.post(f"/admin/site-admins/{site_admin.id}/revoke", headers=hx())
    assert response.status_code == 422
    assert "cannot revoke your own" in response.get_data(as_text=True)
    assert db.session.get(User, site_admin.id).is_site_admin
    assert not _entries(db, "user.site_admin_revoked")


def test_revoke_someone_who_is_not_one(site_admin_client, people):
    response = site_admin_client.post(f"/admin/site-admins/{people['owner'].id}/revoke")
    assert response.status_code == 422 and b"is not a site administrator" in response.data


def test_revoke_unknown_user_is_404(site_admin_client):
    assert site_admin_client.post("/admin/site-admins/999999/revoke").status_code == 404
