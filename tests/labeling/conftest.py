import io
import json

import pytest

from app.labeling import services
from app.tasks.importing import import_tasks

CHOICE = [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]


def default_workspace(db, org):
    from sqlalchemy import select

    from app.orgs.models import Workspace

    return db.session.scalars(select(Workspace).where(Workspace.org_id == org.id, Workspace.is_sandbox.is_(False))
                              .order_by(Workspace.id)).first()


@pytest.fixture
def make_project(db, create_project, dummy_org, people):
    """``make_project(n_tasks, **settings)``: a published project of Acme with ``n_tasks`` text tasks, in the
    Default workspace, of which the Manager, Reviewer and Annotator are members."""
    from app.orgs.services import add_workspace_member

    workspace = default_workspace(db, dummy_org)
    for role in ("manager", "reviewer", "annotator"):
        add_workspace_member(people["owner"], dummy_org, workspace, people[role])
    db.session.commit()

    def make(n_tasks=3, tasks=None, **settings):
        settings.setdefault("is_published", True)
        project = create_project(dummy_org, people["owner"], **settings)
        items = tasks if tasks is not None else [{"text": f"task {i}"} for i in range(1, n_tasks + 1)]
        if items:
            import_tasks(people["owner"], project, io.BytesIO(json.dumps(items).encode()), fmt="json")
        db.session.commit()
        return project

    return make


@pytest.fixture
def annotators(db, dummy_org, add_member, people):
    """``annotators(n)``: n more Annotators of Acme, members of its Default workspace."""
    from app.orgs.services import add_workspace_member
    from app.security.roles import Role

    def make(n):
        users = [add_member(dummy_org, Role.ANNOTATOR).user for _ in range(n)]
        for user in users:
            add_workspace_member(people["owner"], dummy_org, default_workspace(db, dummy_org), user)
        db.session.commit()
        return users

    return make


def answer(db, user, project, task, result=None):
    annotation = services.submit_annotation(user, project, task, CHOICE if result is None else result)
    db.session.commit()
    return annotation
