"""The labeling page in a real browser: hotkeys, text spans, boxes, the stream and history, drafts, refusals,
hostile task data, skipping with a comment, and a Manager looking at someone else's annotation."""
import base64
import io
import json
import re
import struct
import uuid
import zlib
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

CHOICES = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"{required}>
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""

NER = """<View>
  <Labels name="ner" toName="text"><Label value="Animal"/><Label value="Colour"/></Labels>
  <Text name="text" value="$text"/>
</View>"""

BOXES = """<View>
  <RectangleLabels name="box" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
  <Image name="image" value="$image"/>
</View>"""

DRAFTY = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
  <TextArea name="note" toName="text"/>
</View>"""


@dataclass
class Setup:
    slug: str
    project_id: int
    task_ids: list
    owner: str
    annotator: str
    manager: str

    @property
    def url(self):
        return f"/o/{self.slug}/projects/{self.project_id}/label"

    def task_url(self, task_id, single=False):
        return f"{self.url}?task={task_id}" + ("&single=1" if single else "")


@pytest.fixture
def labeling(seed, sign_in, page):
    """``labeling(config, tasks, **settings)``: an org with an Owner, a Manager and an Annotator (both members of
    the Default workspace), a published project with ``tasks``; returns a Setup after signing in ``as_``
    ("annotator", "manager" or "owner")."""

    def make(label_config, tasks, as_="annotator", **settings):
        from sqlalchemy import select

        from app.auth.services import create_user
        from app.orgs.models import Workspace
        from app.orgs.services import add_member, add_workspace_member, create_org
        from app.projects.services import create_project
        from app.security.roles import Role
        from app.tasks.importing import import_tasks
        from app.tasks.models import Task

        suffix = uuid.uuid4().hex[:8]
        emails = {role: f"{role}-{suffix}@example.com" for role in ("owner", "manager", "annotator")}

        def build():
            owner = create_user(None, emails["owner"], "Olga Owner", PASSWORD)
            org = create_org(None, f"Labeling {suffix}", owner, slug=f"l-{suffix}")
            workspace = next(w for w in org_workspaces(org.id) if not w.is_sandbox)
            for role in (Role.MANAGER, Role.ANNOTATOR):
                person = create_user(None, emails[role.value], f"{role.value.title()} {suffix}", PASSWORD)
                add_member(owner, org, person, role)
                add_workspace_member(owner, org, workspace, person)
            settings.setdefault("is_published", True)
            project = create_project(owner, org, workspace, "Labeling", label_config=label_config, **settings)
            import_tasks(owner, project, io.BytesIO(json.dumps(tasks).encode()), fmt="json")
            ids = db_scalars(select(Task.id).where(Task.project_id == project.id).order_by(Task.id))
            return project.id, ids

        def org_workspaces(org_id):
            return db_scalars(select(Workspace).where(Workspace.org_id == org_id).order_by(Workspace.id))

        project_id, task_ids = seed(build)
        setup = Setup(f"l-{suffix}", project_id, task_ids, emails["owner"], emails["annotator"], emails["manager"])
        sign_in(emails[as_])
        page.wait_for_url(f"**/o/{setup.slug}/**")
        return setup

    return make


def db_scalars(query):
    from app.extensions import db

    return list(db.session.scalars(query).all())


def annotations_of(seed, task_id):
    """[(result, was_cancelled, comment)] of the task's annotations, oldest first."""
    from sqlalchemy import select

    from app.tasks.models import Annotation

    return seed(lambda: [(a.result, a.was_cancelled, a.comment) for a in
                         db_scalars(select(Annotation).where(Annotation.task_id == task_id).order_by(Annotation.id))])


def open_task(page, url):
    """Go to ``url`` (the stream: an Annotator may open only the tasks it gives them) and wait until the editor
    has started (it shows Submit or Update only once it runs)."""
    page.goto(url)
    page.locator('[data-lsf="submit"]:visible, [data-lsf="update"]:visible').first.wait_for()


def shown_task_id(page):
    return page.evaluate("JSON.parse(document.getElementById('lsf-state').textContent).task.id")


