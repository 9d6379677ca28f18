"""The audit log in a real browser: htmx filters that push the URL, "Load older", the retention form."""
import uuid

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _chain_length(slug):
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry, chain_key
    from app.extensions import db
    from app.orgs.models import Organization

    org = db.session.execute(select(Organization).where(Organization.slug == slug)).scalar_one()
    return db.session.execute(select(func.count()).where(AuditEntry.chain == chain_key(org.id))).scalar()


def test_filter_load_older_and_retention(page, seed, sign_in):
    from app.audit.services import record
    from app.audit.views import PAGE_SIZE
    from app.auth.services import create_user
    from app.orgs.services import create_org

    suffix = uuid.uuid4().hex[:8]
    email, slug = f"auditor-{suffix}@example.com", f"a-{suffix}"

    def make():
        owner = create_user(None, email, "Ada Auditor", PASSWORD)
        org = create_org(None, f"Audit {suffix}", owner, slug=slug)
        for n in range(PAGE_SIZE + 3):
            record(owner, org, "org.updated", data={"n": n})
        record(owner, org, "member.role_changed", target=("user", 1, f"needle-{suffix}@example.com"))

    seed(make)
    sign_in(email)
    page.wait_for_url("**/o/**")
    page.goto(f"/o/{slug}/audit")
    assert page.get_by_text("Chain intact").is_visible()
    rows = page.locator("#audit-rows tr[id^=entry-]")
    assert rows.count() == PAGE_SIZE

    page.get_by_label("Action").select_option("member.role_changed")
    page.wait_for_url("**action=member.role_changed**")
    page.locator("#audit-rows").get_by_text(f"needle-{suffix}@example.com").wait_for()
    assert rows.count() == 1

    page.get_by_label("Action").select_option("")
    page.get_by_text("Load older entries").wait_for()
    page.get_by_text("Load older entries").click()
    page.locator("#audit-rows tr[id^=entry-]").nth(PAGE_SIZE).wait_for()
    assert rows.count() == seed(lambda: _chain_length(slug))
    assert page.get_by_text("Load older entries").count() == 0

    retention = page.get_by_label("Keep entries for (days)")
    retention.fill("10")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Choose between 30 and 3650 days").wait_for()
    retention = page.get_by_label("Keep entries for (days)")
    retention.fill("365")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
