"""Annotating: submit, update, skip, delete, and drafts. Each call is one step of the request's transaction.

Every saved state of an annotation is kept as an ``AnnotationVersion`` (the annotation's own history), so
submits and updates do not also go to the audit trail; deleting an annotation does.
"""
from functools import lru_cache

from sqlalchemy import delete, select

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.labeling import distribution
from app.labeling.models import AnnotationDraft, AnnotationVersion
from app.labeling.validation import check_result
from app.labeling_config import parse_config
from app.projects.access import project_org
from app.security.roles import Role
from app.tasks.editing import refresh_counters
from app.tasks.models import Annotation, Prediction, Task, required_annotations

#: roles that skip a task even when the task itself does not allow it
SKIP_ANY = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})


@lru_cache(maxsize=128)
def config_of(xml):
    """The parsed configuration; cached by its text (a pure function of it, so safe in every process)."""
    return parse_config(xml)


def _locked(task):
    """The task row, fresh and locked until the end of the transaction (PostgreSQL), so counters and checks agree."""
    return db.session.scalar(select(Task).where(Task.id == task.id).with_for_update()
                             .execution_options(populate_existing=True))


def _lead_time(value):
    if value in (None, ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise Refused("lead_time must be a number of seconds.", field="lead_time") from None
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise Refused("lead_time must be a number of seconds.", field="lead_time")
    return round(seconds, 3)


def mine(task, user, include_skips=True):
    """``user``'s annotation of ``task`` (their submitted one before a skip), or None."""
    query = select(Annotation).where(Annotation.task_id == task.id, Annotation.completed_by_id == user.id)
    if not include_skips:
        query = query.where(Annotation.was_cancelled.is_(False))
    return db.session.scalars(query.order_by(Annotation.was_cancelled, Annotation.id)).first()


def _answer_slot(project, task, actor):
    """``actor``'s annotation of ``task`` to (re)write: their earlier skip, or a new one. Refuses a second answer."""
    annotation = mine(task, actor)
    if annotation is not None and not annotation.was_cancelled:
        raise Refused("You have already annotated this task: update your annotation instead.")
    if annotation is None:
        annotation = Annotation(task_id=task.id, project_id=project.id, completed_by_id=actor.id)
        db.session.add(annotation)
    return annotation


def _version(annotation, action, actor):
    db.session.add(AnnotationVersion(annotation_id=annotation.id, project_id=annotation.project_id, action=action,
                                     result=annotation.result, lead_time=annotation.lead_time,
                                     created_by_id=actor.id if actor else None))


def _count(project, task, was_cancelled, now_cancelled):
    """Move the task's counters from the annotation's old state (None: it is new) to its new one. The row is
    locked (or the database is, on SQLite), so counting in place is exact."""
    if was_cancelled is not None:
        if was_cancelled:
            task.cancelled_annotations -= 1
        else:
            task.total_annotations -= 1
    if now_cancelled:
        task.cancelled_annotations += 1
    else:
        task.total_annotations += 1
    task.is_labeled = task.total_annotations >= required_annotations(task.inner_id, project.overlap,
                                                                     project.overlap_percentage)


def _finish(task, actor, annotation):
    """What every answer ends: the person's draft (its start becomes the annotation's draft_created_at) and
    their reservation."""
    started = db.session.scalar(delete(AnnotationDraft).where(AnnotationDraft.task_id == task.id,
                                                              AnnotationDraft.user_id == actor.id)
                                .returning(AnnotationDraft.created_at))
    if started is not None:
        annotation.draft_created_at = started
    distribution.release(task, actor)
    db.session.flush()


def checked(project, task, result, strict=True):
    """``result`` validated against the project's configuration and the task's data (raises ResultInvalid)."""
    return check_result(config_of(project.label_config), task.data, result,
                        allow_empty=project.allow_empty_annotations, enforce_required=strict)


def submit_annotation(actor, project, task, result, lead_time=None, parent_prediction_id=None, ground_truth=False):
    """Save ``actor``'s answer to ``task``. A previous skip of theirs becomes this answer."""
    result = checked(project, task, result)
    lead_time = _lead_time(lead_time)
    task = _locked(task)
    if parent_prediction_id is not None and db.session.scalar(select(Prediction.id).where(
            Prediction.id == parent_prediction_id, Prediction.task_id == task.id)) is None:
        raise Refused("parent_prediction is not a prediction of this task.", field="parent_prediction")
    annotation = _answer_slot(project, task, actor)
    was_cancelled = annotation.was_cancelled if annotation.id is not None else None
    annotation.result = result
    annotation.was_cancelled = False
    annotation.comment = None
    annotation.lead_time = lead_time
    annotation.ground_truth = bool(ground_truth)
    annotation.parent_prediction_id = parent_prediction_id
    annotation.updated_by_id = actor.id
    annotation.last_action = "submitted"
    _count(project, task, was_cancelled, False)
    db.session.flush()
    _version(annotation, "submitted", actor)
    _finish(task, actor, annotation)
    return annotation


def update_annotation(actor, project, annotation, result, lead_time=None):
    """Replace ``annotation``'s result; its lead time grows by the time spent on this edit."""
    result = checked(project, annotation.task, result)
    extra = _lead_time(lead_time)
    task = _locked(annotation.task)
    if annotation.was_cancelled:
        _count(project, task, True, False)
    annotation.result = result
    if extra is not None:
        annotation.lead_time = round((annotation.lead_time or 0) + extra, 3)
    annotation.was_cancelled = False
    annotation.comment = None
    annotation.updated_by_id = actor.id
    annotation.last_action = "updated"
    db.session.flush()
    _version(annotation, "updated", actor)
    _finish(task, actor, annotation)
    return annotation


def may_skip(project, task, role):
    return role in SKIP_ANY or (project.allow_skip and task.allow_skip)


def skip_task(actor, project, task, role, comment=None, lead_time=None):
    """Record that ``actor`` skipped ``task`` (an empty, cancelled annotation), with the comment if required."""
    comment = (comment or "").strip()
    if not may_skip(project, task, role):
        raise Refused("This task cannot be skipped.")
    if project.require_skip_comment and not comment:
        raise Refused("Say why you skip this task: this project asks for a comment.", field="comment")
    task = _locked(task)
    annotation = _answer_slot(project, task, actor)
    if annotation.id is None:
        _count(project, task, None, True)
    annotation.result = []
    annotation.was_cancelled = True
    annotation.comment = comment or None
    annotation.lead_time = _lead_time(lead_time)
    annotation.updated_by_id = actor.id
    annotation.last_action = "skipped"
    db.session.flush()
    _version(annotation, "skipped", actor)
    _finish(task, actor, annotation)
    return annotation


def delete_annotation(actor, annotation):
    task = db.session.get(Task, annotation.task_id)
    project = task.project
    record(actor, project_org(project), "annotations.deleted", target=project,
           data={"annotation": annotation.id, "task": task.id, "completed_by": annotation.completed_by_id})
    db.session.delete(annotation)
    db.session.flush()
    refresh_counters([task.id])


def draft_of(task, user):
    return db.session.scalar(select(AnnotationDraft).where(AnnotationDraft.task_id == task.id,
                                                           AnnotationDraft.user_id == user.id))


def save_draft(actor, project, task, result, lead_time=None, annotation_id=None):
    """Keep ``actor``'s unfinished work on ``task`` (one draft per person and task; nobody else reads it)."""
    if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
        raise Refused("A draft's result must be a list of result objects.", field="result")
    if annotation_id is not None:
        owner = db.session.scalar(select(Annotation.task_id).where(Annotation.id == annotation_id))
        if owner != task.id:
            raise Refused("annotation_id is not an annotation of this task.", field="annotation_id")
    draft = draft_of(task, actor)
    if draft is None:
        draft = AnnotationDraft(task_id=task.id, project_id=project.id, user_id=actor.id)
        db.session.add(draft)
    draft.result = result
    draft.lead_time = _lead_time(lead_time)
    draft.annotation_id = annotation_id
    db.session.flush()
    return draft


def delete_draft(draft):
    db.session.delete(draft)
    db.session.flush()


def versions(annotation):
    return db.session.scalars(select(AnnotationVersion).where(AnnotationVersion.annotation_id == annotation.id)
                              .order_by(AnnotationVersion.id.desc())).all()
