"""Tests of task import and export; ``open_to_team`` is shared with the API tests."""
import io

from sqlalchemy import func, select

from app.orgs.models import WorkspaceMember
from app.tasks.models import Task


def open_to_team(db, project, people, who=("manager", "reviewer", "annotator")):
    """Add ``who`` to the project's workspace, so that they see it (Managers and below see only their workspaces)."""
    for name in who:
        db.session.add(WorkspaceMember(workspace_id=project.workspace_id, user_id=people[name].id))
    db.session.commit()
    return project


def count_tasks(db, project):
    return db.session.execute(select(func.count(Task.id)).where(Task.project_id == project.id)).scalar()


def stream(content):
    return io.BytesIO(content.encode() if isinstance(content, str) else content)
