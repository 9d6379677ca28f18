"""The plugin panel's testing section in a real browser: an Owner runs the stack against a sample task (or a pasted
one) with the real runtime, fires an event by hand and reads each handler's result in the ordered log; a throwing
plugin's error shows with its title and line; the frame's Submit runs the handlers but saves nothing."""
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_htmx
from tests.browser.test_labeling import annotations_of, labeling  # noqa: F401  (fixture)
from tests.browser.test_plugins_runtime import add_plugins

pytestmark = pytest.mark.browser

CHOICES = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""

BLOCKER = """console.log('blocker loaded for', LSI.task.data.text);
LSI.on('beforeSaveAnnotation', (store, annotation) => {
  console.log('blocking', annotation.results.length);
  return false;
});
"""
LATER = """LSI.on('beforeSaveAnnotation', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return 'checked ' + LSI.dataObj.text;
});
"""
THROWER = "const x = null;\nx.boom();\n"


def open_testing_panel(page, setup):
    page.goto(f"/o/{setup.slug}/projects/{setup.project_id}/settings/labeling")
    testing = page.locator("#plugin-testing")
    expect(testing).to_be_visible()
    wait_for_htmx(page)
    return testing


def log_entries(page):
    return page.locator("#plugin-testing-log .plugin-testing-entry")


def test_run_the_stack_fire_an_event_and_read_the_log(page, seed, labeling):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "First sample"}, {"text": "Second sample"}], as_="owner")
    first, second = setup.task_ids
    add_plugins(seed, setup, ("Blocker", BLOCKER, "sandboxed"), ("Later", LATER, "trusted"),
                ("Thrower", THROWER, "sandboxed"))
    testing = open_testing_panel(page, setup)
    expect(testing.get_by_role("button", name="beforeSaveAnnotation")).to_be_disabled()

    testing.get_by_label("Sample task").select_option(str(second))
    testing.get_by_role("button", name="Run stack").click()
    frame = page.frame_locator("#plugin-testing-frame")
    expect(frame.get_by_text("Second sample")).to_be_visible()
    expect(log_entries(page).first).to_contain_text(
        "Stack run on task #2: Blocker (sandboxed), Later (trusted), Thrower (sandboxed)")
    expect(page.locator("#plugin-testing-log .kind-run")).to_contain_text("run 1: 3 plugin(s)")

    # the throwing plugin: its title and the line of its code, in the log
    thrown = page.locator('#plugin-testing-log .kind-error[data-plugin="Thrower"]')
    expect(thrown).to_have_count(1)
    expect(thrown).to_contain_text("at line 2")
    expect(thrown).to_contain_text("null")

    # fired by hand: each handler's result, in order, after the line that says it was fired
    fire = testing.get_by_role("button", name="beforeSaveAnnotation")
    expect(fire).to_be_enabled()
    fire.click()
    fired = page.locator('#plugin-testing-log [data-event="beforeSaveAnnotation"]')
    expect(fired.filter(has_text="the save would be cancelled")).to_have_count(1)
    texts = fired.all_inner_texts()
    assert "fired by hand" in texts[0], texts
    blocker = page.locator('#plugin-testing-log .kind-result[data-event="beforeSaveAnnotation"][data-plugin="Blocker"]')
    expect(blocker).to_contain_text("returned false")
    later = page.locator('#plugin-testing-log .kind-result[data-event="beforeSaveAnnotation"][data-plugin="Later"]')
    expect(later).to_contain_text('returned "checked Second sample"')  # a Promise's value
    assert "would be cancelled" in texts[-1]

    # an event nobody handles says so
    testing.get_by_role("button", name="rejectAnnotation").click()
    expect(page.locator('#plugin-testing-log [data-event="rejectAnnotation"].kind-none')).to_contain_text("no handler")

    # the frame's own Submit runs the handlers too, and sends nothing
    frame.get_by_role("radio", name="Positive").check()
    frame.locator('[data-lsf="submit"]').click()
    expect(page.locator("#plugin-testing-log .kind-cancelled").last).to_contain_text("a plugin cancelled the submit")
    expect(frame.locator("#lsf-messages")).to_contain_text("a plugin cancelled the submit")
    page.wait_for_timeout(300)
    assert annotations_of(seed, second) == [] and annotations_of(seed, first) == []


def test_a_pasted_task_and_a_plugin_that_lets_the_save_through(page, seed, labeling):  # noqa: F811
    setup = labeling(CHOICES, [{"text": "Sample"}], as_="owner")
    (task_id,) = setup.task_ids
    add_plugins(seed, setup, ("Later", LATER, "sandboxed"))
    testing = open_testing_panel(page, setup)
    testing.get_by_label("Or paste a task (JSON)").fill(json.dumps({"data": {"text": "Pasted words"}}))
    testing.get_by_role("button", name="Run stack").click()
    frame = page.frame_locator("#plugin-testing-frame")
    expect(frame.get_by_text("Pasted words")).to_be_visible()
    expect(log_entries(page).first).to_contain_text("Stack run on the pasted task: Later (sandboxed)")

    testing.get_by_role("button", name="beforeSaveAnnotation").click()
    later = page.locator('#plugin-testing-log .kind-result[data-event="beforeSaveAnnotation"][data-plugin="Later"]')
    expect(later).to_contain_text('returned "checked Pasted words"')
    expect(page.locator('#plugin-testing-log .kind-outcome[data-event="beforeSaveAnnotation"]')).to_contain_text(
        "the save would proceed")

    frame.get_by_role("radio", name="Negative").check()
    frame.locator('[data-lsf="submit"]').click()
    expect(frame.locator("#lsf-messages")).to_contain_text("nothing was sent")
    page.wait_for_timeout(300)
    assert annotations_of(seed, task_id) == []

    # a pasted task that is not JSON: the log says why the stack did not run
    testing.get_by_label("Or paste a task (JSON)").fill("{oops")
    testing.get_by_role("button", name="Run stack").click()
    expect(page.locator("#plugin-testing-log .kind-error").last).to_contain_text("not valid JSON")
    expect(testing.get_by_role("button", name="beforeSaveAnnotation")).to_be_disabled()
