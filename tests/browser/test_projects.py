"""A Manager's first project in a real browser: template, configuration with live preview, CSV upload, Data Manager."""
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, wait_for_htmx

pytestmark = pytest.mark.browser


def test_create_configure_upload_filter_and_export(page, seed, sign_in, tmp_path):
    from app.auth.services import create_user
    from app.orgs.services import create_org

    suffix = uuid.uuid4().hex[:8]
    email = f"owner-{suffix}@example.com"
    seed(lambda: create_org(None, f"Projects {suffix}", create_user(None, email, "Pat Owner", PASSWORD), slug=f"p-{suffix}"))
    sign_in(email)
    page.wait_for_url(f"**/o/p-{suffix}/")

    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Title").fill("Reviews")
    page.get_by_label("Workspace").select_option(label="Default")
    page.get_by_label("Text classification").check()
    page.get_by_role("button", name="Create the project").click()
    page.wait_for_url("**/settings/labeling")
    wait_for_htmx(page)

    preview = page.locator("#config-preview")
    expect(preview).to_contain_text("Positive")
    editor = page.get_by_label("Labeling configuration (XML)")
    editor.fill(editor.input_value().replace("Positive", "Delighted"))
    expect(preview).to_contain_text("Delighted")
    editor.fill(editor.input_value().replace("<Choices", "<Chioces", 1))
    expect(preview).to_contain_text("Chioces")
    editor.fill(editor.input_value().replace("<Chioces", "<Choices", 1))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text("text\nI love it\nIt broke after a day\n\"Fine, I guess\"\n")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 3 tasks")).to_be_visible()

    page.get_by_role("link", name="Data", exact=True).click()
    page.wait_for_url("**/data")
    wait_for_htmx(page)
    rows = page.locator("#dm-rows tr[data-task]")
    expect(rows).to_have_count(3)
    page.evaluate("window.__marker = 1")
    page.get_by_label("Data field").fill("text")
    page.get_by_label("contains").fill("broke")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("It broke after a day")
    assert page.evaluate("window.__marker") == 1  # filtered in place, no page load

    rows.first.get_by_role("checkbox").check()
    page.get_by_label("Format").select_option("JSON")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export", exact=True).click()
    exported = download.value.path().read_text()
    assert "It broke after a day" in exported and "I love it" not in exported
