import uuid

import pytest

from tests.browser.conftest import PASSWORD, wait_for_htmx

pytestmark = pytest.mark.browser


def test_sign_in_and_out(page, seed):
    from app.auth.services import create_user
    from app.orgs.services import create_org

    suffix = uuid.uuid4().hex[:8]
    email = f"owner-{suffix}@example.com"
    seed(lambda: create_org(None, f"Browser {suffix}", create_user(None, email, "Bea Browser", PASSWORD), slug=f"b-{suffix}"))

    page.goto("/")
    wait_for_htmx(page)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("do not match an active account").wait_for()
    wait_for_htmx(page)

    # the refused form keeps the e-mail and asks for the password again
    assert page.get_by_label("E-mail").input_value() == email
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/o/b-{suffix}/")
    assert page.get_by_role("heading", name=f"Browser {suffix}").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
