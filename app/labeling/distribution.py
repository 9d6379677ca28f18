"""Who labels what: the next task of a person's stream, reserved for them while they work on it.

A task is offered to an annotator when they have not answered it (a skip is an answer), it is assigned to them
under manual distribution, and under automatic distribution its submitted annotations plus the live
reservations of other people stay below the number it needs (the overlap). Reservations expire after the
project's minutes and end when the person submits or skips.

Concurrency: on PostgreSQL the candidate is locked with ``FOR UPDATE SKIP LOCKED`` so that two people asking at
once get different tasks, then counted again in a new statement, which sees every reservation committed by
whoever held that lock before. On SQLite the request runs in a write transaction from its first statement
(see ``app.db``), so requests take turns.
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import utcnow
from app.extensions import db
from app.labeling.models import TaskReservation
from app.plugins.models import AnnotatorPause
from app.projects.models import Assignment, Ordering, SkipQueue
from app.tasks.models import Annotation, Prediction, Task, TaskAssignment, required_annotations

# Candidates tried when someone else reserved the locked one in the meantime.
ATTEMPTS = 5


@dataclass(frozen=True)
class Next:
    """The task to label next, or why there is none."""

    task: Task | None
    message: str | None = None


def annotation_limit(project):
    """Tasks one annotator may answer in ``project`` (count and percentage: the smaller wins); None = no limit."""
    limits = []
    if project.limit_count:
        limits.append(project.limit_count)
    if project.limit_percent:
        total = db.session.scalar(select(func.count(Task.id)).where(Task.project_id == project.id))
        limits.append(max(1, math.floor(total * project.limit_percent / 100)))
    return min(limits) if limits else None


def answered_count(project, user):
    return db.session.scalar(select(func.count(Annotation.id)).where(
        Annotation.project_id == project.id, Annotation.completed_by_id == user.id))


def limit_message(project, user):
    """Why ``user`` may take no more tasks in ``project`` (paused, or at the annotation limit), or None."""
    pause = db.session.scalar(select(AnnotatorPause).where(
        AnnotatorPause.project_id == project.id, AnnotatorPause.user_id == user.id,
        AnnotatorPause.resumed_at.is_(None)).order_by(AnnotatorPause.id.desc()).limit(1))
    if pause is not None:
        why = pause.verbose_reason.strip().rstrip(".") or "a project manager paused you"
        return f"You are paused in this project: {why}. A project manager can resume you."
    limit = annotation_limit(project)
    if limit is not None and answered_count(project, user) >= limit:
        return (f"You have reached this project's limit of {limit} tasks per annotator. "
                "Thank you! A project manager can raise the limit if there is more to do.")
    return None


def next_task(project, user):
    """The task ``user`` should label next in ``project``, reserved for them; or a message saying why none."""
    refusal = limit_message(project, user)
    if refusal:
        return Next(None, refusal)
    now = utcnow()
    task = _current_reservation(project, user, now)
    if task is None:
        task = _claim(project, user, now, _queue(project, user, now))
    if task is None and project.skip_queue == SkipQueue.REQUEUE_TO_ME:
        task = _claim(project, user, now, _skipped_by_me(project, user, now))
    if task is None:
        if project.assignment == Assignment.MANUAL:
            return Next(None, "There are no more tasks assigned to you in this project.")
        return Next(None, "There are no more tasks for you to label in this project. Well done!")
    reserve(project, task, user, now)
    return Next(task)


def reserve(project, task, user, now=None):
    """Hold ``task`` for ``user`` for the project's reservation minutes (renewed when it is already theirs)."""
    now = now or utcnow()
    expires = now + timedelta(minutes=project.reservation_minutes)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(TaskReservation).values(task_id=task.id, project_id=project.id, user_id=user.id,
                                               expires_at=expires)
    db.session.execute(statement.on_conflict_do_update(index_elements=["task_id", "user_id"],
                                                       set_={"expires_at": statement.excluded.expires_at}))


def release(task, user):
    """End ``user``'s reservation of ``task`` (they answered it)."""
    db.session.execute(delete(TaskReservation).where(
        TaskReservation.task_id == task.id, TaskReservation.user_id == user.id))


