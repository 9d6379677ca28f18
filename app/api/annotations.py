"""Labeling through the JSON API: the next task, annotations and drafts (api-compat §5, §6).

The rules are the labeling page's (``app.labeling.page``): a person opens the tasks that are theirs (or any,
when they manage the project or see its Data Manager), reads and edits their own annotations (Managers and
above: everyone's), and only ever sees their own drafts. Unlike the model product, a result is checked
against the labeling configuration, and a second annotation by the same person on one task is refused.
"""
import uuid

from flask import abort, g, jsonify
from flask_login import current_user
from sqlalchemy import select

from app.api import task_serializers as ser
from app.api.errors import ApiError
from app.api.tasks import _id_param, _may, _visible
from app.api.views import bp, json_body
from app.db import utcnow, writes
from app.errors import Refused
from app.extensions import db
from app.labeling import distribution, page, services
from app.labeling.models import AnnotationDraft, TaskReservation
from app.projects.access import role_in_project
from app.projects.models import Project
from app.security.decorators import require
from app.tasks.models import Annotation, Prediction, Task

#: ``unique_lock_id`` is derived from the reservation, so it stays the same while the task is held
LOCK_NAMESPACE = uuid.UUID("8f1c2b56-3e0a-4d7c-9a51-6b2f0c9e4d11")


def _project_of(task):
    """The task's project when the caller may label in it: 404 when they cannot see it, 403 when they may not
    annotate there or may not open this task."""
    project = _visible(task.project)
    _may("labeling.annotate", project)
    if not page.may_open(project, task):
        abort(403)
    return project


def _optional_id(body, field):
    value = body.get(field)
    return None if value is None else _id_param(value, field)


def _result(body):
    if "result" not in body:
        raise ApiError(400, "Validation error", {"result": ["This field is required."]})
    return body["result"]


# Next task --------------------------------------------------------------------------------------------------

@bp.route("/api/projects/<int:project_id>/next")
@require("labeling.annotate", load=Project, arg="project_id")
@writes()
def next_task(project):
    """The caller's next task, reserved for them: ``queue`` is "Task lock" when it is the one they already hold."""
    _visible(project)
    now = utcnow()
    held = set(db.session.scalars(select(TaskReservation.task_id).where(
        TaskReservation.project_id == project.id, TaskReservation.user_id == current_user.id,
        TaskReservation.expires_at > now)))
    upcoming = distribution.next_task(project, current_user)
    task = upcoming.task
    if task is None:
        raise ApiError(404, upcoming.message)
    reservation_id = db.session.scalar(select(TaskReservation.id).where(
        TaskReservation.task_id == task.id, TaskReservation.user_id == current_user.id))
    annotations = db.session.scalars(select(Annotation).where(
        Annotation.task_id == task.id, Annotation.completed_by_id == current_user.id).order_by(Annotation.id)).all()
    draft = services.draft_of(task, current_user)
    predictions = db.session.scalars(select(Prediction).where(Prediction.task_id == task.id)
                                     .order_by(Prediction.id)).all()
    lock_id = str(uuid.uuid5(LOCK_NAMESPACE, f"{reservation_id}:{task.id}:{current_user.id}"))
    return jsonify(ser.next_task(task, project.overlap, annotations, [draft] if draft else [], predictions,
                                 "Task lock" if task.id in held else "Sequence queue", lock_id))


# Annotations ------------------------------------------------------------------------------------------------

@bp.route("/api/tasks/<int:task_id>/annotations", methods=["POST"])
@require("labeling.annotate", load=Task, arg="task_id")
def annotation_create(task):
    """Submit (``{"result": [...], "lead_time"?, "ground_truth"?, "parent_prediction"?}``) or skip
    (``{"was_cancelled": true, "comment"?}``) the task; 201 with the annotation.

    ``completed_by`` is ignored: an annotation is always the caller's own, even when a Manager sends it.
    ``draft_id`` needs nothing more: answering removes the caller's draft of the task, whichever it names.
    """
    project = _project_of(task)
    body = json_body()
    if body.get("was_cancelled"):
        annotation = services.skip_task(current_user, project, task, role_in_project(g.member, project),
                                        comment=body.get("comment"), lead_time=body.get("lead_time"))
    else:
        annotation = services.submit_annotation(
            current_user, project, task, _result(body), lead_time=body.get("lead_time"),
            parent_prediction_id=_optional_id(body, "parent_prediction"),
            # ground truth is the project's reference answer: only people who manage the project set it
            ground_truth=bool(body.get("ground_truth")) and page.manages(project))
    return jsonify(ser.annotation(annotation)), 201


