"""The whole plugin journey in a real browser, each person in their own browser: a Manager asks for plugins from the
project's Labeling interface settings, a site administrator approves in Site administration, the Manager writes a
plugin in the panel's code editor and saves it with a message, and an Annotator labels with it."""
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, wait_for_htmx
from tests.browser.test_labeling import annotations_of, labeling, open_task  # noqa: F401  (fixture)
from tests.browser.test_plugins_runtime import close_modal, modal

pytestmark = pytest.mark.browser

CONFIG = """<View>
  <Text name="review" value="$review"/>
  <TextArea name="summary" toName="review" maxSubmissions="1"/>
</View>"""

# Typed into the editor by the Manager, in the model product's style.
CODE = """// Word limit: at most 5 words in the summary.
const LIMIT = 5;
LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const answer = annotation.results.find((r) => r.from_name.name === "summary");
  const words = answer ? answer.value.text.join(" ").split(/\\s+/).filter(Boolean).length : 0;
  if (words > LIMIT) {
    Htx.showModal(`Journey check: ${words} words, at most ${LIMIT}.`, "error");
    return false;
  }
  return true;
});
"""


def person(browser, live_server, email):
    """A browser of its own for ``email``, signed in."""
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto("/login")
    wait_for_htmx(tab)
    tab.get_by_label("E-mail").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r"/(o/[^/]+|admin)/"))
    return tab


