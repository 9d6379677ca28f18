"""Many annotators working the labeling stream at once, over HTTP, against a real threaded server.

The suite's ``db`` fixture keeps each test inside one rolled-back transaction, which threads cannot share, so this
test starts the app on a database of its own: a migrated temporary SQLite file, or (when the suite runs on
PostgreSQL) a temporary database created on DATABASE_URL's server and dropped at the end. Each annotator is a
thread with its own connection and cookies: it signs in through the login form, then opens the stream and submits
the task the page names until the stream says there is nothing left. Afterwards every task must have exactly the
project's overlap of answers, from different people, and every request must have succeeded.
"""
import http.client
import io
import json
import logging
import re
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from flask import got_request_exception
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db

PASSWORD = "concurrency password 1"
TASKS = 100
OVERLAP = 2
CHOICE = [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]
#: the whole run; a thread still alive after it is reported as hung
DEADLINE = 120
STATE = re.compile(r'<script type="application/json" id="lsf-state">(.*?)</script>', re.S)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _postgres():
    return (TestConfig.SQLALCHEMY_DATABASE_URI or "").startswith("postgresql")


class ConcurrencyConfig(TestConfig):
    TESTING = False  # errors are answered with 500 (and logged below), as in production


@pytest.fixture
def database_uri():
    """A migrated database of the test's own: a temporary SQLite file, or a temporary PostgreSQL database."""
    if not _postgres():
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/concurrency.db"
        return
    server = make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"tessera_conc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def live(database_uri):
    """The app on ``database_uri`` behind werkzeug's threaded server; yields (app, base URL, server errors)."""
    config = type("Config", (ConcurrencyConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri})
    application = create_app(config)
    with application.app_context():
        upgrade()
    errors = []

    def log_exception(sender, exception, **extra):
        errors.append("".join(traceback.format_exception(exception)))
        logging.getLogger(__name__).error("server exception:\n%s", errors[-1])

    got_request_exception.connect(log_exception, application)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield application, f"127.0.0.1:{server.server_port}", errors
    finally:
        server.shutdown()
        server.server_close()
        got_request_exception.disconnect(log_exception, application)
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def seed(application, annotators):
    """One organization, a published project of ``TASKS`` tasks with overlap ``OVERLAP``, and the annotators."""
    from app.auth.services import create_user
    from app.orgs.models import OrgMember, Workspace
    from app.orgs.services import add_workspace_member, create_org
    from app.projects.services import create_project
    from app.security.roles import Role
    from app.tasks.importing import import_tasks

    with application.app_context():
        owner = create_user(None, "owner@example.com", "Owner", PASSWORD)
        org = create_org(None, "Concurrency", owner, slug="conc")
        workspace = db.session.scalars(select(Workspace).where(Workspace.org_id == org.id,
                                                               Workspace.is_sandbox.is_(False))
                                       .order_by(Workspace.id)).first()
        project = create_project(owner, org, workspace, "Stream", overlap=OVERLAP, is_published=True)
        items = [{"text": f"task {i}"} for i in range(1, TASKS + 1)]
        import_tasks(owner, project, io.BytesIO(json.dumps(items).encode()), fmt="json")
        emails = []
        for i in range(annotators):
            user = create_user(None, f"annotator{i}@example.com", f"Annotator {i}", PASSWORD)
            db.session.add(OrgMember(org_id=org.id, user_id=user.id, role=Role.ANNOTATOR))
            user.active_org_id = org.id
            db.session.flush()
            add_workspace_member(owner, org, workspace, user)
            emails.append(user.email)
        db.session.commit()
        return project.id, emails


class Browser:
    """One person's HTTP client: its own connection per request, its own cookies, no redirects followed."""

    def __init__(self, host, log):
        self.host = host
        self.cookies = {}
        self.log = log

    def request(self, method, path, form=None, headers=None):
        connection = http.client.HTTPConnection(self.host, timeout=60)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            self.log.append((method, path.split("?")[0], response.status))
            return response.status, response.headers, content
        finally:
            connection.close()