def png(width, height):
    """A ``width``×``height`` RGB PNG (a gradient), built with zlib and struct only."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# 1 ----------------------------------------------------------------------------------------------------------
def test_classify_with_the_keyboard_only(page, seed, labeling):
    setup = labeling(CHOICES.format(required=""), [{"text": "I love it"}, {"text": "It broke"}])
    first, second = setup.task_ids
    page.goto(setup.url)
    page.wait_for_url(f"**{setup.task_url(first)}")
    page.locator('[data-lsf="submit"]').wait_for()

    # Digits go to the choices in document order: 1 Positive, 2 Negative, 3 Neutral.
    expect(page.locator(".lsf-choice", has_text="Negative").locator("kbd")).to_have_text("2")
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name="Negative")).to_be_checked()
    page.keyboard.press("Control+z")
    expect(page.get_by_role("radio", name="Negative")).not_to_be_checked()
    page.keyboard.press("1")
    page.keyboard.press("Control+z")
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name="Negative")).to_be_checked()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("It broke")
    expect(page.get_by_role("radio", name="Negative")).not_to_be_checked()

    [(result, cancelled, _)] = annotations_of(seed, first)
    assert not cancelled
    assert [(r["from_name"], r["type"], r["value"]) for r in result] == [("sentiment", "choices", {"choices": ["Negative"]})]


# 2 ----------------------------------------------------------------------------------------------------------
def test_create_a_span_by_selecting_text_with_the_mouse(page, seed, labeling):
    text = "The quick brown fox jumps over the lazy dog"
    setup = labeling(NER, [{"text": text}])
    (task_id,) = setup.task_ids
    open_task(page, setup.url)

    word = "fox"
    start = text.index(word)
    end = start + len(word)
    page.get_by_role("button", name=re.compile("^Animal")).click()
    expect(page.get_by_role("button", name=re.compile("^Animal"))).to_have_attribute("aria-pressed", "true")
    box = page.evaluate(
        """([start, end]) => {
            const node = document.querySelector('.lsf-text[data-name="text"]').firstChild;
            const range = document.createRange();
            range.setStart(node, start); range.setEnd(node, end);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, y: r.top + r.height / 2};
        }""",
        [start, end],
    )
    page.mouse.move(box["left"] + 1, box["y"])
    page.mouse.down()
    page.mouse.move((box["left"] + box["right"]) / 2, box["y"], steps=3)
    page.mouse.move(box["right"] - 1, box["y"], steps=3)
    page.mouse.up()

    span = page.locator(".lsf-text .lsf-span")
    expect(span).to_have_count(1)
    expect(span).to_have_text(word)
    expect(span).to_have_attribute("data-label", "Animal")
    expect(page.locator("#lsf-regions")).to_contain_text(word)

    page.locator('[data-lsf="submit"]').click()
    expect(page.locator(".lsf-empty")).to_contain_text("no more tasks")
    [(result, _, _)] = annotations_of(seed, task_id)
    assert len(result) == 1
    value = result[0]["value"]
    assert (value["start"], value["end"], value["text"], value["labels"]) == (start, end, word, ["Animal"])
    assert result[0]["from_name"] == "ner" and result[0]["to_name"] == "text"


# 3 ----------------------------------------------------------------------------------------------------------
def test_draw_and_resize_a_box_by_dragging(page, seed, labeling):
    width, height = 320, 200
    image = "data:image/png;base64," + base64.b64encode(png(width, height)).decode()
    setup = labeling(BOXES, [{"image": image}])
    (task_id,) = setup.task_ids
    open_task(page, setup.url)
    page.wait_for_function("() => { const i = document.querySelector('.lsf-image img'); return i && i.naturalWidth; }")
    overlay = page.locator(".lsf-image-overlay")
    expect(overlay).to_be_visible()

    page.get_by_role("button", name=re.compile("^Dog")).click()
    o = overlay.bounding_box()
    assert o["width"] > 50 and o["height"] > 50

    def at(px, py):
        return o["x"] + o["width"] * px / 100, o["y"] + o["height"] * py / 100

    page.mouse.move(*at(10, 20))
    page.mouse.down()
    page.mouse.move(*at(30, 40), steps=4)
    page.mouse.move(*at(50, 60), steps=4)
    page.mouse.up()
    rect = page.locator(".lsf-rect")
    expect(rect).to_have_count(1)
    expect(rect.locator(".lsf-rect-label")).to_have_text("Dog")

    rect.click()  # selects it: the handles appear
    handle = page.locator('.lsf-rect-handle[data-handle="se"]')
    expect(handle).to_be_visible()
    h = handle.bounding_box()
    hx, hy = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
    dx, dy = o["width"] * 0.2, o["height"] * 0.25  # +20 % wide, +25 % high
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx + dx / 2, hy + dy / 2, steps=4)
    page.mouse.move(hx + dx, hy + dy, steps=4)
    page.mouse.up()
    # The side panel rounds the box to whole percent (the stored values are checked below).
    expect(page.locator("#lsf-regions")).to_contain_text(re.compile(r"(59|60|61)×(64|65|66)% at (9|10|11),(19|20|21)"))

    page.locator('[data-lsf="submit"]').click()
    expect(page.locator(".lsf-empty")).to_be_visible()
    [(result, _, _)] = annotations_of(seed, task_id)
    assert len(result) == 1
    item = result[0]
    value = item["value"]
    assert value["rectanglelabels"] == ["Dog"]
    for key, expected in (("x", 10), ("y", 20), ("width", 60), ("height", 65)):
        assert value[key] == pytest.approx(expected, abs=1), key
    assert (item["original_width"], item["original_height"]) == (width, height)


# 4 ----------------------------------------------------------------------------------------------------------
def test_submit_brings_the_next_task_without_a_reload_and_history_works(page, seed, labeling):
    setup = labeling(CHOICES.format(required=""), [{"text": "first text"}, {"text": "second text"}, {"text": "third"}])
    first, second, _ = setup.task_ids
    page.goto(setup.url)
    page.wait_for_url(f"**{setup.task_url(first)}")
    page.locator('[data-lsf="submit"]').wait_for()
    page.evaluate("window.__marker = 1")

    page.get_by_role("radio", name="Positive").check()
    page.locator('[data-lsf="submit"]').click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("second text")
    assert shown_task_id(page) == second
    assert page.evaluate("window.__marker") == 1  # swapped in by htmx, never a page load

    page.go_back()
    page.wait_for_url(f"**{setup.task_url(first)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("first text")
    assert shown_task_id(page) == first
    # The answered task comes back as the person's annotation, ready to update.
    expect(page.locator('[data-lsf="update"]')).to_be_visible()
    expect(page.get_by_role("radio", name="Positive")).to_be_checked()

    page.go_forward()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("second text")
    assert shown_task_id(page) == second
    expect(page.locator('[data-lsf="submit"]')).to_be_visible()
    assert page.evaluate("window.__marker") == 1  # history restored by htmx too


STYLED = """<View>
  <Style>.styled-by-config { color: rgb(1, 2, 3); }</Style>
  <View className="styled-by-config"><Text name="text" value="$text"/></View>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""


