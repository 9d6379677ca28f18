"""The labeling page: the stream of tasks, one task, and the saves the editor sends (docs/labeling-page.md)."""
import json

from flask import Blueprint, abort, g, jsonify, make_response, render_template, request
from flask_login import current_user

from app import keep_changes_on_error
from app.api.serializers import iso
from app.db import writes
from app.errors import Refused
from app.extensions import db
from app.labeling import distribution, page, services
from app.labeling.validation import ResultInvalid
from app.projects.access import role_in_project
from app.projects.models import Project
from app.security.decorators import require
from app.tasks.models import Annotation, Task
from app.web.htmx import render

bp = Blueprint("labeling", __name__, url_prefix="/o/<org_slug>/projects/<project_id>/label")


def _task_in(project, task_id):
    task = db.session.scalar(db.select(Task).where(Task.id == task_id, Task.project_id == project.id))
    if task is None:
        abort(404)
    if not page.may_open(project, task):
        abort(403)
    return task


def _annotation_in(project, annotation_id):
    annotation = db.session.scalar(db.select(Annotation).where(Annotation.id == annotation_id,
                                                               Annotation.project_id == project.id))
    if annotation is None:
        abort(404)
    return annotation


def _in_stream():
    return request.values.get("stream") == "1"


def _show(project, task, stream, message=None, selected=None, push=None):
    response = render("labeling/page.html", "labeling/_task.html",
                      **page.context(project, task, stream, message, selected))
    if push:
        response.headers["HX-Push-Url"] = push
    return response


def _after_answer(project, task, annotation):
    """In the stream, the next task takes the place of the answered one; otherwise the answer is shown."""
    if _in_stream():
        upcoming = distribution.next_task(project, current_user)
        return _show(project, upcoming.task, True, upcoming.message,
                     push=page.stream_url(project, upcoming.task))
    return _show(project, task, False, selected=annotation)


def _result_field():
    try:
        result = json.loads(request.form.get("result") or "[]")
    except ValueError:
        raise Refused("The annotation could not be read (result is not JSON).", field="result") from None
    return result


def _refused(exc):
    """422 with the reasons, put where the editor shows messages; its work stays in the page."""
    errors = exc.errors if isinstance(exc, ResultInvalid) else [exc.message]
    response = make_response(render_template("labeling/_messages.html", errors=errors), 422)
    response.headers["HX-Retarget"] = "#lsf-messages"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _attempt(project, task, change):
    """Run ``change``; on a refusal undo what it did, keep the submitted work as the person's draft, and say why."""
    savepoint = db.session.begin_nested()
    try:
        value = change()
    except Refused as exc:
        savepoint.rollback()
        try:
            services.save_draft(current_user, project, task, _result_field(), request.form.get("lead_time"),
                                request.form.get("annotation_id", type=int))
            keep_changes_on_error()
        except Refused:
            pass  # the work itself is unreadable: there is nothing to keep
        return None, _refused(exc)
    savepoint.commit()
    return value, None


@bp.route("")
@require("labeling.annotate", load=Project, arg="project_id")
@writes(when=lambda: "task" not in request.args)
def stream(project):
    """The stream ("Label all tasks"), or one task with ``?task=``. The stream's first answer is its next task,
    whose address (``?task=``) the editor then shows, so that a reload or "back" opens the same task."""
    task_id = request.args.get("task", type=int)
    if task_id is not None:
        return _show(project, _task_in(project, task_id), request.args.get("single") != "1")
    upcoming = distribution.next_task(project, current_user)
    return _show(project, upcoming.task, True, upcoming.message)


@bp.route("/tasks/<int:task_id>/annotations", methods=["POST"])
@require("labeling.annotate", load=Project, arg="project_id")
def submit(project, task_id):
    task = _task_in(project, task_id)

    def change():
        return services.submit_annotation(current_user, project, task, _result_field(),
                                          lead_time=request.form.get("lead_time"),
                                          parent_prediction_id=request.form.get("parent_prediction", type=int))

    annotation, refusal = _attempt(project, task, change)
    return refusal or _after_answer(project, task, annotation)


@bp.route("/annotations/<int:annotation_id>", methods=["POST"])
@require("labeling.annotate", load=Project, arg="project_id")
def update(project, annotation_id):
    annotation = _annotation_in(project, annotation_id)
    task = _task_in(project, annotation.task_id)
    if not page.may_edit(project, annotation):
        abort(403)

    def change():
        return services.update_annotation(current_user, project, annotation, _result_field(),
                                          lead_time=request.form.get("lead_time"))

    annotation, refusal = _attempt(project, task, change)
    return refusal or _after_answer(project, task, annotation)


@bp.route("/tasks/<int:task_id>/skip", methods=["POST"])
@require("labeling.annotate", load=Project, arg="project_id")
def skip(project, task_id):
    task = _task_in(project, task_id)
    role = role_in_project(g.member, project)

    def change():
        return services.skip_task(current_user, project, task, role, comment=request.form.get("comment"),
                                  lead_time=request.form.get("lead_time"))

    annotation, refusal = _attempt(project, task, change)
    return refusal or _after_answer(project, task, annotation)


@bp.route("/tasks/<int:task_id>/draft", methods=["POST"])
@require("labeling.annotate", load=Project, arg="project_id")
def save_draft(project, task_id):
    task = _task_in(project, task_id)
    annotation_id = request.form.get("annotation_id", type=int)
    if not page.may_draft_for(project, annotation_id):
        abort(403)
    try:
        draft = services.save_draft(current_user, project, task, _result_field(), request.form.get("lead_time"),
                                    annotation_id)
    except Refused as exc:
        return jsonify(errors=[exc.message]), 422
    return jsonify(id=draft.id, updated_at=iso(draft.updated_at))


@bp.route("/annotations/<int:annotation_id>/history")
@require("labeling.annotate", load=Project, arg="project_id")
def history(project, annotation_id):
    annotation = _annotation_in(project, annotation_id)
    _task_in(project, annotation.task_id)
    if not (annotation.completed_by_id == current_user.id or page.manages(project)):
        abort(403)
    return render_template("labeling/_history.html", annotation=annotation, versions=services.versions(annotation))
