"""Every gallery plugin against its own sample task in a real browser: its labeling configuration (view.xml), its
task (data.json) and its code as revision 1, in the mode the manifest gives, on the labeling page of an Owner.
Each check shows the plugin's behaviour: a refused save sends nothing and says why, a fixed answer saves."""
import re

import pytest
from playwright.sync_api import expect

from app.plugins import gallery
from tests.browser.test_labeling import annotations_of, labeling, open_task  # noqa: F401  (fixture)
from tests.browser.test_plugins_runtime import add_plugins, close_modal, modal

pytestmark = pytest.mark.browser

SAVE_URL = re.compile(r"/tasks/\d+/annotations")


def gallery_setup(seed, labeling, path, tasks=None, as_="owner"):  # noqa: F811
    """A project on entry ``path``'s view.xml with ``tasks`` (default: its data.json) and the entry's plugin."""
    entry = gallery.entry(path)
    assert entry is not None, f"{path} is not in the gallery's manifest"
    code, view_xml, data = gallery.read(path)
    setup = labeling(view_xml, tasks if tasks is not None else [data["data"]], as_=as_)
    add_plugins(seed, setup, (entry.title, code, entry.mode, list(entry.allowlist)))
    return setup, entry, data["data"]


FRAME = "iframe.lsf-plugin-frame[sandbox='allow-scripts']"


def start(page, setup, entry, view=None):
    """Open the stream and wait until the plugin has run (sandboxed: its frame is in the page; in the
    ``<View idAttr>`` named ``view`` when the plugin draws there, else in the plugin area)."""
    open_task(page, setup.url)
    if entry.mode == "sandboxed":
        expect(page.locator(FRAME)).to_have_count(1)
        where = f'#lsf-annotation [id="{view}"] {FRAME}' if view else f"#lsf-plugins {FRAME}"
        expect(page.locator(where)).to_have_count(1)
    page.wait_for_function("() => window.Tessera && Tessera.plugins && Tessera.plugins.run")
    page.evaluate("() => Tessera.plugins.run.readyCapped")


def watch_saves(page):
    """The annotation POSTs the page sends from now on."""
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and SAVE_URL.search(r.url) else None)
    return sent


def refused(page, seed, task_id, sent, *texts):
    """Ctrl+Enter is refused by the plugin: its modal says ``texts`` and nothing is sent."""
    page.keyboard.press("Control+Enter")
    expect(modal(page)).to_have_count(1)
    for text in texts:
        expect(modal(page)).to_contain_text(text)
    page.wait_for_timeout(300)
    assert sent == []
    assert annotations_of(seed, task_id) == []
    close_modal(page)


def saved(page, seed, task_id):
    """Ctrl+Enter goes through: the annotation exists; its result is returned."""
    page.keyboard.press("Control+Enter")
    expect(page.locator(".lsf-empty")).to_be_visible()
    expect(modal(page)).to_have_count(0)
    [(result, cancelled, _)] = annotations_of(seed, task_id)
    assert not cancelled
    return result


def type_answer(page, name, text):
    """Type into the TextArea ``name`` and add it as its entry (Enter), replacing an entry already there."""
    control = page.locator(f'[data-control="{name}"]')
    while control.get_by_role("button", name="Delete entry").count():
        control.get_by_role("button", name="Delete entry").first.click()
    page.get_by_label(name).fill(text)
    page.get_by_label(name).press("Enter")
    expect(control.locator(".lsf-entry-text")).to_have_text([text])
    page.get_by_label(name).blur()


def span(page, label, text, obj="text", occurrence=0):
    """Pick ``label``, then select ``text`` (its ``occurrence``-th match) in the Text object ``obj`` and press Enter,
    as a person does: the span appears in the regions list."""
    button = page.locator(".lsf-label", has_text=re.compile("^" + re.escape(label))).first
    if button.get_attribute("aria-pressed") != "true":  # a second click on the active label would drop it
        button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    before = page.locator("#lsf-regions li").count()
    page.evaluate(
        """([obj, text, occurrence]) => {
            const root = document.querySelector(`.lsf-text[data-name="${obj}"]`);
            let at = -1;
            for (let i = 0; i <= occurrence; i++) at = root.textContent.indexOf(text, at + 1);
            if (at < 0) throw new Error('no ' + text);
            const point = (offset) => {
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                let node, seen = 0;
                while ((node = walker.nextNode())) {
                    if (offset <= seen + node.length) return [node, offset - seen];
                    seen += node.length;
                }
                throw new Error('offset ' + offset);
            };
            const range = document.createRange();
            range.setStart(...point(at));
            range.setEnd(...point(at + text.length));
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
            document.activeElement && document.activeElement.blur && document.activeElement.blur();
        }""",
        [obj, text, occurrence],
    )
    page.keyboard.press("Enter")
    expect(page.locator("#lsf-regions li")).to_have_count(before + 1)
    expect(page.locator("#lsf-regions li").last).to_contain_text(text)


