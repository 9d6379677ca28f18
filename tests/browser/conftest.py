"""A live Tessera on 127.0.0.1 (its own migrated SQLite file, or DATABASE_URL) and Debian's Chromium via Playwright."""
import os
import shutil
import tempfile
import threading

import pytest
from flask_migrate import downgrade, upgrade
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach the network this machine does not have.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


PASSWORD = "browser password 1"


class LiveConfig(TestConfig):
    TESTING = False


@pytest.fixture(scope="session")
def live_app():
    tmp = tempfile.TemporaryDirectory()
    LiveConfig.SQLALCHEMY_DATABASE_URI = TestConfig.SQLALCHEMY_DATABASE_URI or f"sqlite:///{tmp.name}/browser.db"
    application = create_app(LiveConfig)
    with application.app_context():
        downgrade(revision="base")
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
    tmp.cleanup()


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/install-system-deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture
def seed(live_app):
    """Run ``fn`` inside the live app and commit, returning its result (test data for the browser)."""

    def run(fn):
        with live_app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run


def wait_for_htmx(page):
    """Wait until htmx has no request in flight and has settled every swap (a fill before that can be lost)."""
    page.wait_for_function(
        "() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


@pytest.fixture
def sign_in(page):
    """Sign in through the login form, as a person would."""

    def run(email, password=PASSWORD):
        page.goto("/login")
        wait_for_htmx(page)
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return run
