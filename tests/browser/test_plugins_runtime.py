"""The plugin runtime in a real browser: a plugin written for the model product runs unchanged and blocks a save
(sandboxed and trusted), plugins are isolated from each other, an error stays in its plugin, the sandbox holds
(no cookies, no page, no same-origin API with the user's session) and the page's CSP stops inline script."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_labeling import annotations_of, labeling, open_task  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

QA = """<View>
  <Text name="text" value="$text"/>
  <TextArea name="answer" toName="text"/>
</View>"""

CHOICES = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""

# Written the way the model product's users write them: LSI.on, annotation.results, r.from_name.name, Htx.showModal.
WORD_LIMIT = """
LSI.on('beforeSaveAnnotation', (store, ann) => {
  const t = ann.results.find(r => r.from_name.name === 'answer');
  if (t && t.value.text.join(' ').split(/\\s+/).length > 3) {
    Htx.showModal('Too many words', 'error');
    return false;
  }
});
"""


def add_plugins(seed, setup, *plugins):
    """``plugins``: (title, code, mode[, allowlist]) in stack order; switches plugins on for the organization."""
    from sqlalchemy import select

    from app.db import utcnow
    from app.extensions import db
    from app.orgs.models import Organization
    from app.plugins.models import Plugin, PluginRevision
    from app.projects.models import Project

    def build():
        project = db.session.get(Project, setup.project_id)
        org = db.session.scalar(select(Organization).where(Organization.id == project.org_id))
        org.plugins_enabled_at = utcnow()
        ids = []
        for position, (title, code, mode, *rest) in enumerate(plugins):
            plugin = Plugin(org_id=org.id, project_id=project.id, title=title, position=position, mode=mode,
                            allowlist=rest[0] if rest else [], enabled=True)
            db.session.add(plugin)
            db.session.flush()
            db.session.add(PluginRevision(plugin_id=plugin.id, number=1, code=code, message="first"))
            ids.append(plugin.id)
        return ids

    return seed(build)


def modal(page):
    return page.locator("dialog.lsf-plugin-modal[open]")


def close_modal(page):
    """Close the topmost plugin modal."""
    count = modal(page).count()
    modal(page).last.get_by_role("button", name="OK").click()
    expect(modal(page)).to_have_count(count - 1)


@pytest.mark.parametrize("mode", ["sandboxed", "trusted"])
def test_a_model_product_plugin_blocks_a_save_then_a_fixed_answer_saves(page, seed, labeling, mode):  # noqa: F811
    setup = labeling(QA, [{"text": "What is this?"}, {"text": "And this?"}])
    first, second = setup.task_ids
    add_plugins(seed, setup, ("Word limit", WORD_LIMIT, mode))
    open_task(page, setup.url)
    if mode == "sandboxed":
        expect(page.locator("#lsf-plugins iframe[sandbox='allow-scripts']")).to_have_count(1)

    page.get_by_label("answer").fill("this answer has far too many words")
    page.locator('[data-lsf="submit"]').click()
    expect(modal(page)).to_contain_text("Too many words")
    expect(modal(page)).to_have_class(re.compile("lsf-plugin-modal_error"))
    page.wait_for_timeout(300)
    assert annotations_of(seed, first) == []  # nothing was sent
    close_modal(page)

    # The long answer became an entry of the TextArea: delete it, then give a short one.
    expect(page.locator(".lsf-entry-text")).to_have_text(["this answer has far too many words"])
    page.get_by_role("button", name="Delete entry").click()
    expect(page.locator(".lsf-entry-text")).to_have_count(0)
    page.get_by_label("answer").fill("short answer")
    page.locator('[data-lsf="submit"]').click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    [(result, cancelled, _)] = annotations_of(seed, first)
    assert not cancelled and [r["value"] for r in result] == [{"text": ["short answer"]}]

    # The next task (an htmx swap) runs the plugin again: its handler is there once, not twice.
    page.get_by_label("answer").fill("again far too many words here")
    page.locator('[data-lsf="submit"]').click()
    expect(modal(page)).to_have_count(1)
    expect(modal(page)).to_contain_text("Too many words")
    assert annotations_of(seed, second) == []


@pytest.mark.parametrize("mode", ["sandboxed", "trusted"])
def test_two_plugins_with_the_same_top_level_let_both_run(page, seed, labeling, mode):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "Both of us"}])
    add_plugins(seed, setup, ("First", "let marker = 'first';\nHtx.showModal('ran ' + marker, 'info');", mode),
                ("Second", "let marker = 'second';\nHtx.showModal('ran ' + marker, 'info');", mode))
    open_task(page, setup.url)
    expect(page.locator("dialog.lsf-plugin-modal")).to_have_count(2)
    texts = page.locator("dialog.lsf-plugin-modal .lsf-plugin-modal__message").all_inner_texts()
    assert sorted(texts) == ["ran first", "ran second"]


@pytest.mark.parametrize("mode", ["sandboxed", "trusted"])
def test_a_throwing_plugin_stops_neither_the_others_nor_the_page(page, seed, labeling, mode):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "Still works"}])
    (task_id,) = setup.task_ids
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    add_plugins(seed, setup,
                ("Before", "LSI.on('beforeSaveAnnotation', () => { window.__before = 1; });\nHtx.showModal('before ran');", mode),
                ("Broken", "const x = null;\nx.boom();\n", mode),
                ("After", ("LSI.on('beforeSaveAnnotation', () => { throw new Error('handler broke'); });\n"
                           "Htx.showModal('after ran');"), mode))
    open_task(page, setup.url)
    expect(page.locator("dialog.lsf-plugin-modal")).to_have_count(2)
    texts = page.locator("dialog.lsf-plugin-modal .lsf-plugin-modal__message").all_inner_texts()
    assert sorted(texts) == ["after ran", "before ran"]
    page.wait_for_timeout(300)
    broken = [e for e in errors if "\u201cBroken\u201d" in e]
    assert broken and "line 2" in broken[0], errors
    for _ in range(2):
        close_modal(page)

    # The page goes on: a choice, a save (the throwing handler does not cancel it).
    page.get_by_role("radio", name="Positive").check()
    page.locator('[data-lsf="submit"]').click()
    expect(page.locator(".lsf-empty")).to_be_visible()
    assert len(annotations_of(seed, task_id)) == 1
    assert any("\u201cAfter\u201d" in e and "handler broke" in e for e in errors), errors


PROBE = """
const report = {};
try { report.cookie = document.cookie; } catch (e) { report.cookie = 'blocked: ' + e.name; }
try { report.parent = String(parent.document.title); } catch (e) { report.parent = 'blocked: ' + e.name; }
try {
  const r = await fetch('/api/current-user/whoami', {credentials: 'include'});
  report.whoami = r.status + ' ' + (await r.text());
} catch (e) { report.whoami = 'blocked: ' + e.name; }
Htx.showModal(JSON.stringify(report), 'info');
"""


@pytest.mark.parametrize("mode", ["sandboxed", "trusted"])
def test_the_sandbox_keeps_cookies_the_page_and_the_session_away(page, seed, labeling, mode):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "Probe"}])
    base = page.url.split("/o/")[0]
    # A cookie scripts could read (the session cookie is HttpOnly anyway).
    page.context.add_cookies([{"name": "probe", "value": "visible-to-scripts", "url": base}])
    add_plugins(seed, setup, ("Probe", PROBE, mode))
    open_task(page, setup.url)
    expect(modal(page)).to_have_count(1)
    report = json.loads(modal(page).locator(".lsf-plugin-modal__message").inner_text())
    if mode == "sandboxed":
        assert "probe" not in report["cookie"]
        assert report["parent"].startswith("blocked")
        assert setup.annotator not in report["whoami"] and '"email"' not in report["whoami"]
    else:  # the same code in the page reaches all three: what the sandbox takes away
        assert "visible-to-scripts" in report["cookie"]
        assert "Label" in report["parent"]
        assert report["whoami"].startswith("200") and setup.annotator in report["whoami"]


SMUGGLE = """
const s = document.createElement('script');
s.textContent = LSI.dataObj.payload;
document.body.appendChild(s);
const box = document.createElement('div');
box.innerHTML = LSI.dataObj.markup;
document.body.appendChild(box);
try { eval('1'); window.__eval = 'ran'; } catch (e) { window.__eval = e.name; }
window.__pluginRan = true;
"""


def test_inline_script_smuggled_in_task_data_does_not_run(page, seed, labeling):  # noqa: F811
    payload = "window.__smuggled = 1"
    markup = "<img src=x onerror=\"window.__smuggled = 2\"><script>window.__smuggled = 3</script>"
    setup = labeling(CHOICES, [{"text": "<script>window.__smuggled = 4</script>", "payload": payload, "markup": markup}])
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    # A careless trusted plugin hands task data to the DOM as script: the page's CSP still stops it.
    add_plugins(seed, setup, ("Careless", SMUGGLE, "trusted"))
    response = page.goto(setup.url)
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in policy
    page.locator('[data-lsf="submit"]').wait_for()
    page.wait_for_function("() => window.__pluginRan === true")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__smuggled") == "undefined"
    assert any("inline script" in v or "script-src" in v for v in violations), violations
    # eval is not allowed to the page either, not even to a trusted plugin
    assert page.evaluate("window.__eval") == "EvalError"


def test_lsi_import_refuses_other_origins_and_missing_integrity(page, seed, labeling):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "Imports"}])
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    code = """
const results = [];
for (const [url, sri] of [['https://evil.example.com/x.js', 'sha384-abc'], ['https://cdn.example.com/y.js', '']]) {
  try { await LSI.import(url, sri); results.push('loaded'); } catch (e) { results.push('refused'); }
}
Htx.showModal(results.join(','));
"""
    add_plugins(seed, setup, ("Importer", code, "trusted", ["https://cdn.example.com"]))
    open_task(page, setup.url)
    expect(modal(page)).to_contain_text("refused,refused")
    assert any("evil.example.com is not on this plugin's allowlist" in e for e in errors), errors
    assert any("needs an integrity (SRI) hash" in e for e in errors), errors


@pytest.mark.parametrize("mode", ["sandboxed", "trusted"])
def test_submit_annotation_reaches_the_run_that_saved(page, seed, labeling, mode):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "One"}, {"text": "Two"}])
    first, second = setup.task_ids
    code = "const shown = LSI.task.id;\nLSI.on('submitAnnotation', () => Htx.showModal('saved ' + shown, 'info'));"
    add_plugins(seed, setup, ("Reporter", code, mode))
    open_task(page, setup.url)
    page.get_by_label("Positive").check()
    page.locator('[data-lsf="submit"]').click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(modal(page)).to_have_count(1)
    expect(modal(page)).to_contain_text(f"saved {first}")