def has_reservation(task, user):
    return db.session.scalar(select(exists().where(
        TaskReservation.task_id == task.id, TaskReservation.user_id == user.id,
        TaskReservation.expires_at > utcnow())))


def _needed(project):
    return required_annotations(Task.inner_id, project.overlap, project.overlap_percentage)


def _done(project):
    # "Ignore skipped": a skip counts as an answer, so a skipped task is not handed out again.
    if project.skip_queue == SkipQueue.IGNORE:
        return Task.total_annotations + Task.cancelled_annotations
    return Task.total_annotations


def _reserved_by_others(user, now):
    return select(func.count(TaskReservation.id)).where(
        TaskReservation.task_id == Task.id, TaskReservation.user_id != user.id, TaskReservation.expires_at > now,
    ).scalar_subquery()


def _answered_by(user):
    return exists().where(Annotation.task_id == Task.id, Annotation.completed_by_id == user.id)


def _open(project, user, now):
    """Conditions every offered task meets, whatever the queue."""
    conditions = [Task.project_id == project.id]
    if project.assignment == Assignment.MANUAL:
        conditions.append(exists().where(TaskAssignment.task_id == Task.id, TaskAssignment.user_id == user.id,
                                         TaskAssignment.kind == "annotate"))
    else:
        conditions.append(_done(project) + _reserved_by_others(user, now) < _needed(project))
    return conditions


def _queue(project, user, now):
    """Tasks ``user`` has not answered, in the project's order."""
    query = select(Task).where(*_open(project, user, now), ~_answered_by(user))
    order = []
    if project.show_overlap_first:
        order.append((_needed(project) > 1).desc())
    if project.ordering == Ordering.UNCERTAINTY:
        lowest = select(func.min(Prediction.score)).where(Prediction.task_id == Task.id).scalar_subquery()
        order.append(lowest.asc().nulls_last())
    elif project.ordering == Ordering.RANDOM:
        order.append(func.random())
    return query.order_by(*order, Task.id)


def _skipped_by_me(project, user, now):
    """"Requeue to me": once nothing else is left, the tasks ``user`` skipped, oldest skip first."""
    skipped = (select(Annotation.task_id, func.max(Annotation.updated_at).label("at"))
               .where(Annotation.project_id == project.id, Annotation.completed_by_id == user.id,
                      Annotation.was_cancelled.is_(True))
               .group_by(Annotation.task_id).subquery())
    submitted = exists().where(Annotation.task_id == Task.id, Annotation.completed_by_id == user.id,
                               Annotation.was_cancelled.is_(False))
    return (select(Task).join(skipped, skipped.c.task_id == Task.id)
            .where(*_open(project, user, now), ~submitted).order_by(skipped.c.at, Task.id))


def _claim(project, user, now, query):
    """Lock the first candidate nobody else is locking, and keep it if it is still open once locked."""
    refused = []
    for _ in range(ATTEMPTS):
        candidates = query.where(Task.id.not_in(refused)) if refused else query
        task = db.session.scalar(candidates.limit(1).with_for_update(skip_locked=True, of=Task))
        if task is None or not _snapshot_may_be_stale():
            return task
        still_open = db.session.scalar(select(exists().where(Task.id == task.id, *_open(project, user, now))))
        if still_open:
            return task
        refused.append(task.id)
    return None


def _snapshot_may_be_stale():
    """Whether someone may have reserved the locked task since the query's snapshot: on PostgreSQL, yes; SQLite
    serialises writing requests, so what was read is still true."""
    return db.session.get_bind().dialect.name == "postgresql"


def _current_reservation(project, user, now):
    """The task ``user`` holds and has not answered yet: the stream gives it back until they do."""
    held = (select(Task).join(TaskReservation, and_(TaskReservation.task_id == Task.id,
                                                    TaskReservation.user_id == user.id))
            .where(Task.project_id == project.id, TaskReservation.expires_at > now, ~_answered_by(user))
            .order_by(TaskReservation.id.desc()).limit(1))
    return db.session.scalar(held)