def test_the_configurations_style_survives_back_and_forward(page, seed, labeling):
    setup = labeling(STYLED, [{"text": "first text"}, {"text": "second text"}])
    first, second = setup.task_ids
    styled = page.locator(".styled-by-config").first
    page.goto(setup.url)
    page.wait_for_url(f"**{setup.task_url(first)}")
    expect(styled).to_have_css("color", "rgb(1, 2, 3)")
    page.get_by_role("radio", name="Positive").check()
    page.locator('[data-lsf="submit"]').click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(styled).to_have_css("color", "rgb(1, 2, 3)")

    page.go_back()  # htmx fetches the page again: its <style> must carry this document's nonce
    page.wait_for_url(f"**{setup.task_url(first)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("first text")
    expect(styled).to_have_css("color", "rgb(1, 2, 3)")


# 5 ----------------------------------------------------------------------------------------------------------
def test_reload_mid_task_restores_the_draft(page, seed, labeling):
    setup = labeling(DRAFTY, [{"text": "a task worth a draft"}])
    (task_id,) = setup.task_ids
    open_task(page, setup.url)
    draft_url = re.compile(rf"/tasks/{task_id}/draft$")

    # Both changes fall within the draft's 1.5 s debounce: one save carries them.
    with page.expect_response(lambda r: draft_url.search(r.url) and r.request.method == "POST") as response:
        page.get_by_role("radio", name="Negative").check()
        page.get_by_label("note").fill("looks sarcastic")
        page.get_by_label("note").press("Enter")
        expect(page.locator(".lsf-entry-text")).to_have_text(["looks sarcastic"])
    assert response.value.ok
    expect(page.locator("#lsf-note")).to_contain_text("Draft saved")
    saved = {r["type"]: r["value"] for r in draft_result(seed, task_id)}
    assert saved == {"choices": {"choices": ["Negative"]}, "textarea": {"text": ["looks sarcastic"]}}

    page.reload()
    page.locator('[data-lsf="submit"]').wait_for()
    expect(page.locator("#lsf-note")).to_have_text("Draft restored")
    expect(page.get_by_role("radio", name="Negative")).to_be_checked()
    expect(page.locator(".lsf-entry-text")).to_have_text(["looks sarcastic"])
    assert annotations_of(seed, task_id) == []


def draft_result(seed, task_id):
    from sqlalchemy import select

    from app.labeling.models import AnnotationDraft

    drafts = seed(lambda: [d.result for d in db_scalars(select(AnnotationDraft).where(AnnotationDraft.task_id == task_id))])
    return drafts[0] if drafts else []


# 6 ----------------------------------------------------------------------------------------------------------
def test_a_required_control_left_empty_is_named_and_nothing_is_saved(page, seed, labeling):
    setup = labeling(CHOICES.format(required=' required="true"'), [{"text": "needs an answer"}, {"text": "next"}])
    first, _ = setup.task_ids
    open_task(page, setup.url)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" and "/annotations" in r.url else None)

    page.keyboard.press("Control+Enter")
    expect(page.locator("#lsf-messages")).to_contain_text("sentiment")
    expect(page.locator("#lsf-messages")).to_contain_text("required")
    page.locator('[data-lsf="submit"]').click()
    expect(page.locator("#lsf-messages li")).to_have_count(1)

    assert requests == []
    assert annotations_of(seed, first) == []
    assert shown_task_id(page) == first
    expect(page.locator("#lsf-annotation")).to_contain_text("needs an answer")
    assert page.url.endswith(setup.task_url(first))

    # Answering it clears the way.
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{setup.task_url(setup.task_ids[1])}")
    expect(page.locator("#lsf-messages")).to_be_empty()
    assert len(annotations_of(seed, first)) == 1


# 7 ----------------------------------------------------------------------------------------------------------
def test_hostile_task_data_stays_text(page, seed, labeling):
    script = "<script>window.__pwned=1</script>"
    bait = '<b hx-get="/logout" hx-trigger="load">bait</b>'
    image = "<img src=x onerror=window.__pwned=2>"
    setup = labeling(CHOICES.format(required=""), [{"text": f"{script} and {bait} </script>{image}"}])
    (task_id,) = setup.task_ids
    seen = []
    page.on("request", lambda r: seen.append(r.url))
    open_task(page, setup.url)

    shown = page.locator('.lsf-text[data-name="text"]').inner_text()
    assert script in shown and bait in shown and image in shown
    assert page.locator(".lsf-text b, .lsf-text script, .lsf-text img").count() == 0
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not [url for url in seen if "/logout" in url]
    # Still signed in: a page that needs it answers itself, not a redirect to the login page.
    assert page.request.get(f"/o/{setup.slug}/projects/{setup.project_id}", max_redirects=0).status == 200
    # The state block carries the same text as data, and the editor still works on it.
    assert page.evaluate("JSON.parse(document.getElementById('lsf-state').textContent).task.data.text").startswith(script)
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".lsf-empty")).to_be_visible()
    assert len(annotations_of(seed, task_id)) == 1