def latest_plugin(seed, project_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.plugins.models import Plugin, PluginRevision

    def read():
        plugin = db.session.scalar(select(Plugin).where(Plugin.project_id == project_id))
        if plugin is None:
            return None
        revisions = db.session.scalars(select(PluginRevision).where(PluginRevision.plugin_id == plugin.id)
                                       .order_by(PluginRevision.number)).all()
        return {"title": plugin.title, "mode": str(getattr(plugin.mode, "value", plugin.mode)), "enabled": plugin.enabled,
                "revisions": [(r.number, r.code, r.message) for r in revisions]}

    return seed(read)


def request_state(seed, project_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.orgs.models import Organization
    from app.plugins.models import PluginAccessRequest
    from app.projects.models import Project

    def read():
        project = db.session.get(Project, project_id)
        org = db.session.get(Organization, project.org_id)
        found = db.session.scalars(select(PluginAccessRequest).where(PluginAccessRequest.org_id == org.id)
                                   .order_by(PluginAccessRequest.id)).all()
        return [(str(getattr(r.state, "value", r.state)), r.reason) for r in found], org.plugins_enabled_at is not None

    return seed(read)


def test_request_approve_write_a_plugin_and_label_with_it(browser, live_server, page, seed, labeling):  # noqa: F811
    from app.auth.services import create_user

    setup = labeling(CONFIG, [{"review": "Quiet kettle, boils fast, lid feels flimsy."}], as_="manager")
    (task_id,) = setup.task_ids
    admin_email = f"site-admin-{uuid.uuid4().hex[:8]}@example.com"
    seed(lambda: create_user(None, admin_email, "Site Admin", PASSWORD, is_site_admin=True))
    settings_url = f"/o/{setup.slug}/projects/{setup.project_id}/settings/labeling"

    # 1. The Manager, in the Labeling interface settings: plugins are off; ask for them with a reason.
    manager = page
    manager.goto(settings_url)
    expect(manager.get_by_role("heading", name="Labeling interface")).to_be_visible()
    panel = manager.locator("#plugin-panel")
    expect(panel.locator("#plugin-access")).to_contain_text("an organization asks for plugins first")
    expect(panel.get_by_role("button", name="Add blank plugin")).to_have_count(0)
    panel.locator("summary", has_text="Request access").click()
    reason = "We check summaries for length before they are saved."
    panel.get_by_label("Why does this organization need plugins?").fill(reason)
    panel.get_by_role("button", name="Send the request").click()
    state = manager.locator("#plugin-access-state")
    expect(state).to_contain_text("waiting for a site administrator")
    expect(state).to_contain_text(f"Reason: {reason}")
    expect(manager.locator("#plugin-access")).to_contain_text("Your request was sent to the site administrators.")
    assert request_state(seed, setup.project_id) == ([("pending", reason)], False)

    # 2. A site administrator: Site administration → Plugin requests → approve.
    admin = person(browser, live_server, admin_email)
    admin.goto("/admin/")
    admin.get_by_role("link", name="Plugin requests").click()
    admin.wait_for_url("**/admin/plugin-requests")
    card = admin.locator("article.plugin-request", has_text=setup.slug)
    expect(card).to_contain_text("Pending")
    expect(card).to_contain_text(f"Reason: {reason}")
    expect(card).to_contain_text(setup.manager)
    card.get_by_label("Note (optional)").fill("Fine for length checks.")
    card.get_by_role("button", name="Approve: switch plugins on").click()
    card = admin.locator("article.plugin-request", has_text=setup.slug)
    expect(card).to_contain_text("Approved")
    expect(card.get_by_role("button", name="Approve: switch plugins on")).to_have_count(0)
    assert request_state(seed, setup.project_id) == ([("approved", reason)], True)

    # 3. The Manager reloads: the stack, empty; add a blank plugin, write it in the code editor, save with a message.
    manager.reload()
    panel = manager.locator("#plugin-panel")
    expect(panel).to_contain_text("This project has no plugins yet.")
    expect(panel.locator("#plugin-access")).to_have_count(0)
    panel.get_by_label("Title").fill("Summary length")
    panel.get_by_role("button", name="Add blank plugin").click()
    expect(panel).to_contain_text("Plugin added.")
    expect(panel.locator("#plugin-editor-title")).to_have_text("Editing “Summary length”")
    editor = panel.locator(".CodeMirror")
    expect(editor).to_be_visible()
    expect(panel.locator(".CodeMirror-code .CodeMirror-linenumber").first).to_have_text("1")
    manager.evaluate("code => document.querySelector('.CodeMirror').CodeMirror.setValue(code)", CODE)
    expect(editor).to_contain_text("Journey check")
    panel.get_by_label("What changed").fill("Limit summaries to five words")
    panel.get_by_role("button", name="Save revision").click()
    expect(panel).to_contain_text("Saved as a new revision.")
    saved = latest_plugin(seed, setup.project_id)
    assert (saved["title"], saved["mode"], saved["enabled"]) == ("Summary length", "sandboxed", True)
    number, code, message = saved["revisions"][-1]
    assert code.strip() == CODE.strip() and message == "Limit summaries to five words"
    # The editor shows what was saved, after the panel swapped.
    expect(panel.locator(".CodeMirror")).to_contain_text("Journey check")

    # 4. An Annotator labels with it: an over-long answer is refused with the modal, a short one saves.
    annotator = person(browser, live_server, setup.annotator)
    saves = []
    annotator.on("request", lambda r: saves.append(r.url) if r.method == "POST" and "/annotations" in r.url else None)
    open_task(annotator, setup.url)
    expect(annotator.locator("#lsf-plugins iframe.lsf-plugin-frame[sandbox='allow-scripts']")).to_have_count(1)
    state = json.loads(annotator.locator("#lsf-state").text_content())
    assert [(p["title"], p["revision"]) for p in state["plugins"]] == [("Summary length", number)]
    annotator.get_by_label("summary").fill("a kettle that is quiet and quick but flimsy")
    annotator.get_by_label("summary").press("Enter")
    annotator.keyboard.press("Control+Enter")
    expect(modal(annotator)).to_contain_text("Journey check: 9 words, at most 5.")
    annotator.wait_for_timeout(300)
    assert saves == [] and annotations_of(seed, task_id) == []
    close_modal(annotator)

    annotator.get_by_role("button", name="Delete entry").click()
    annotator.get_by_label("summary").fill("quiet quick kettle, flimsy lid")
    annotator.keyboard.press("Control+Enter")
    expect(annotator.locator(".lsf-empty")).to_be_visible()
    expect(modal(annotator)).to_have_count(0)
    [(result, cancelled, _)] = annotations_of(seed, task_id)
    assert not cancelled and [r["value"] for r in result] == [{"text": ["quiet quick kettle, flimsy lid"]}]
    annotator.context.close()
    admin.context.close()