# ---- Validation ---------------------------------------------------------------------------------------------

def check_word_limit(page, seed, labeling):  # noqa: F811
    setup, entry, _ = gallery_setup(seed, labeling, "word-limit")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    long = " ".join(f"word{i}" for i in range(25))
    type_answer(page, "summary", long)
    refused(page, seed, task_id, sent, "The summary has 25 words; the limit is 20")
    expect(page.locator('[data-lsf="submit"]')).to_be_visible()  # still on the task

    short = "A quiet, quick kettle with a cool handle; the lid hinge feels flimsy."
    type_answer(page, "summary", short)
    result = saved(page, seed, task_id)
    assert [(r["from_name"], r["value"]) for r in result] == [("summary", {"text": [short]})]


def check_json_validity(page, seed, labeling):  # noqa: F811
    setup, entry, _ = gallery_setup(seed, labeling, "json-validity")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    type_answer(page, "payload", '{"product": "A4 recycled paper", "quantity": 3')
    refused(page, seed, task_id, sent, "The answer is not valid JSON")
    type_answer(page, "payload", '["paper", "stapler"]')
    refused(page, seed, task_id, sent, "The answer must be a JSON object")

    good = '{"product": "A4 recycled paper", "quantity": 3}'
    type_answer(page, "payload", good)
    result = saved(page, seed, task_id)
    assert [r["value"] for r in result] == [{"text": [good]}]


def check_no_overlapping_spans(page, seed, labeling):  # noqa: F811
    setup, entry, _ = gallery_setup(seed, labeling, "no-overlapping-spans")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    span(page, "Person", "Ada Lovelace")
    span(page, "Organization", "Lovelace worked")
    refused(page, seed, task_id, sent, '"Ada Lovelace" (Person) and "Lovelace worked" (Organization) overlap')

    page.locator("#lsf-regions li", has_text="Lovelace worked").get_by_role("button", name="Delete region").click()
    expect(page.locator("#lsf-regions li")).to_have_count(1)
    span(page, "Person", "Charles Babbage")
    span(page, "Location", "London")
    result = saved(page, seed, task_id)
    assert sorted((r["value"]["text"], r["value"]["labels"][0]) for r in result) == [
        ("Ada Lovelace", "Person"), ("Charles Babbage", "Person"), ("London", "Location")]


def check_regions_per_label(page, seed, labeling):  # noqa: F811
    setup, entry, _ = gallery_setup(seed, labeling, "regions-per-label")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    span(page, "Buyer", "Contoso Ltd", obj="contract")
    span(page, "Buyer", "Northwind Traders", obj="contract")
    refused(page, seed, task_id, sent, "Buyer: at most 1 (found 2)", "Seller: at least 1 (found 0)",
            "Item: at least 1 (found 0)")

    page.locator("#lsf-regions li", has_text="Northwind Traders").get_by_role("button", name="Delete region").click()
    span(page, "Seller", "Northwind Traders", obj="contract")
    span(page, "Item", "industrial mixers", obj="contract")
    span(page, "Item", "spare motor", obj="contract")
    result = saved(page, seed, task_id)
    assert sorted(r["value"]["labels"][0] for r in result) == ["Buyer", "Item", "Item", "Seller"]


def check_pii_warning(page, seed, labeling):  # noqa: F811
    setup, entry, _ = gallery_setup(seed, labeling, "pii-warning")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    text = "Router drops the connection every evening; reach Sam at sam.jones@example.org."
    type_answer(page, "description", text)
    page.keyboard.press("Control+Enter")
    expect(modal(page)).to_have_count(1)
    expect(modal(page)).to_have_class(re.compile("lsf-plugin-modal_warning"))
    expect(modal(page)).to_contain_text("seems to contain an e-mail address")
    page.wait_for_timeout(300)
    assert sent == [] and annotations_of(seed, task_id) == []
    close_modal(page)

    # The same text again: the annotator has been told, the save goes through.
    result = saved(page, seed, task_id)
    assert [r["value"] for r in result] == [{"text": [text]}]


