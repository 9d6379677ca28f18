"""Weight and readiness of the labeling page, measured in Debian's Chromium (Playwright).

    .venv/bin/python bench/page_weight.py                    # SQLite file in a temporary directory
    .venv/bin/python bench/page_weight.py --loads 15
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/page_weight.py

The app runs under werkzeug's threaded server in this process, on a fresh database (the PostgreSQL database
named by DATABASE_URL is created when missing and emptied first). Two projects are seeded: text
(Text + Labels + Choices + TextArea) and image (Image + RectangleLabels; the picture is a PNG this script serves
at /bench/picture.png). An Annotator signs in through the login form once per project; then, for each project,
the labeling stream is opened ``--loads`` times after one unmeasured warm-up load, each time in a new browser
context (an empty cache: what a first visit costs), and once more in the same context (the browser's cache).

Printed for each project: bytes of JavaScript and of CSS received (response bodies, uncompressed; the app does
not compress), other bytes, the number of requests, and the median, minimum and maximum time to ready: from the
navigation's start (``performance.timeOrigin``) to the moment the editor has started on the task, i.e.
``Tessera.labeling.task`` is set and the task's Submit button is shown (the editor unhides it at the end of its
start-up). Aims: under 150 KB of JavaScript and CSS, under 300 ms to ready on localhost.
"""
import argparse
import statistics
import struct
import sys
import tempfile
import threading
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _seed import CHROMIUM, CHROMIUM_ARGS, database_uri, make_app, migrate_fresh, seed, sign_in  # noqa: E402

TEXT_CONFIG = """<View>
  <Labels name="entities" toName="text">
    <Label value="Person"/>
    <Label value="Organization"/>
    <Label value="Location"/>
  </Labels>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
  <TextArea name="summary" toName="text" rows="2" placeholder="One line summary"/>
</View>"""

IMAGE_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="boxes" toName="image">
    <Label value="Car"/>
    <Label value="Person"/>
  </RectangleLabels>
</View>"""

PICTURE_PATH = "/bench/picture.png"

# Runs before the page's own scripts: notes the first moment the editor has started on a task.
READY_PROBE = """
(() => {
  const check = () => {
    if (window.__lsfReady) return;
    const lab = window.Tessera && window.Tessera.labeling;
    const submit = document.querySelector('#lsf-task [data-lsf="submit"]');
    if (lab && lab.task && submit && !submit.hidden) window.__lsfReady = performance.now();
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
  document.addEventListener("DOMContentLoaded", check);
  window.addEventListener("load", check);
})();
"""


def picture(width=640, height=480):
    """A small PNG (grey gradient), so the image project loads a real picture without the network."""
    rows = b"".join(b"\x00" + bytes((x * 255 // width) for x in range(width)) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def with_picture(app, png):
    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == PICTURE_PATH:
            start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(png)))])
            return [png]
        return app(environ, start_response)

    return wsgi


def load(context, url):
    """Open ``url`` in ``context``; returns (bytes by resource type, request count, ms to ready)."""
    responses = []
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("response", lambda response: responses.append(response))  # bodies read afterwards, not in it
    page.goto(url)
    page.wait_for_function("() => window.__lsfReady")
    page.wait_for_load_state("load")
    ready = page.evaluate("""() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return {ready: window.__lsfReady, html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd};
    }""")
    sizes = {}
    for response in responses:
        try:
            size = len(response.body())
        except Exception:  # noqa: BLE001 (a redirect has no body)
            size = 0
        kind = response.request.resource_type
        sizes[kind] = sizes.get(kind, 0) + size
    page.close()
    return sizes, len(responses), ready


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=9)
    args = parser.parse_args()

    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    tmp = tempfile.TemporaryDirectory()
    server = None
    try:
        uri = database_uri(tmp.name)
        app = make_app(uri)
        migrate_fresh(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on the console
        projects = []
        texts = [{"text": f"Ada Lovelace met Charles Babbage in London, review {i}: the engine works."}
                 for i in range(5)]
        slug, project_id, emails = seed(app, 0, 1, label_config=TEXT_CONFIG, items=texts, slug="text")
        projects.append(("Text + Labels + Choices + TextArea", slug, project_id, emails[0]))
        images = [{"image": PICTURE_PATH + f"?n={i}"} for i in range(5)]
        slug, project_id, emails = seed(app, 0, 1, label_config=IMAGE_CONFIG, items=images, slug="image")
        projects.append(("Image + RectangleLabels", slug, project_id, emails[0]))

        server = make_server("127.0.0.1", 0, with_picture(app, picture()), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"database: {uri.split('@')[-1]}; server: werkzeug (threaded) at {base}; {args.loads} loads each")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for title, slug, project_id, email in projects:
                    measure(browser, base, title, slug, project_id, email, args.loads)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        tmp.cleanup()


def measure(browser, base, title, slug, project_id, email, loads):
    signed_in = sign_in(browser, base, email)
    url = f"{base}/o/{slug}/projects/{project_id}/label"
    timings, first = [], None
    for i in range(loads + 1):
        context = browser.new_context(storage_state=signed_in)
        context.add_init_script(READY_PROBE)
        sizes, count, ready = load(context, url)
        if i == 0:
            context.close()
            continue  # warm-up: the server's first render of this page compiles templates and queries
        first = first or (sizes, count)
        timings.append(ready)
        if i == loads:
            _, cached_count, cached_ready = load(context, url)
        context.close()
    sizes, count = first
    js, css = sizes.get("script", 0), sizes.get("stylesheet", 0)
    other = sum(size for kind, size in sizes.items() if kind not in ("script", "stylesheet"))
    print(f"\n{title}")
    print(f"  JavaScript {js / 1024:6.1f} KB   CSS {css / 1024:5.1f} KB   JS+CSS {(js + css) / 1024:6.1f} KB   "
          f"other {other / 1024:6.1f} KB ({', '.join(sorted(k for k in sizes if k not in ('script', 'stylesheet')))})")
    print(f"  requests: {count} (empty cache), {cached_count} (cached)")
    ready = [t["ready"] for t in timings]
    print(f"  ready: median {statistics.median(ready):.0f} ms, min {min(ready):.0f}, max {max(ready):.0f} "
          f"(empty cache, {len(ready)} loads); {cached_ready['ready']:.0f} ms with the browser's cache")
    print(f"  of which: HTML received at {statistics.median(t['html'] for t in timings):.0f}"
          f" ms, DOMContentLoaded done at {statistics.median(t['dcl'] for t in timings):.0f} ms (medians)")


if __name__ == "__main__":
    main()
