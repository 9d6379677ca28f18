"""What the labeling benchmarks share: a fresh database, a seeded project with annotators, and a small HTTP client.

Not a benchmark itself (bench/annotate_loop.py and bench/page_weight.py import it).
"""
import http.client
import io
import json
import os
import re
import socket
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import Config, _database_url  # noqa: E402

PASSWORD = "bench password 1"  # noqa: S105 (throw-away accounts)
CHOICE = [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]
STATE = re.compile(r'<script type="application/json" id="lsf-state">(.*?)</script>', re.S)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


class BenchConfig(Config):
    ENV_NAME = "bench"
    SECRET_KEY = "bench"  # noqa: S105 (a throw-away database)
    RATELIMIT_ENABLED = False


def database_uri(tmp_dir):
    """DATABASE_URL (created when missing; emptied by ``migrate_fresh``), else a SQLite file in ``tmp_dir``."""
    if not os.environ.get("DATABASE_URL"):
        return f"sqlite:///{tmp_dir}/bench.db"
    uri = _database_url()
    if uri.startswith("postgresql"):
        _create_postgres_database(uri)
    return uri


def _create_postgres_database(uri):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}):
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()


def make_app(uri):
    from app import create_app

    config = type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": uri})
    return create_app(config)


def migrate_fresh(app):
    """Empty the database: migrate down to base and up again."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="base")
        upgrade()


def seed(app, tasks, annotators, overlap=1, label_config=None, items=None, slug="bench"):
    """An organization, a published project of ``tasks`` text tasks (or ``items``), and ``annotators``
    Annotators in its Default workspace. Returns (org slug, project id, [annotator e-mails])."""
    from sqlalchemy import select

    from app.auth.services import create_user
    from app.extensions import db
    from app.orgs.models import OrgMember, Workspace
    from app.orgs.services import add_workspace_member, create_org
    from app.projects.services import create_project
    from app.security.roles import Role
    from app.tasks.importing import import_tasks

    with app.app_context():
        owner = create_user(None, f"owner@{slug}.example.com", "Bench Owner", PASSWORD)
        org = create_org(None, "Bench", owner, slug=slug)
        workspace = db.session.scalars(select(Workspace).where(Workspace.org_id == org.id,
                                                               Workspace.is_sandbox.is_(False))
                                       .order_by(Workspace.id)).first()
        settings = {"overlap": overlap, "is_published": True}
        if label_config:
            settings["label_config"] = label_config
        project = create_project(owner, org, workspace, "Bench stream", **settings)
        if items is None:
            items = [{"text": f"Review number {i}: the product {'works' if i % 3 else 'broke'} after {i % 17} days"}
                     for i in range(tasks)]
        import_tasks(owner, project, io.BytesIO(json.dumps(items).encode()), fmt="json")
        emails = []
        for i in range(annotators):
            user = create_user(None, f"annotator{i}@{slug}.example.com", f"Annotator {i}", PASSWORD)
            db.session.add(OrgMember(org_id=org.id, user_id=user.id, role=Role.ANNOTATOR))
            user.active_org_id = org.id
            db.session.flush()
            add_workspace_member(owner, org, workspace, user)
            emails.append(user.email)
        db.session.commit()
        found = org.slug, project.id, emails
        db.session.remove()
        return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def state_of(html):
    found = STATE.search(html)
    return json.loads(found.group(1)) if found else None


class Client:
    """One person's browser, minus the browser: a kept-alive connection, cookies, no redirects followed."""

    def __init__(self, host, port, timeout=30):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = {}
        self.connection = None
        self.csrf = None

    def request(self, method, path, form=None, headers=None):
        """(status, headers, body text). Reconnects once when a kept-alive connection was closed meanwhile."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.will_close:
            self.close()
        return response.status, response.headers, content.decode()

    def get_following(self, path):
        """GET, following redirects on this host; returns (status, headers, body, [statuses on the way])."""
        seen = []
        for _ in range(5):
            status, headers, body = self.request("GET", path)
            seen.append(status)
            if status not in (301, 302, 303, 307, 308):
                break
            location = urlsplit(headers["Location"])
            path = location.path + (f"?{location.query}" if location.query else "")
        return status, headers, body, seen

    def sign_in(self, email, password=PASSWORD):
        status, _, html = self.request("GET", "/login")
        token = CSRF_INPUT.search(html).group(1)
        status, headers, _ = self.request("POST", "/login", {"email": email, "password": password,
                                                             "csrf_token": token})
        if status not in (302, 303):
            raise RuntimeError(f"sign-in of {email} answered {status}")
        return self

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# Debian's Chromium, launched by path; without these flags it keeps trying to reach the network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sign_in(browser, base, email):
    """The signed-in cookies, obtained through the login form."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    state = context.storage_state()
    context.close()
    return state
