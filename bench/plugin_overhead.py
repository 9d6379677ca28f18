"""What plugins add to the labeling page, measured in Debian's Chromium (Playwright).

    .venv/bin/python bench/plugin_overhead.py                  # SQLite file in a temporary directory
    .venv/bin/python bench/plugin_overhead.py --loads 15 --saves 25
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/plugin_overhead.py

The app runs under werkzeug's threaded server in this process, on a fresh database (bench/_seed.py). Five projects
(each in its own organization, plugins switched on by writing ``Organization.plugins_enabled_at``) share one
labeling configuration (Text, Choices, TextArea): no plugins; five sandboxed; five trusted; one sandboxed; one
trusted. Every plugin is small and realistic: it reads ``LSI.annotation.results`` when it runs and registers a
``beforeSaveAnnotation`` handler (a word limit on the TextArea) that lets the save through.

Time to ready: from the navigation's start (``performance.timeOrigin``) to the moment the editor has started on
the task (``Tessera.labeling.task`` set and Submit shown, as bench/page_weight.py) *and* the plugin runtime's run
for that display has finished (``Tessera.plugins.run.ready``: every plugin loaded, run, its handlers
registered). ``--loads`` loads per project after one unmeasured warm-up, each in a new browser context (an empty
cache: the sandbox frame's document and every plugin's code are fetched), then as many in one context (the
browser's cache: what the second task of a session costs is lower still, the frames are kept).

Save: with the one-plugin projects and the no-plugin one, ``--saves`` submits each. Measured from Submit's click
(the same ``save()`` as Ctrl+Enter) to the save's POST leaving the page (``XMLHttpRequest.send``): the time the
``beforeSaveAnnotation`` round costs, which is all a plugin adds to a save; and, for reference, to the next task
shown (the server's answer swapped in and the editor started on it). Before each save the page waits until the
run for the task shown is ready, so the save measures the handler, not start-up.

Printed: medians (min, max) and the cost each plugin set adds over no plugins. Aims: under 50 ms added to time
to ready by five sandboxed plugins, under 20 ms added to a save.
"""
import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _seed import CHROMIUM, CHROMIUM_ARGS, database_uri, make_app, migrate_fresh, seed, sign_in  # noqa: E402

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
  </Choices>
  <TextArea name="summary" toName="text" rows="2"/>