def check_pii_warning_phone(page, seed, labeling):  # noqa: F811
    """A phone number warns too; a changed text without PII saves at once."""
    setup, entry, _ = gallery_setup(seed, labeling, "pii-warning")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    sent = watch_saves(page)
    type_answer(page, "description", "Router drops every evening, call +44 20 7946 0018")
    refused(page, seed, task_id, sent, "a phone number")
    type_answer(page, "description", "Router drops the connection every evening since 3 May.")
    saved(page, seed, task_id)


# ---- Visualization ------------------------------------------------------------------------------------------

def plugin_frame(page):
    """The sandboxed plugin's frame (a Playwright Frame)."""
    handle = page.locator(FRAME).element_handle()
    frame = handle.content_frame()
    assert frame is not None
    return frame


def check_numeric_chart(page, seed, labeling):  # noqa: F811
    setup, entry, data = gallery_setup(seed, labeling, "numeric-chart")
    start(page, setup, entry, view="chart")
    canvas = page.frame_locator(FRAME).locator("canvas.gallery-chart")
    expect(canvas).to_have_count(1)
    expect(canvas).to_have_attribute("aria-label", "Chart of Units sold, Units returned")
    # Chart.js drew on it (not a blank canvas), with the task's data.
    frame = plugin_frame(page)
    frame.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas.gallery-chart'))")
    drawn = frame.evaluate("""() => {
        const c = document.querySelector('canvas.gallery-chart');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]) ink++;
        const chart = Chart.getChart(c);
        return {ink, labels: chart.data.labels, sales: chart.data.datasets[0].data};
    }""")
    assert drawn["ink"] > 1000
    assert drawn["labels"] == data["months"] and drawn["sales"] == data["sales"]
    # The page shows the frame, sized to its chart.
    page.wait_for_function("() => document.querySelector('iframe.lsf-plugin-frame').getBoundingClientRect().height >= 280")
    assert page.locator("#lsf-annotation canvas, body > canvas").count() == 0  # drawn in the sandbox, not the page


def check_markdown_render(page, seed, labeling):  # noqa: F811
    alerts = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    setup, entry, _ = gallery_setup(seed, labeling, "markdown-render")
    start(page, setup, entry, view="markdown")
    box = page.frame_locator(FRAME).locator(".gallery-markdown")
    expect(box.locator("h1")).to_have_text("Resetting your password")
    expect(box.locator("h2")).to_have_text("Steps")
    expect(box.locator("strong")).to_have_text("forgot")
    expect(box.locator("ol li")).to_have_count(3)
    expect(box.locator("a[href='https://example.com/help']")).to_have_text("our help centre")
    # Hostile parts of the data stay text: no javascript: link, no script element, nothing ran.
    expect(box.locator("a")).to_have_count(1)
    expect(box.locator("script")).to_have_count(0)
    expect(box).to_contain_text("<script>alert('task data is never run')</script>")
    page.wait_for_timeout(300)
    assert alerts == []
    frame = plugin_frame(page)
    # the frame's own bootstrap is the one script in its head; nothing from the task became a script
    assert frame.evaluate("document.querySelectorAll('body script').length") == 0


# ---- Automation ---------------------------------------------------------------------------------------------

def check_keyword_prelabel(page, seed, labeling):  # noqa: F811
    setup, entry, data = gallery_setup(seed, labeling, "keyword-prelabel")
    (task_id,) = setup.task_ids
    start(page, setup, entry)
    proposed = [("headache", "Symptom"), ("fever", "Symptom"), ("ibuprofen", "Drug"), ("headache", "Symptom"),
                ("nausea", "Symptom"), ("paracetamol", "Drug"), ("fever", "Symptom")]
    regions = page.locator("#lsf-regions li")
    expect(regions).to_have_count(len(proposed))
    expect(page.locator('.lsf-text[data-name="note"] .lsf-span')).to_have_count(len(proposed))
    for word in {w for w, _ in proposed}:
        expect(page.locator("#lsf-regions")).to_contain_text(word)

    # The proposals are real results: saving keeps them, offsets and all.
    result = saved(page, seed, task_id)
    note = data["note"]
    got = sorted((r["value"]["start"], r["value"]["text"], r["value"]["labels"][0]) for r in result)
    assert [(t, label) for _, t, label in got] == proposed
    assert all(note[start:start + len(t)] == t for start, t, _ in got)


