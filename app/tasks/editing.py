"""Changing one task or prediction at a time (the API), bulk predictions, and recounting task counters."""
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.projects.access import project_org
from app.tasks.importing import BATCH, Checker, ImportRefused, _next_inner_id
from app.tasks.models import Annotation, Prediction, Task, required_annotations


def refresh_counters(task_ids):
    """Recount the annotation and prediction counters of ``task_ids`` (after single changes)."""
    from app.projects.models import Project

    def count(model, *where):
        return select(func.count(model.id)).where(model.task_id == Task.id, *where).scalar_subquery()

    done = count(Annotation, Annotation.was_cancelled.is_(False))
    settings = select(Project.overlap, Project.overlap_percentage).where(Project.id == Task.project_id)
    needed = required_annotations(Task.inner_id, settings.with_only_columns(Project.overlap).scalar_subquery(),
                                  settings.with_only_columns(Project.overlap_percentage).scalar_subquery())
    for start in range(0, len(task_ids), BATCH):
        db.session.execute(update(Task).where(Task.id.in_(task_ids[start:start + BATCH])).values(
            total_annotations=done, cancelled_annotations=count(Annotation, Annotation.was_cancelled.is_(True)),
            total_predictions=count(Prediction), is_labeled=done >= needed,
        ).execution_options(synchronize_session=False))
    wanted = set(task_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Task) and obj.id in wanted:
            db.session.expire(obj, ["total_annotations", "cancelled_annotations", "total_predictions", "is_labeled"])



def _single(message):
    # Single objects have no lines: drop the "Line 1: " the checks put in front.
    return Refused(message.split(": ", 1)[1] if message.startswith("Line ") else message)


def create_task(actor, project, data, meta=None):
    """One task (``POST /api/tasks/``); annotations and predictions are added by their own calls."""
    try:
        Checker(project).item({"data": data, "meta": meta or {}}, 1, None)
    except ImportRefused as exc:
        raise _single(exc.message) from None
    task = Task(project_id=project.id, inner_id=_next_inner_id(project), data=data, meta=meta or {},
                updated_by_id=getattr(actor, "id", None))
    db.session.add(task)
    db.session.flush()
    record(actor, project_org(project), "tasks.imported", target=project,
           data={"file": None, "format": "api", "tasks": 1, "annotations": 0, "predictions": 0})
    return task


def update_task(actor, task, data=None, meta=None):
    """Replace a task's data and/or meta; the data must still hold every key the configuration reads."""
    checker = Checker(task.project)
    try:
        checker.item({"data": task.data if data is None else data, "meta": task.meta if meta is None else meta}, 1, None)
    except ImportRefused as exc:
        raise _single(exc.message) from None
    if data is not None:
        task.data = data
    if meta is not None:
        task.meta = meta
    task.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return task


def delete_task(actor, task):
    project = task.project
    record(actor, project_org(project), "tasks.deleted", target=project,
           data={"count": 1, "ids": [task.id], "all": False})
    db.session.delete(task)
    db.session.flush()


def _checked_prediction(project, body):
    try:
        return Checker(project).prediction(body, 1, (1, None))
    except ImportRefused as exc:
        raise _single(exc.message) from None


def create_prediction(actor, task, body):
    """A prediction on ``task`` from ``{result, model_version, score}``."""
    fields = _checked_prediction(task.project, body)
    prediction = Prediction(task_id=task.id, project_id=task.project_id, **fields)
    db.session.add(prediction)
    db.session.flush()
    refresh_counters([task.id])
    if fields["model_version"] and not task.project.model_version:
        task.project.model_version = fields["model_version"]
    return prediction


def update_prediction(actor, prediction, body):
    merged = {"result": prediction.result, "model_version": prediction.model_version, "score": prediction.score}
    merged.update({k: v for k, v in body.items() if k in merged})
    fields = _checked_prediction(prediction.task.project, merged)
    for key, value in fields.items():
        setattr(prediction, key, value)
    db.session.flush()
    return prediction


def delete_prediction(actor, prediction):
    task_id = prediction.task_id
    db.session.delete(prediction)
    db.session.flush()
    refresh_counters([task_id])


def import_predictions(actor, project, items):
    """Bulk predictions ``[{task, result, model_version, score}]`` for tasks of ``project``; all or nothing."""
    if not isinstance(items, list):
        items = [items]
    if not items:
        raise Refused("The request holds no predictions.")
    checker = Checker(project)
    rows, task_ids = [], set()
    for number, raw in enumerate(items, 1):
        try:
            fields = checker.prediction(raw, number, (number, None))
        except ImportRefused as exc:
            raise Refused(f"Item {number}: {exc.message.split(': ', 1)[1]}") from None
        task_id = raw.get("task")
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            raise Refused(f"Item {number}: task must be a task id")
        rows.append({**fields, "task_id": task_id, "project_id": project.id})
        task_ids.add(task_id)
    known = set(db.session.execute(
        select(Task.id).where(Task.project_id == project.id, Task.id.in_(task_ids))).scalars())
    unknown = sorted(task_ids - known)
    if unknown:
        raise Refused(f"Tasks {', '.join(map(str, unknown[:10]))} are not tasks of this project.")
    now = datetime.now(UTC)
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Prediction.__table__),
                           [{**r, "created_at": now, "updated_at": now} for r in rows[start:start + BATCH]])
    refresh_counters(sorted(task_ids))
    version = next((r["model_version"] for r in rows if r["model_version"]), None)
    if version and not project.model_version:
        project.model_version = version
    db.session.flush()
    record(actor, project_org(project), "tasks.imported", target=project,
           data={"file": None, "format": "predictions", "tasks": 0, "annotations": 0, "predictions": len(rows)})
    return len(rows)