# 8 ----------------------------------------------------------------------------------------------------------
def test_skip_with_a_required_comment(page, seed, labeling):
    setup = labeling(CHOICES.format(required=""), [{"text": "unclear"}, {"text": "clear"}],
                     allow_skip=True, require_skip_comment=True)
    first, second = setup.task_ids
    open_task(page, setup.url)

    page.keyboard.press("Control+Space")
    dialog = page.locator("#lsf-skip-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Skip task").click()
    expect(page.locator("#lsf-skip-error")).to_be_visible()
    expect(dialog).to_be_visible()
    assert annotations_of(seed, first) == []

    dialog.get_by_label("Comment").fill("the text is cut off")
    dialog.get_by_role("button", name="Skip task").click()
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.locator("#lsf-annotation")).to_contain_text("clear")
    assert annotations_of(seed, first) == [([], True, "the text is cut off")]


# 9 ----------------------------------------------------------------------------------------------------------
def test_a_manager_sees_and_may_edit_an_annotators_work(page, seed, labeling):
    from sqlalchemy import select

    setup = labeling(CHOICES.format(required=""), [{"text": "reviewed text"}], as_="manager")
    (task_id,) = setup.task_ids

    def answer():
        from app.auth.models import User
        from app.labeling import services
        from app.projects.models import Project
        from app.tasks.models import Task

        annotator = db_scalars(select(User).where(User.email == setup.annotator))[0]
        project = db_scalars(select(Project).where(Project.id == setup.project_id))[0]
        task = db_scalars(select(Task).where(Task.id == task_id))[0]
        result = [{"id": "a1b2c3d4e5", "from_name": "sentiment", "to_name": "text", "type": "choices",
                   "value": {"choices": ["Neutral"]}}]
        return services.submit_annotation(annotator, project, task, result).id

    annotation_id = seed(answer)
    open_task(page, setup.task_url(task_id, single=True))
    tabs = page.locator("#lsf-annotations")
    expect(tabs).to_be_visible()
    expect(tabs).to_contain_text(setup.annotator)
    page.locator(f'[data-annotation="{annotation_id}"]').click()
    expect(page.get_by_role("radio", name="Neutral")).to_be_checked()
    expect(page.locator('[data-lsf="update"]')).to_be_visible()  # managers may edit anyone's annotation
    expect(page.get_by_role("radio", name="Positive")).to_be_enabled()

    page.get_by_role("radio", name="Positive").check()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "(id) => JSON.parse(document.getElementById('lsf-state').textContent).selected === id", arg=annotation_id)
    expect(page.locator(f'[data-annotation="{annotation_id}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("radio", name="Positive")).to_be_checked()
    [(result, _, _)] = annotations_of(seed, task_id)
    assert result[0]["value"] == {"choices": ["Positive"]}


# 10 ---------------------------------------------------------------------------------------------------------
def test_a_refusal_by_the_server_keeps_the_work_in_the_editor(page, seed, labeling):
    config = """<View>
  <Text name="text" value="$text"/>
  <Number name="stars" toName="text" min="0" max="10"/>
</View>"""
    setup = labeling(config, [{"text": "rate me"}, {"text": "then me"}])
    first, second = setup.task_ids
    open_task(page, setup.url)
    page.evaluate("window.__marker = 1")

    number = page.get_by_label("stars")
    number.fill("42")
    with page.expect_response(lambda r: r.url.endswith(f"/tasks/{first}/annotations")) as response:
        number.press("Control+Enter")
    assert response.value.status == 422
    expect(page.locator("#lsf-messages")).to_contain_text("above the maximum of 10")
    expect(number).to_have_value("42")  # nothing was swapped out of the editor
    assert shown_task_id(page) == first
    assert annotations_of(seed, first) == []
    assert draft_result(seed, first)[0]["value"] == {"number": 42}  # the refused work is kept as a draft

    number.fill("7")
    number.press("Control+Enter")
    page.wait_for_url(f"**{setup.task_url(second)}")
    expect(page.locator("#lsf-messages")).to_be_empty()
    assert page.evaluate("window.__marker") == 1
    [(result, _, _)] = annotations_of(seed, first)
    assert result[0]["value"] == {"number": 7}



# 11 ---------------------------------------------------------------------------------------------------------
def test_a_reload_right_after_a_change_still_finds_the_draft(page, seed, labeling):
    """Within the draft's debounce the editor sends the draft as the page goes away, early enough for the
    reloaded page to show it."""
    setup = labeling(DRAFTY, [{"text": "quick hands"}])
    (task_id,) = setup.task_ids
    open_task(page, setup.url)
    drafts = []
    page.on("request", lambda r: drafts.append(r.url) if r.url.endswith(f"/tasks/{task_id}/draft") else None)

    page.get_by_role("radio", name="Negative").check()
    assert drafts == []  # nothing sent yet: the debounced save would leave 1.5 s later
    page.reload()
    page.locator('[data-lsf="submit"]').wait_for()
    expect(page.locator("#lsf-note")).to_have_text("Draft restored")
    expect(page.get_by_role("radio", name="Negative")).to_be_checked()
    # The restored work is saved once more (in case the beacon never arrived); wait for it, so that no request
    # is still in flight when the test ends.
    expect(page.locator("#lsf-note")).to_contain_text("Draft saved")
    assert len(drafts) == 2
    assert draft_result(seed, task_id)[0]["value"] == {"choices": ["Negative"]}
