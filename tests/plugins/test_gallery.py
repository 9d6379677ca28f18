"""The plugin gallery: the manifest agrees with the folders, entries load, files are served read-only and safely."""
import json
import re
import shutil
import subprocess

import pytest

from app.plugins import gallery

REQUIRED = {"word-limit", "json-validity", "no-overlapping-spans", "regions-per-label", "pii-warning", "numeric-chart",
            "markdown-render", "keyword-prelabel", "countdown-timer", "spam-guard"}
NODE = shutil.which("node") or ("/usr/bin/node" if shutil.which("/usr/bin/node") else None)


# --- the real gallery ---------------------------------------------------------------------------------------------

def test_the_real_gallery_has_no_problems():
    assert gallery.check_manifest() == []


def test_the_real_gallery_covers_the_required_plugins_and_categories():
    entries = gallery.entries()
    assert len(entries) >= 10
    assert {e.category for e in entries} == set(gallery.CATEGORIES)
    assert REQUIRED <= {e.path for e in entries}
    assert all(isinstance(e, gallery.Entry) and e.mode in gallery.MODES for e in entries)
    # Only what needs the session or the page's DOM runs trusted.
    assert {e.path for e in entries if e.mode == "trusted"} == {"spam-guard"}


def test_entries_are_frozen():
    entry = gallery.entries()[0]
    with pytest.raises(AttributeError):
        entry.title = "changed"


def test_entry_and_read():
    entry = gallery.entry("word-limit")
    assert entry.title == "Word limit" and entry.category == "Validation" and entry.allowlist == ()
    code, view_xml, data = gallery.read("word-limit")
    assert "beforeSaveAnnotation" in code and "Htx.showModal" in code
    assert "<TextArea" in view_xml
    assert isinstance(data["data"]["review"], str)


@pytest.mark.parametrize("path", ["../plugins_gallery", "..", "word-limit/../word-limit", "/etc", "word-limit/",
                                  ".hidden", "", "nope", None, "manifest.json", "word limit"])
def test_unknown_or_traversing_paths_are_refused(path):
    assert gallery.entry(path) is None
    assert gallery.asset(path, "plugin.js") is None
    with pytest.raises(KeyError):
        gallery.read(path)


@pytest.mark.parametrize("filename", ["../manifest.json", "..", ".", "../../app/config.py", "sub/plugin.js", ".env",
                                      "missing.js", ""])
def test_files_outside_an_entry_are_refused(filename):
    assert gallery.asset("word-limit", filename) is None


