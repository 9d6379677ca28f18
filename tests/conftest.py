"""Fixtures: the app on a migrated database, a rolled-back transaction per test, factories and role clients."""
import itertools
import os
import tempfile

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from app.security.roles import Role

PASSWORD = "correct horse battery"


class Client(FlaskClient):
    """A test client that sends the CSRF header on unsafe requests, as the app's pages do (``csrf=False`` to omit)."""

    def open(self, *args, csrf=True, **kwargs):
        # The test's app context stays pushed, so requests would share ``g`` (and Flask-Login's cached user);
        # in production each request has a context of its own.
        if has_app_context():
            g.__dict__.clear()
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self):
        app = self.application
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def login(self, user):
        with self.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return self


def hx(headers=None, **extra):
    """Headers of an htmx request (pass as ``headers=hx()``)."""
    return {"HX-Request": "true", "HX-Current-URL": "http://localhost/somewhere?x=1", **(headers or {}), **extra}


@pytest.fixture(scope="session")
def app():
    tmp = None
    if TestConfig.SQLALCHEMY_DATABASE_URI is None:
        tmp = tempfile.TemporaryDirectory()
        TestConfig.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp.name}/test.db"
    application = create_app(TestConfig)
    application.test_client_class = Client
    with application.app_context():
        downgrade(revision="base")
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()
    if tmp:
        TestConfig.SQLALCHEMY_DATABASE_URI = None
        tmp.cleanup()


@pytest.fixture
def db(app):
    """Everything a test writes is rolled back at its end.

    Inside the test, commits (the factories' and each request's) only release a savepoint, so a request that
    fails and rolls back undoes its own work and not the test's fixtures.
    """
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        # Flask-SQLAlchemy's own session picks the engine over a bound connection, so use a plain one.
        _db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield _db
        finally:
            _db.session.remove()
            transaction.rollback()
            connection.close()
            _db.session = original


@pytest.fixture
def client(app, db):
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def create_user(db):
    from app.auth.services import create_user as _create

    def make(email=None, name="", password=PASSWORD, **kwargs):
        user = _create(None, email or f"user{next(_counter)}@example.com", name=name, password=password, **kwargs)
        db.session.commit()
        return user

    return make


@pytest.fixture
def create_org(db, create_user):
    from app.orgs.services import create_org as _create

    def make(name=None, owner=None, slug=None):
        n = next(_counter)
        org = _create(None, name or f"Org {n}", owner or create_user(), slug=slug)
        db.session.commit()
        return org

    return make


@pytest.fixture
def add_member(db, create_user):
    from app.orgs.models import OrgMember

    def make(org, role, user=None):
        user = user or create_user(name=f"{role.value} person")
        member = OrgMember(org_id=org.id, user_id=user.id, role=role)
        db.session.add(member)
        if user.active_org_id is None:
            user.active_org_id = org.id
        db.session.commit()
        return member

    return make


@pytest.fixture
def client_for(app):
    def make(user=None):
        client = app.test_client()
        return client.login(user) if user is not None else client

    return make


@pytest.fixture
def dummy_org(create_org):
    return create_org(name="Acme", slug="acme")


@pytest.fixture
def people(dummy_org, add_member, create_user, create_org):
    """One user per role in ``dummy_org``, plus the Owner of another organization (``outsider``)."""
    from app.orgs.services import owner_of

    found = {"owner": owner_of(dummy_org).user}
    for role in (Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR, Role.PENDING, Role.DEACTIVATED):
        found[role.value] = add_member(dummy_org, role).user
    other = create_org(name="Other", slug="other")
    found["outsider"] = owner_of(other).user
    found["other_org"] = other
    return found


@pytest.fixture
def owner_client(client_for, people):
    return client_for(people["owner"])


@pytest.fixture
def org_admin_client(client_for, people):
    return client_for(people["admin"])


@pytest.fixture
def manager_client(client_for, people):
    return client_for(people["manager"])


@pytest.fixture
def reviewer_client(client_for, people):
    return client_for(people["reviewer"])


@pytest.fixture
def annotator_client(client_for, people):
    return client_for(people["annotator"])


@pytest.fixture
def outsider_client(client_for, people):
    return client_for(people["outsider"])


@pytest.fixture
def create_project(db):
    """``create_project(org, actor=None, **settings)``: a project in the organization's first shared workspace."""
    from sqlalchemy import select

    from app.orgs.models import Workspace
    from app.projects.services import create_project as _create

    def make(org, actor=None, title=None, workspace=None, **settings):
        workspace = workspace or db.session.execute(
            select(Workspace).where(Workspace.org_id == org.id, Workspace.is_sandbox.is_(False)).order_by(Workspace.id)
        ).scalars().first()
        project = _create(actor, org, workspace, title or f"Project {next(_counter)}", **settings)
        db.session.commit()
        return project

    return make


@pytest.fixture
def dummy_project(create_project, dummy_org, people):
    """A published project in Acme's Default workspace, made by its Owner."""
    return create_project(dummy_org, people["owner"], title="Sentiment", is_published=True)
