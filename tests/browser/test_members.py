import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_owner_invites_and_changes_a_role_without_reloading(page, seed, sign_in):
    from app.auth.services import create_user
    from app.orgs.services import add_member, create_org
    from app.security.roles import Role

    suffix = uuid.uuid4().hex[:8]
    email = f"owner-{suffix}@example.com"

    def make():
        owner = create_user(None, email, "Olga Owner", PASSWORD)
        org = create_org(None, f"Members {suffix}", owner, slug=f"m-{suffix}")
        annotator = create_user(None, f"ann-{suffix}@example.com", f"Ann {suffix}")
        return add_member(owner, org, annotator, Role.ANNOTATOR).id

    member_id = seed(make)
    row = page.locator(f"#member-{member_id}")

    sign_in(email)
    page.wait_for_url(f"**/o/m-{suffix}/")
    page.get_by_role("link", name="Members").click()
    page.wait_for_url(f"**/o/m-{suffix}/members")
    page.evaluate("window.__marker = 1")

    invitee = f"new-{suffix}@example.com"
    page.get_by_label("E-mail addresses").fill(invitee)
    page.locator("#invite-role").select_option("reviewer")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_text("1 invitation created")).to_be_visible()
    expect(page.get_by_label(f"{invitee} (not e-mailed")).to_have_value(re.compile(r"/invite/[\w-]+$"))
    expect(page.locator("#invite-list")).to_contain_text(invitee)

    expect(row.locator(".badge")).to_have_text("Annotator")
    page.get_by_label(f"Role of Ann {suffix}").select_option("manager")
    expect(row.locator(".badge")).to_have_text("Manager")
    expect(page.get_by_label(f"Role of Ann {suffix}")).to_have_value("manager")

    page.get_by_label("Search").fill(f"ann-{suffix}")
    expect(page.locator("#members tbody tr")).to_have_count(1)
    page.wait_for_url(f"**/members?q=ann-{suffix}*")
    assert page.evaluate("window.__marker") == 1  # every change above was swapped in, never a page load

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