def test_every_plugin_is_the_body_of_an_async_function(tmp_path):
    if NODE is None:
        pytest.skip("node is not installed: the syntax of the gallery's plugin.js files was not checked")
    for entry in gallery.entries():
        code, _, _ = gallery.read(entry.path)
        wrapped = tmp_path / f"{entry.path}.js"
        # How the runtime runs a plugin: the body of its own sloppy-mode async function (top-level await, return).
        wrapped.write_text(f"(async function (LSI) {{\n{code}\n}})", encoding="utf-8")
        checked = subprocess.run([NODE, "--check", str(wrapped)],  # noqa: S603  (node on a file we wrote)
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, f"{entry.path}/plugin.js: {checked.stderr}"


def test_the_syntax_check_catches_a_broken_plugin(tmp_path):
    if NODE is None:
        pytest.skip("node is not installed")
    wrapped = tmp_path / "broken.js"
    wrapped.write_text("(async function (LSI) {\nLSI.on('x', () => {\n})", encoding="utf-8")
    checked = subprocess.run([NODE, "--check", str(wrapped)], capture_output=True, timeout=60)  # noqa: S603
    assert checked.returncode != 0


# --- a broken gallery -----------------------------------------------------------------------------------------------

VIEW = '<View><Text name="text" value="$text"/><TextArea name="answer" toName="text"/></View>'


def _plugin(root, path, view=VIEW, data=None, files=("plugin.js", "view.xml", "data.json", "README.md")):
    folder = root / path
    folder.mkdir()
    contents = {"plugin.js": "LSI.on('beforeSaveAnnotation', () => true);\n", "view.xml": view,
                "data.json": json.dumps(data if data is not None else {"data": {"text": "Hello"}}),
                "README.md": "# A plugin\n"}
    for name in files:
        (folder / name).write_text(contents[name], encoding="utf-8")


def _item(path, **changes):
    return {"title": path.title(), "description": "Does things.", "path": path, "category": "Validation",
            "private": False, "mode": "sandboxed", "allowlist": [], **changes}


@pytest.fixture
def fake_gallery(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "ROOT", tmp_path)

    def write(items):
        (tmp_path / gallery.MANIFEST).write_text(json.dumps(items), encoding="utf-8")

    return tmp_path, write


def test_a_clean_fake_gallery_has_no_problems(fake_gallery):
    root, write = fake_gallery
    _plugin(root, "good")
    write([_item("good")])
    assert gallery.check_manifest() == []
    assert [e.path for e in gallery.entries()] == ["good"]


def test_a_broken_manifest_is_reported(fake_gallery):
    root, write = fake_gallery
    _plugin(root, "good")
    _plugin(root, "unlisted")
    _plugin(root, "bad-view", view="<View><Chioces name='x' toName='text'/></View>")
    _plugin(root, "wrong-data", data={"data": {"other": "x"}})
    _plugin(root, "no-readme", files=("plugin.js", "view.xml", "data.json"))
    write([
        _item("good"),
        _item("missing-folder"),
        _item("bad-view"),
        _item("wrong-data"),
        _item("no-readme"),
        _item("good", category="Fun"),
        {**_item("x-mode"), "mode": "root", "allowlist": ["http://example.com", "https://ok.example.com"]},
        {"title": "Escape", "path": "../etc"},
    ])
    problems = "\n".join(gallery.check_manifest())
    assert 'Entry "missing-folder": folder missing-folder/ is missing' in problems
    assert 'Folder "unlisted" is not listed' in problems
    assert "category 'Fun' is not one of Validation, Visualization, Automation, Workflow" in problems
    assert 'Entry "good" is listed twice' in problems
    assert 'Entry "bad-view": view.xml: ' in problems and "Unknown tag <Chioces>" in problems
    assert 'Entry "wrong-data": view.xml: ' in problems and '"$text" is not in the imported tasks\' data' in problems
    assert 'Entry "no-readme": README.md is missing' in problems
    assert "mode 'root' is not one of sandboxed, trusted" in problems
    assert "'http://example.com' is not an https origin" in problems and "ok.example.com' is not" not in problems
    assert "path '../etc' must be a plain folder name" in problems
    assert "Entry 8 lacks description, category, private, mode, allowlist" in problems
    # The loader keeps going: well-formed entries still load, the escaping one never does.
    assert "../etc" not in {e.path for e in gallery.entries()}
    assert gallery.entry("unlisted") is None


def test_a_missing_or_unreadable_manifest_is_reported(fake_gallery):
    root, _ = fake_gallery
    assert "manifest.json is missing" in gallery.check_manifest()[0]
    assert gallery.entries() == []
    (root / gallery.MANIFEST).write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in gallery.check_manifest()[0]
    assert gallery.entries() == []


def test_a_symlinked_folder_cannot_leave_the_gallery(fake_gallery, tmp_path_factory):
    root, write = fake_gallery
    outside = tmp_path_factory.mktemp("outside")
    (outside / "plugin.js").write_text("secret", encoding="utf-8")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    write([_item("linked")])
    assert gallery.asset("linked", "plugin.js") is None
    with pytest.raises(KeyError):
        gallery.read("linked")


# --- serving ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def signed_in(client, create_user):
    return client.login(create_user())


@pytest.mark.parametrize(("filename", "mimetype"), [("plugin.js", "text/javascript"), ("view.xml", "application/xml"),
                                                    ("data.json", "application/json"), ("README.md", "text/markdown")])
def test_gallery_files_are_served(signed_in, filename, mimetype):
    response = signed_in.get(f"/static/plugins/word-limit/{filename}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.data == (gallery.ROOT / "word-limit" / filename).read_bytes()


@pytest.mark.parametrize("url", [
    "/static/plugins/nope/plugin.js",
    "/static/plugins/word-limit/missing.js",
    "/static/plugins/word-limit/.hidden",
    "/static/plugins/manifest.json",
    "/static/plugins/word-limit/../manifest.json",
    "/static/plugins/..%2Fword-limit/plugin.js",
    "/static/plugins/%2e%2e/manifest.json",
    "/static/plugins/word-limit/%2e%2e%2fmanifest.json",
    "/static/plugins/word-limit/..%2F..%2Fapp%2Fconfig.py",
    "/static/plugins/../../app/config.py",
])
def test_unknown_files_and_traversal_are_404(signed_in, url):
    assert signed_in.get(url).status_code == 404


def test_an_unlisted_folder_is_not_served(signed_in, fake_gallery):
    root, write = fake_gallery
    _plugin(root, "listed")
    _plugin(root, "unlisted")
    write([_item("listed")])
    assert signed_in.get("/static/plugins/listed/plugin.js").status_code == 200
    assert signed_in.get("/static/plugins/unlisted/plugin.js").status_code == 404


def test_anonymous_requests_are_sent_to_sign_in(client):
    response = client.get("/static/plugins/word-limit/plugin.js")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- behaviour in node, against a stand-in LSI (the browser suite runs them in the real page) ---------------------------

HARNESS = r"""
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const handlers = {}, modals = [], state = { results: @RESULTS@ };
const element = (tag) => ({ tag, children: [], className: "", style: {}, textContent: "", innerHTML: "",
  isConnected: true, clientWidth: 600, appendChild(c) { this.children.push(c); return c; }, setAttribute() {},
  querySelector(s) { return this.children.find((c) => "." + c.className === s) || null; },
  querySelectorAll(s) { return this.children.filter((c) => "." + c.className === s); }, remove() {} });
const annotation = { id: 1, readonly: false,
  get results() { return state.results.map((r) => ({ ...r, from_name: { name: r.from_name }, to_name: { name: r.to_name } })); },
  serializeAnnotation() { return JSON.parse(JSON.stringify(state.results)); },
  deserializeResults(rs) { state.results.push(...rs); } };
const LSI = { on(e, f) { (handlers[e] = handlers[e] || new Set()).add(f); }, off() {}, import: async () => {},
  task: { id: 1, data: @DATA@ }, dataObj: @DATA@, annotation, regions: [] };
globalThis.Htx = { showModal: (m, t) => modals.push(t + ": " + m), user: { id: 7 } };
globalThis.DM = { project: { id: 3, parsed_label_config: @CONFIG@ } };
globalThis.document = { body: element("body"), getElementById: () => null, createElement: element };
const save = async () => !(await Promise.all([...(handlers.beforeSaveAnnotation || [])].map(
  (f) => f({}, annotation, { event: "submitAnnotation" })))).includes(false);
const setText = (text) => { state.results[0].value.text = [text]; };
(async () => {
  await new AsyncFunction("LSI", @CODE@)(LSI);
  const out = [];
  @STEPS@
  console.log(JSON.stringify({ out, modals, results: state.results, html: document.body.children.map((c) => c.innerHTML) }));
})();
"""


def _textarea(name, text):
    return [{"id": "a1", "from_name": name, "to_name": "t", "type": "textarea", "value": {"text": [text]}}]


def _span(start, end, label, text, name="ner"):
    return {"id": f"r{start}", "from_name": name, "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def _run_plugin(tmp_path, path, steps, results=(), data=None, config=None):
    if NODE is None:
        pytest.skip("node is not installed: the gallery plugins' behaviour was not checked")
    code, _, sample = gallery.read(path)
    values = {"RESULTS": json.dumps(list(results)), "DATA": json.dumps(data or sample["data"]),
              "CONFIG": json.dumps(config or {}), "CODE": json.dumps(code), "STEPS": steps}
    # One pass, so nothing substituted (task text, plugin code) is ever taken for a placeholder.
    script = re.sub(r"@(RESULTS|DATA|CONFIG|CODE|STEPS)@", lambda m: values[m.group(1)], HARNESS)
    file = tmp_path / f"{path}-run.js"
    file.write_text(script, encoding="utf-8")
    ran = subprocess.run([NODE, str(file)], capture_output=True, text=True, timeout=60)  # noqa: S603
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def test_word_limit_blocks_then_allows(tmp_path):
    ran = _run_plugin(tmp_path, "word-limit", 'out.push(await save()); setText("Short and fine."); out.push(await save());',
                      results=_textarea("summary", "word " * 21))
    assert ran["out"] == [False, True]
    assert ran["modals"] == ["error: The summary has 21 words; the limit is 20. Shorten it and save again."]


def test_json_validity(tmp_path):
    steps = 'out.push(await save()); setText("[1, 2]"); out.push(await save()); setText(\'{"a": 1}\'); out.push(await save());'
    ran = _run_plugin(tmp_path, "json-validity", steps, results=_textarea("payload", '{"a": '))
    assert ran["out"] == [False, False, True]
    assert ran["modals"][0].startswith("error: The answer is not valid JSON")
    assert "must be a JSON object" in ran["modals"][1]


def test_pii_warning_is_a_soft_block(tmp_path):
    steps = ('out.push(await save(), await save()); setText("Call +44 20 7946 0018"); out.push(await save(), await save());'
             'setText("Shipped 2024-01-01 for €1,299.00, version 1.2.3"); out.push(await save());')
    ran = _run_plugin(tmp_path, "pii-warning", steps, results=_textarea("description", "Write to sam@example.org"))
    assert ran["out"] == [False, True, False, True, True]
    assert "an e-mail address" in ran["modals"][0] and "a phone number" in ran["modals"][1]
    assert len(ran["modals"]) == 2


def test_no_overlapping_spans(tmp_path):
    steps = "out.push(await save()); state.results.push(" + json.dumps(_span(4, 12, "Location", "Lovelace")) + \
            "); out.push(await save());"
    ran = _run_plugin(tmp_path, "no-overlapping-spans", steps,
                      results=[_span(0, 12, "Person", "Ada Lovelace"), _span(25, 40, "Person", "Charles Babbage")])
    assert ran["out"] == [True, False]
    assert '"Ada Lovelace" (Person) and "Lovelace" (Location) overlap' in ran["modals"][0]


def test_regions_per_label(tmp_path):
    steps = "out.push(await save()); state.results.push(" + json.dumps(_span(50, 60, "Item", "mixers", "parties")) + \
            "); out.push(await save());"
    ran = _run_plugin(tmp_path, "regions-per-label", steps,
                      results=[_span(0, 5, "Buyer", "x", "parties"), _span(10, 15, "Seller", "y", "parties")])
    assert ran["out"] == [False, True]
    assert "Item: at least 1 (found 0)" in ran["modals"][0]


def test_keyword_prelabel_proposes_spans_on_an_empty_annotation(tmp_path):
    config = {"entities": {"type": "Labels", "to_name": ["note"], "inputs": [{"type": "Text", "value": "note"}],
                           "labels": ["Drug", "Symptom"]}}
    ran = _run_plugin(tmp_path, "keyword-prelabel", "", config=config)
    note = gallery.read("keyword-prelabel")[2]["data"]["note"]
    spans = [(r["value"]["labels"][0], note[r["value"]["start"]:r["value"]["end"]]) for r in ran["results"]]
    assert ("Drug", "ibuprofen") in spans and ("Symptom", "headache") in spans and ("Drug", "paracetamol") in spans
    assert all(r["from_name"] == "entities" and r["to_name"] == "note" and r["type"] == "labels" for r in ran["results"])
    # Work already there is never touched.
    kept = _run_plugin(tmp_path, "keyword-prelabel", "", config=config, results=_textarea("other", "x"))
    assert len(kept["results"]) == 1


def test_markdown_renders_escaped(tmp_path):
    html = _run_plugin(tmp_path, "markdown-render", "")["html"][0]
    assert "<h1>Resetting your password</h1>" in html and "<h2>Steps</h2>" in html
    assert "<strong>forgot</strong>" in html and "<ol>" in html
    assert '<a href="https://example.com/help"' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_countdown_blocks_saving_when_time_is_up(tmp_path):
    steps = ("out.push(await save(), document.body.children[0].textContent);"
             "await new Promise((r) => setTimeout(r, 1100)); out.push(await save(), document.body.children[0].textContent);")
    ran = _run_plugin(tmp_path, "countdown-timer", steps, data={"headline": "x", "time_limit": 1})
    assert ran["out"] == [True, "Time left: 0:01", False, "Time is up"]
    assert ran["modals"][0].startswith("error: Time is up")


def test_spam_guard_pauses_after_the_same_answer_five_times(tmp_path):
    # Each submission is a new display (a new run), so the history lives in sessionStorage, as in the page.
    steps = """
      const stored = {}, calls = [];
      globalThis.sessionStorage = { getItem: (k) => stored[k] ?? null, setItem: (k, v) => { stored[k] = v; } };
      globalThis.fetch = async (url, init) => { calls.push({ url, init }); return { ok: true, status: 201 }; };
      document.body.getAttribute = (name) => (name === "hx-headers" ? '{"X-CSRFToken": "token"}' : null);
      for (let i = 0; i < 5; i++) {
        for (const key of Object.keys(handlers)) delete handlers[key];
        await new AsyncFunction("LSI", @CODE@)(LSI);
        await new Promise((r) => setTimeout(r, 10));
        Date.now = ((real) => () => real() + 5000 * (i + 1))(Date.now);  // slow enough not to count as "too fast"
        await save();
        await Promise.all([...handlers.submitAnnotation].map((f) => f({}, annotation)));
        out.push(calls.length);
      }
      out.push(calls[0]);
    """
    choice = [{"id": "c1", "from_name": "sentiment", "to_name": "comment", "type": "choices",
               "value": {"choices": ["Positive"]}}]
    ran = _run_plugin(tmp_path, "spam-guard", steps.replace("@CODE@", json.dumps(gallery.read("spam-guard")[0])),
                      results=choice)
    assert ran["out"][:5] == [0, 0, 0, 0, 1]
    call = ran["out"][5]
    assert call["url"] == "/api/projects/3/members/7/pauses"
    assert call["init"]["method"] == "POST" and call["init"]["headers"]["X-CSRFToken"] == "token"
    assert json.loads(call["init"]["body"]) == {"reason": "CUSTOM_SCRIPT",
                                                "verbose_reason": "The same answer was submitted 5 times in a row."}
    assert ran["modals"][-1].startswith("warning: You have been paused on this project")