@bp.route("/api/tasks/<int:task_id>/annotations")
@require("labeling.annotate", load=Task, arg="task_id")
def annotation_list(task):
    """A bare list: every annotation of the task for people who manage the project, otherwise the caller's own."""
    project = _project_of(task)
    query = select(Annotation).where(Annotation.task_id == task.id)
    if not page.manages(project):
        query = query.where(Annotation.completed_by_id == current_user.id)
    return jsonify([ser.annotation(a) for a in db.session.scalars(query.order_by(Annotation.id))])


def _own_or_managed(task, annotation):
    project = _project_of(task)
    if not page.may_edit(project, annotation):
        abort(403)
    return project


@bp.route("/api/annotations/<int:annotation_id>")
@require("labeling.annotate", load=Annotation, arg="annotation_id")
def annotation_detail(annotation):
    _own_or_managed(annotation.task, annotation)
    return jsonify(ser.annotation(annotation))


@bp.route("/api/annotations/<int:annotation_id>", methods=["PATCH", "PUT"])
@require("labeling.annotate", load=Annotation, arg="annotation_id")
def annotation_update(annotation):
    """``{"result": [...], "lead_time"?}``: the new result, checked like a submit; the lead time is added."""
    project = _own_or_managed(annotation.task, annotation)
    body = json_body()
    services.update_annotation(current_user, project, annotation, _result(body), lead_time=body.get("lead_time"))
    return jsonify(ser.annotation(annotation))


@bp.route("/api/annotations/<int:annotation_id>", methods=["DELETE"])
@require("labeling.annotate", load=Annotation, arg="annotation_id")
def annotation_delete(annotation):
    _own_or_managed(annotation.task, annotation)
    services.delete_annotation(current_user, annotation)
    return "", 204


# Drafts -----------------------------------------------------------------------------------------------------

def _own_draft(draft):
    """Drafts belong to their author alone: anyone else's is not found."""
    if draft.user_id != current_user.id:
        abort(404)
    return _project_of(draft.task)


def _save_draft(project, task, body, current=None):
    annotation_id = _optional_id(body, "annotation") if "annotation" in body else getattr(current, "annotation_id", None)
    if not page.may_draft_for(project, annotation_id):
        abort(403)
    result = body["result"] if "result" in body else current.result if current is not None else _result(body)
    lead_time = body["lead_time"] if "lead_time" in body else getattr(current, "lead_time", None)
    try:
        return services.save_draft(current_user, project, task, result, lead_time, annotation_id)
    except Refused as exc:
        # the service names the field after its own argument; the API's field is "annotation"
        field = "annotation" if exc.field == "annotation_id" else exc.field
        raise ApiError(400, "Validation error", {field or "non_field_errors": [exc.message]}) from None


@bp.route("/api/tasks/<int:task_id>/drafts")
@require("labeling.annotate", load=Task, arg="task_id")
def draft_list(task):
    """The caller's draft of the task, as a list (empty, or one draft)."""
    _project_of(task)
    draft = services.draft_of(task, current_user)
    return jsonify([ser.draft(draft)] if draft else [])


@bp.route("/api/tasks/<int:task_id>/drafts", methods=["POST"])
@require("labeling.annotate", load=Task, arg="task_id")
def draft_create(task):
    """``{"result": [...], "lead_time"?, "annotation"?}`` → 201. One draft per person and task: a second POST
    replaces the first one's content."""
    project = _project_of(task)
    return jsonify(ser.draft(_save_draft(project, task, json_body()))), 201


@bp.route("/api/drafts/<int:draft_id>", methods=["PATCH", "PUT"])
@require("labeling.annotate", load=AnnotationDraft, arg="draft_id")
def draft_update(draft):
    """Change what is given of ``result``, ``lead_time`` and ``annotation``; the rest stays."""
    project = _own_draft(draft)
    return jsonify(ser.draft(_save_draft(project, draft.task, json_body(), current=draft)))


@bp.route("/api/drafts/<int:draft_id>", methods=["DELETE"])
@require("labeling.annotate", load=AnnotationDraft, arg="draft_id")
def draft_delete(draft):
    _own_draft(draft)
    services.delete_draft(draft)
    return "", 204
