"""A sandboxed plugin's frame shows in place of the ``<View idAttr>`` it names with ``LSI.mount`` (inside the labeling
interface only), auto-sized, and keeps its place and its document on the next task; a trusted plugin gets the View's
element itself."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_labeling import annotations_of, labeling, open_task  # noqa: F401  (fixture)
from tests.browser.test_plugins_runtime import add_plugins

pytestmark = pytest.mark.browser

CONFIG = """<View>
  <Header value="Placement"/>
  <View idAttr="chart"/>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""

# Counts its runs in the frame's own window: the count goes on only if the frame kept its document.
PLACED = """
const slot = await LSI.mount('chart');
window.runs = (window.runs || 0) + 1;
for (const old of document.querySelectorAll('h2')) old.remove();
const h = document.createElement('h2');
h.textContent = (slot === document.body ? 'in the view' : 'not placed') + ', run ' + window.runs + ' of task ' + LSI.task.id;
h.style.height = '120px';
document.body.appendChild(h);
"""

# Names an element of the page outside the labeling interface: refused, the frame stays in the plugin area.
OUTSIDE = """
const slot = await LSI.mount('lsf-messages');
const p = document.createElement('p');
p.textContent = slot === null ? 'refused' : 'placed';
document.body.appendChild(p);
"""


def frame_of(page, plugin_id):
    return page.locator(f"iframe.lsf-plugin-frame[data-plugin='{plugin_id}']")


@pytest.mark.parametrize("move_before", [True, False], ids=["moveBefore", "without-moveBefore"])
def test_a_sandboxed_frame_shows_in_the_named_view_and_keeps_its_place(page, seed, labeling, move_before):  # noqa: F811
    """Without Element.moveBefore (older browsers) a moved frame reloads and its run starts again there; a new task
    gives it a new document."""
    if not move_before:
        page.add_init_script("delete Element.prototype.moveBefore")
    setup = labeling(CONFIG, [{"text": "First"}, {"text": "Second"}])
    first, second = setup.task_ids
    placed, outside = add_plugins(seed, setup, ("Placed", PLACED, "sandboxed"), ("Outside", OUTSIDE, "sandboxed"))
    open_task(page, setup.url)

    frame = frame_of(page, placed)
    expect(page.locator(f"#lsf-annotation #chart > iframe[sandbox='allow-scripts'][data-plugin='{placed}']")).to_have_count(1)
    expect(page.frame_locator(f"#chart iframe[data-plugin='{placed}']").locator("h2")).to_have_text(
        f"in the view, run 1 of task {first}")
    # auto-sized to what it drew, as wide as the View
    page.wait_for_function(f"() => document.querySelector(\"#chart iframe[data-plugin='{placed}']\").offsetHeight >= 120")
    view_width = page.locator("#chart").evaluate("el => el.clientWidth")
    assert frame.evaluate("el => el.offsetWidth") == view_width

    # Outside the labeling interface nothing moves.
    expect(page.locator(f"#lsf-plugins > iframe[data-plugin='{outside}']")).to_have_count(1)
    expect(page.frame_locator(f"iframe[data-plugin='{outside}']").locator("p")).to_have_text("refused")
    expect(page.locator("#lsf-messages iframe")).to_have_count(0)

    # The next task (an htmx swap of #lsf-task): the same frame, with its document, in the new task's View.
    page.get_by_role("radio", name="Positive").check()
    page.locator('[data-lsf="submit"]').click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.frame_locator(f"#chart iframe[data-plugin='{placed}']").locator("h2")).to_have_text(
        f"in the view, run {2 if move_before else 1} of task {second}")
    expect(frame).to_have_count(1)
    assert len(annotations_of(seed, first)) == 1


def test_a_trusted_plugin_gets_the_view_element(page, seed, labeling):  # noqa: F811
    setup = labeling(CONFIG, [{"text": "Trusted"}])
    code = """
const slot = await LSI.mount('chart');
const p = document.createElement('p');
p.className = 'drawn';
p.textContent = 'drawn by a trusted plugin';
slot.appendChild(p);
window.__outside = await LSI.mount('lsf-messages');
"""
    add_plugins(seed, setup, ("Trusted", code, "trusted"))
    open_task(page, setup.url)
    expect(page.locator("#lsf-annotation #chart > p.drawn")).to_have_text("drawn by a trusted plugin")
    page.wait_for_function("() => window.__outside === null")
