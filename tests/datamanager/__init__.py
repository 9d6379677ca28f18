"""Helpers shared by the Data Manager tests: tasks from JSON lines, annotations added directly."""
import io
import json

from sqlalchemy import select

from app.extensions import db
from app.tasks.editing import refresh_counters
from app.tasks.importing import import_tasks
from app.tasks.models import Annotation, Task


def add_tasks(project, actor, items):
    """Import ``items`` (dicts: a task's data, or a full item with "data") and return the new tasks by id."""
    lines = [json.dumps(item if "data" in item else {"data": item}) for item in items]
    before = db.session.execute(select(Task.id).where(Task.project_id == project.id).order_by(Task.id)).scalars().all()
    import_tasks(actor, project, io.BytesIO("\n".join(lines).encode()), filename="t.jsonl")
    return db.session.execute(select(Task).where(Task.project_id == project.id, Task.id.not_in(before))
                              .order_by(Task.id)).scalars().all()


def annotate(task, user, choice="Positive", cancelled=False):
    """An annotation of ``task`` by ``user`` choosing ``choice`` (a skip with ``cancelled``), counters recounted."""
    result = [] if cancelled else [{"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices",
                                    "value": {"choices": [choice]}}]
    annotation = Annotation(task_id=task.id, project_id=task.project_id, completed_by_id=user.id, result=result,
                            was_cancelled=cancelled)
    db.session.add(annotation)
    db.session.flush()
    refresh_counters([task.id])
    return annotation