def _state(html):
    found = STATE.search(html)
    assert found, f"no #lsf-state in the answer: {html[:300]!r}"
    return json.loads(found.group(1))


@dataclass
class Annotator:
    email: str
    statuses: list = field(default_factory=list)
    submitted: list = field(default_factory=list)
    failure: str | None = None


def work(host, project_id, person):
    """Sign in, then label the stream until it says there is nothing left."""
    browser = Browser(host, person.statuses)
    status, _, html = browser.request("GET", "/login")
    token = next(g for g in CSRF_INPUT.search(html).groups() if g)
    status, headers, _ = browser.request("POST", "/login",
                                         {"email": person.email, "password": PASSWORD, "csrf_token": token})
    assert status in (302, 303), f"sign-in answered {status}"
    stream = f"/o/conc/projects/{project_id}/label"
    state = None
    while True:
        if state is None:
            status, headers, html = browser.request("GET", stream)
            if status != 200:
                return
            state, csrf = _state(html), CSRF_HEADER.search(html).group(1)
        task = state["task"]
        if task is None:
            return
        status, headers, html = browser.request(
            "POST", state["urls"]["submit"], {"result": json.dumps(CHOICE), "lead_time": "1.5", "stream": "1"},
            headers={"HX-Request": "true", "X-CSRFToken": csrf})
        if status != 200:
            return
        person.submitted.append(task["id"])
        state = _state(html)


def run(person, host, project_id):
    try:
        work(host, project_id, person)
    except Exception:  # noqa: BLE001 (reported by the test)
        person.failure = traceback.format_exc()


def test_annotators_share_the_stream_without_duplicates_or_errors(live):
    application, host, server_errors = live
    n = 16 if _postgres() else 4
    project_id, emails = seed(application, n)
    people = [Annotator(email) for email in emails]
    threads = [threading.Thread(target=run, args=(person, host, project_id), daemon=True) for person in people]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, DEADLINE - (time.monotonic() - started)))
    hung = [person.email for person, thread in zip(people, threads, strict=True) if thread.is_alive()]
    assert not hung, f"still working after {DEADLINE} s: {hung}"

    assert not server_errors, "the server raised:\n" + "\n".join(server_errors)
    failures = [f"{p.email}:\n{p.failure}" for p in people if p.failure]
    assert not failures, "\n".join(failures)
    bad = [(p.email, *entry) for p in people for entry in p.statuses if not 200 <= entry[2] < 400]
    assert not bad, f"requests that failed: {bad[:20]}"

    from app.tasks.models import Annotation, Task

    with application.app_context():
        counts = dict(db.session.execute(
            select(Task.id, func.count(Annotation.id)).outerjoin(
                Annotation, (Annotation.task_id == Task.id) & Annotation.was_cancelled.is_(False))
            .where(Task.project_id == project_id).group_by(Task.id)).all())
        duplicates = db.session.execute(
            select(Annotation.task_id, Annotation.completed_by_id, func.count(Annotation.id))
            .where(Annotation.project_id == project_id)
            .group_by(Annotation.task_id, Annotation.completed_by_id).having(func.count(Annotation.id) > 1)).all()
        stored = dict(db.session.execute(select(Task.id, Task.total_annotations)
                                          .where(Task.project_id == project_id)).all())
        db.session.remove()
    assert len(counts) == TASKS
    wrong = {task_id: count for task_id, count in counts.items() if count != OVERLAP}
    assert not wrong, f"tasks without exactly {OVERLAP} annotations (task: count): {wrong}"
    assert not duplicates, f"one person annotated a task twice (task, user, count): {duplicates}"
    assert stored == counts, "Task.total_annotations disagrees with the annotations"
    assert sum(len(p.submitted) for p in people) == TASKS * OVERLAP
    idle = [p.email for p in people if not p.submitted]
    assert not idle, f"annotators who got no task: {idle}"