# ---- Workflow -----------------------------------------------------------------------------------------------

def check_countdown_timer(page, seed, labeling):  # noqa: F811
    _, _, data = gallery.read("countdown-timer")
    roomy, short = dict(data["data"], time_limit=60), dict(data["data"], time_limit=2)
    setup, entry, _ = gallery_setup(seed, labeling, "countdown-timer", tasks=[roomy, short])
    first, second = setup.task_ids
    start(page, setup, entry, view="timer")
    clock = page.frame_locator(FRAME).locator("[role=timer]")
    expect(clock).to_have_text(re.compile(r"^Time left: [01]:\d\d$"))
    # Within the time the save goes through, and the next task starts its own clock.
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{setup.task_url(second)}")
    assert len(annotations_of(seed, first)) == 1
    expect(page.locator(f'#lsf-annotation [id="timer"] {FRAME}')).to_have_count(1)
    expect(clock).to_have_text(re.compile(r"^Time left: 0:0[12]$"))
    sent = watch_saves(page)
    expect(clock).to_have_text("Time is up", timeout=5000)
    page.keyboard.press("1")
    refused(page, seed, second, sent, "Time is up: this task had a limit of 2 seconds")


def check_spam_guard(page, seed, labeling):  # noqa: F811
    _, _, data = gallery.read("spam-guard")
    setup, entry, _ = gallery_setup(seed, labeling, "spam-guard", tasks=[data["data"]] * 4)
    start(page, setup, entry)
    pauses = []
    page.on("response", lambda r: pauses.append((r.request.method, r.status, r.request.post_data_json))
            if "/pauses" in r.url else None)
    for task_id in setup.task_ids[:3]:
        page.wait_for_url(f"**{setup.task_url(task_id)}")
        expect(page.get_by_role("radio", name="Neutral")).not_to_be_checked()
        page.keyboard.press("2")
        page.keyboard.press("Control+Enter")
        page.wait_for_function("id => JSON.parse(document.getElementById('lsf-state').textContent).task.id !== id",
                               arg=task_id)
    expect(modal(page)).to_contain_text("You have been paused on this project")
    assert len(pauses) == 1, pauses
    method, status, body = pauses[0]
    assert (method, status, body["reason"]) == ("POST", 201, "CUSTOM_SCRIPT")
    assert body["verbose_reason"] in ("The same answer was submitted 5 times in a row.",
                                      "3 tasks in a row were submitted in under 3 seconds each.")
    assert all(len(annotations_of(seed, t)) == 1 for t in setup.task_ids[:3])

    # The next page of the stream refuses the annotator with the reason.
    page.goto(setup.url)
    expect(page.locator(".lsf-empty")).to_contain_text("You are paused in this project")
    expect(page.locator(".lsf-empty")).to_contain_text(body["verbose_reason"].rstrip("."))
    assert annotations_of(seed, setup.task_ids[3]) == []


CHECKS = {
    "word-limit": [check_word_limit],
    "json-validity": [check_json_validity],
    "no-overlapping-spans": [check_no_overlapping_spans],
    "regions-per-label": [check_regions_per_label],
    "pii-warning": [check_pii_warning, check_pii_warning_phone],
    "numeric-chart": [check_numeric_chart],
    "markdown-render": [check_markdown_render],
    "keyword-prelabel": [check_keyword_prelabel],
    "countdown-timer": [check_countdown_timer],
    "spam-guard": [check_spam_guard],
}
CASES = [pytest.param(e.path, check, id=f"{e.path}-{check.__name__[len('check_'):]}" if check else e.path)
         for e in gallery.entries() for check in CHECKS.get(e.path, [None])]


@pytest.mark.parametrize(("path", "check"), CASES)
def test_gallery_plugin_shows_its_behaviour(page, seed, labeling, path, check):  # noqa: F811
    assert check is not None, f"gallery entry {path} has no browser test: add one to CHECKS"
    check(page, seed, labeling)


def test_every_check_belongs_to_a_gallery_entry():
    assert set(CHECKS) <= {e.path for e in gallery.entries()}

