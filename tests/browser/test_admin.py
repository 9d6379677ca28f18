import re
import uuid

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_site_admin_creates_an_organization_and_its_owner_signs_in(page, seed, sign_in):
    from app.auth.services import create_user

    suffix = uuid.uuid4().hex[:8]
    admin_email = f"root-{suffix}@example.com"
    seed(lambda: create_user(None, admin_email, "Root", PASSWORD, is_site_admin=True))
    sign_in(admin_email)
    page.wait_for_url("**/admin/")

    form = page.locator("#org-create-form")
    form.get_by_label("Organization name").fill(f"Fresh {suffix}")
    form.get_by_label("Short name (in URLs)").fill("admin")
    form.get_by_label("Owner's e-mail").fill(f"owner-{suffix}@example.com")
    form.get_by_role("button", name="Create the organization").click()
    # refused in place (422 swapped by htmx), the typed values kept
    page.get_by_text("The short name may use").wait_for()
    assert page.locator("#org-create-form").get_by_label("Organization name").input_value() == f"Fresh {suffix}"

    page.locator("#org-create-form").get_by_label("Short name (in URLs)").fill(f"fresh-{suffix}")
    page.locator("#org-create-form").get_by_role("button", name="Create the organization").click()
    password = page.locator("#owner-password").text_content(timeout=10_000)
    assert re.search(rf"<td>Fresh {suffix}</td>", page.content())

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    sign_in(f"owner-{suffix}@example.com", password)
    page.wait_for_url(f"**/o/fresh-{suffix}/")