</View>"""

PLUGIN = """// Word limit {n}: a summary of at most {limit} words.
const LIMIT = {limit};
const seen = LSI.annotation.results.length; // what a plugin reads on every display
LSI.on("beforeSaveAnnotation", (store, annotation) => {{
  const words = annotation.results
    .filter((r) => r.from_name.name === "summary")
    .flatMap((r) => r.value.text || [])
    .join(" ").split(/\\s+/).filter(Boolean).length;
  if (words <= LIMIT) return true;
  Htx.showModal("At most " + LIMIT + " words, please (" + seen + " results when shown).", "error");
  return false;
}});
"""

# Runs before the page's own scripts: the editor's start, then the plugin run's end, and the save's POST.
PROBE = """
(() => {
  const check = () => {
    if (window.__lsfReady) return;
    const lab = window.Tessera && window.Tessera.labeling;
    const submit = document.querySelector('#lsf-task [data-lsf="submit"]');
    const plugins = window.Tessera && window.Tessera.plugins;
    if (lab && lab.task && submit && !submit.hidden && plugins && plugins.run) {
      window.__lsfReady = performance.now();
      const run = plugins.run;
      run.ready.then(() => { window.__pluginsReady = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
  document.addEventListener("DOMContentLoaded", check);
  window.addEventListener("load", check);
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, ...rest) { this.__method = method; return open.call(this, method, ...rest); };
  XMLHttpRequest.prototype.send = function (...args) {
    const post = String(this.__method).toUpperCase() === "POST";
    if (post && window.__saveClicked && !window.__postSent) window.__postSent = performance.now();
    return send.apply(this, args);
  };
})();
"""

# One save: click Submit, note when the POST leaves and when the next task is shown.
SAVE = """async () => {
  const lab = Tessera.labeling, before = lab.task.id;
  window.__postSent = 0;
  const shown = new Promise((resolve) => {
    const check = () => {
      const submit = document.querySelector('#lsf-task [data-lsf="submit"]');
      if (lab.task && lab.task.id !== before && submit && !submit.hidden) { observer.disconnect(); resolve(performance.now()); }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, {subtree: true, childList: true, attributes: true});
  });
  const t0 = performance.now();
  window.__saveClicked = true;
  document.querySelector('#lsf-task [data-lsf="submit"]').click();
  const t1 = await shown;
  window.__saveClicked = false;
  return {post: window.__postSent - t0, next: t1 - t0};
}"""

# Until the plugins' run for the task shown is ready.
RUN_READY = """async () => {
  const started = () => window.Tessera && Tessera.plugins && Tessera.plugins.run;
  for (let i = 0; i < 400 && !started(); i++) await new Promise((r) => setTimeout(r, 5));
  await Tessera.plugins.run.ready;
}"""

PROJECTS = [  # (key, title, plugins: mode for each)
    ("none", "no plugins", []),
    ("sandboxed5", "five sandboxed", ["sandboxed"] * 5),
    ("trusted5", "five trusted", ["trusted"] * 5),
    ("sandboxed1", "one sandboxed", ["sandboxed"]),
    ("trusted1", "one trusted", ["trusted"]),
]


def add_plugins(app, slug, project_id, modes):
    from sqlalchemy import select

    from app.db import utcnow
    from app.extensions import db
    from app.orgs.models import Organization
    from app.plugins.models import Plugin, PluginRevision

    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.slug == slug))
        org.plugins_enabled_at = utcnow()
        for position, mode in enumerate(modes):
            plugin = Plugin(org_id=org.id, project_id=project_id, title=f"Word limit {position + 1}",
                            position=position, mode=mode, allowlist=[], enabled=True)
            db.session.add(plugin)
            db.session.flush()
            db.session.add(PluginRevision(plugin_id=plugin.id, number=1, message="bench",
                                          code=PLUGIN.format(n=position + 1, limit=40 + position)))
        db.session.commit()
        db.session.remove()


def open_page(context, url):
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    page.wait_for_function("() => window.__pluginsReady")
    return page, page.evaluate("() => ({editor: window.__lsfReady, ready: window.__pluginsReady})")


def time_to_ready(browser, signed_in, url, loads):
    """([{editor, ready}] with an empty cache, [...] with the browser's cache)."""
    cold, warm = [], []
    for i in range(loads + 1):
        context = browser.new_context(storage_state=signed_in)
        context.add_init_script(PROBE)
        page, timing = open_page(context, url)
        page.close()
        if i:  # the first load warms the server (templates, queries)
            cold.append(timing)
        context.close()
    context = browser.new_context(storage_state=signed_in)
    context.add_init_script(PROBE)
    for i in range(loads + 1):
        page, timing = open_page(context, url)
        page.close()
        if i:
            warm.append(timing)
    context.close()
    return cold, warm


def save_times(browser, signed_in, url, saves):
    """[{post, next}] for ``saves`` submits in one page (after one unmeasured save)."""
    context = browser.new_context(storage_state=signed_in)
    context.add_init_script(PROBE)
    page, _ = open_page(context, url)
    out = []
    for i in range(saves + 1):
        page.evaluate(RUN_READY)
        page.wait_for_timeout(50)  # let the run's messages and the page settle
        page.get_by_role("radio", name="Positive").check()
        timing = page.evaluate(SAVE)
        if i:
            out.append(timing)
    context.close()
    return out


def stats(values):
    return f"{statistics.median(values):6.1f} ms (min {min(values):6.1f}, max {max(values):6.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=9)
    parser.add_argument("--saves", type=int, default=15)
    args = parser.parse_args()

    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    tmp = tempfile.TemporaryDirectory()
    server = app = None
    try:
        uri = database_uri(tmp.name)
        app = make_app(uri)
        migrate_fresh(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        seeded = {}
        tasks = args.saves + 5
        for key, title, modes in PROJECTS:
            slug, project_id, emails = seed(app, tasks, 1, label_config=CONFIG, slug=key)
            add_plugins(app, slug, project_id, modes)
            seeded[key] = (title, slug, project_id, emails[0])

        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"database: {uri.split('@')[-1]}; server: werkzeug (threaded) at {base}; "
              f"{args.loads} loads, {args.saves} saves each; Chromium {CHROMIUM}")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                ready = {}
                print("\nTime to ready (editor started and the plugins' run done), medians:")
                print(f"  {'':16} {'empty cache':>40} {'browser cache':>40}")
                for key in ("none", "sandboxed5", "trusted5"):
                    title, slug, project_id, email = seeded[key]
                    signed_in = sign_in(browser, base, email)
                    cold, warm = time_to_ready(browser, signed_in, f"{base}/o/{slug}/projects/{project_id}/label",
                                               args.loads)
                    ready[key] = cold, warm
                    print(f"  {title:16} {stats([t['ready'] for t in cold]):>40} {stats([t['ready'] for t in warm]):>40}")
                    print(f"  {'  (editor only)':16} {stats([t['editor'] for t in cold]):>40} "
                          f"{stats([t['editor'] for t in warm]):>40}")
                base_cold = statistics.median(t["ready"] for t in ready["none"][0])
                base_warm = statistics.median(t["ready"] for t in ready["none"][1])
                for key in ("sandboxed5", "trusted5"):
                    cold, warm = ready[key]
                    print(f"  added by {seeded[key][0]}: {statistics.median(t['ready'] for t in cold) - base_cold:+.1f} ms "
                          f"(empty cache), {statistics.median(t['ready'] for t in warm) - base_warm:+.1f} ms (cache)"
                          + ("   aim: under 50 ms" if key == "sandboxed5" else ""))

                print("\nSave: Submit click to the POST leaving the page (and to the next task shown):")
                saved = {}
                for key in ("none", "sandboxed1", "trusted1"):
                    title, slug, project_id, email = seeded[key]
                    signed_in = sign_in(browser, base, email)
                    saved[key] = save_times(browser, signed_in, f"{base}/o/{slug}/projects/{project_id}/label",
                                            args.saves)
                    print(f"  {title:16} POST {stats([t['post'] for t in saved[key]])}   "
                          f"next task {stats([t['next'] for t in saved[key]])}")
                base_post = statistics.median(t["post"] for t in saved["none"])
                base_next = statistics.median(t["next"] for t in saved["none"])
                for key in ("sandboxed1", "trusted1"):
                    post = statistics.median(t["post"] for t in saved[key]) - base_post
                    after = statistics.median(t["next"] for t in saved[key]) - base_next
                    print(f"  added by {seeded[key][0]}'s beforeSaveAnnotation: {post:+.1f} ms to the POST, "
                          f"{after:+.1f} ms to the next task   aim: under 20 ms")
            finally:
                browser.close()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if app is not None:
            with app.app_context():
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
        tmp.cleanup()


if __name__ == "__main__":
    main()
