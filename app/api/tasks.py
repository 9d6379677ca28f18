"""Task, prediction, import and export endpoints of the JSON API (api-compat §3, §4, §7, §8)."""
import io

from flask import Response, abort, g, jsonify, request, stream_with_context
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.api import task_serializers as ser
from app.api.errors import ApiError
from app.api.pagination import page_bounds
from app.api.views import bp, json_body
from app.errors import Refused
from app.extensions import db
from app.projects.access import can_see_project
from app.projects.models import Project
from app.security.decorators import require
from app.security.permissions import can
from app.tasks import editing, exporting, importing
from app.tasks.models import Prediction, Task

TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(name, default):
    raw = request.args.get(name)
    return default if raw is None else raw.strip().lower() in TRUE


def _visible(project):
    """404 for a project of another organization or one the caller cannot open."""
    if project is None or g.org is None or project.org_id != g.org.id or not can_see_project(current_user, g.member, project):
        abort(404)
    return project


def _browsable(project):
    """Reading tasks through the API needs what the Data Manager needs ("tasks.view" on the project)."""
    _visible(project)
    _may("tasks.view", project)
    return project


def _id_param(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "Validation error", {field: ["A valid integer is required."]}) from None


def _project_arg(value, field="project"):
    if value is None or value == "":
        raise ApiError(400, "Validation error", {field: ["This field is required."]})
    return db.session.get(Project, _id_param(value, field))


def _may(permission, project):
    if not can(current_user, g.member, permission, project):
        abort(403)


# Import -----------------------------------------------------------------------------------------------------

@bp.route("/api/projects/<int:project_id>/import", methods=["POST"])
@require("tasks.import", load=Project, arg="project_id")
def task_import(project):
    """Tasks from a JSON body (list or object) or uploaded files (any field name); all or nothing."""
    commit = _flag("commit_to_project", True)
    results = []
    files = [f for _, f in request.files.items(multi=True)]
    if files:
        for upload in files:
            try:
                results.append(importing.import_tasks(current_user, project, upload.stream,
                                                      filename=upload.filename, commit_to_project=commit))
            except importing.ImportRefused as exc:
                if len(files) == 1:
                    raise
                # Several files: say which one, so the line number means something.
                raise Refused(f"{upload.filename}: {exc.message}") from None
    elif request.form.get("url"):
        raise Refused("Importing from a URL is not supported; upload the file instead.", "url")
    else:
        results.append(importing.import_tasks(current_user, project, io.BytesIO(request.get_data()),
                                              commit_to_project=commit))
    body = {
        "task_count": sum(r.task_count for r in results),
        "annotation_count": sum(r.annotation_count for r in results),
        "prediction_count": sum(r.prediction_count for r in results),
        "duration": round(sum(r.duration for r in results), 4),
        "file_upload_ids": [], "could_be_tasks_list": False, "found_formats": [], "data_columns": [],
    }
    if _flag("return_task_ids", False):
        body["task_ids"] = [task_id for r in results for task_id in r.task_ids]
    return jsonify(body), 201


@bp.route("/api/projects/<int:project_id>/import/predictions", methods=["POST"])
@require("tasks.import", load=Project, arg="project_id")
def prediction_import(project):
    """``[{task, model_version, score, result}]`` → ``{"created": n}``."""
    items = request.get_json(silent=True)
    if not isinstance(items, (list, dict)):
        raise ApiError(400, "Validation error", {"non_field_errors": ["Send a JSON list of predictions."]})
    return jsonify({"created": editing.import_predictions(current_user, project, items)}), 201


# Export -----------------------------------------------------------------------------------------------------

def _export_ids():
    raw = request.args.getlist("ids[]") + request.args.getlist("ids")
    ids = [part for value in raw for part in value.split(",") if part.strip()]
    return [_id_param(value, "ids") for value in ids] if ids else None


@bp.route("/api/projects/<int:project_id>/export")
@require("tasks.export", load=Project, arg="project_id")
def task_export(project):
    """The tasks as a file, streamed; only annotated ones unless ``download_all_tasks=true`` or ``ids`` are given."""
    fmt = request.args.get("exportType") or request.args.get("export_type") or "JSON"
    ids = _export_ids()
    only_annotated = not _flag("download_all_tasks", False) and ids is None
    chunks, content_type, filename = exporting.export_stream(project, fmt, task_ids=ids, only_annotated=only_annotated,
                                                             actor=current_user)
    response = Response(stream_with_context(chunks), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/api/projects/<int:project_id>/export/formats")
@require("tasks.export", load=Project, arg="project_id")
def task_export_formats(project):
    return jsonify(exporting.export_formats(project))


# Tasks ------------------------------------------------------------------------------------------------------

def _page(total):
    size, page, _ = page_bounds(total)
    return size, (page - 1) * size


@bp.route("/api/tasks/")
@require("projects.view")
def task_list():
    """``?project=`` → ``{total, total_annotations, total_predictions, tasks}``; ``fields=all`` adds results."""
    project = _browsable(_project_arg(request.args.get("project")))
    totals = db.session.execute(select(
        func.count(Task.id), func.coalesce(func.sum(Task.total_annotations), 0),
        func.coalesce(func.sum(Task.total_predictions), 0)).where(Task.project_id == project.id)).one()
    size, offset = _page(totals[0])
    full = request.args.get("fields") == "all"
    query = select(Task).where(Task.project_id == project.id).order_by(Task.id).limit(size).offset(offset)
    if full:
        query = query.options(selectinload(Task.annotations), selectinload(Task.predictions))
    tasks = db.session.execute(query).scalars().all()
    return jsonify({"total": totals[0], "total_annotations": totals[1], "total_predictions": totals[2],
                    "tasks": [ser.task(t, project.overlap, full) for t in tasks]})


@bp.route("/api/tasks/", methods=["POST"])
@require("tasks.import")
def task_create():
    """``{"project": id, "data": {…}, "meta": {…}}`` → 201, the task."""
    body = json_body("project", "data")
    project = _visible(_project_arg(body["project"]))
    _may("tasks.import", project)
    task = editing.create_task(current_user, project, body["data"], body.get("meta"))
    return jsonify(ser.task(task, project.overlap, full=True)), 201


def _task(task):
    _browsable(task.project)
    return task


@bp.route("/api/tasks/<int:task_id>")
@require("projects.view", load=Task, arg="task_id")
def task_detail(task):
    return jsonify(ser.task(_task(task), task.project.overlap, full=True))


@bp.route("/api/tasks/<int:task_id>", methods=["PATCH", "PUT"])
@require("tasks.import", load=Task, arg="task_id")
def task_update(task):
    """``{"data": {…}}`` and/or ``{"meta": {…}}``."""
    _visible(task.project)
    body = json_body()
    for key in ("data", "meta"):
        if key in body and not isinstance(body[key], dict):
            raise Refused(f"{key} must be a JSON object.", key)
    editing.update_task(current_user, task, data=body.get("data"), meta=body.get("meta"))
    return jsonify(ser.task(task, task.project.overlap, full=True))


@bp.route("/api/tasks/<int:task_id>", methods=["DELETE"])
@require("tasks.import", load=Task, arg="task_id")
def task_delete(task):
    _visible(task.project)
    editing.delete_task(current_user, task)
    return "", 204


@bp.route("/api/projects/<int:project_id>/tasks/")
@require("projects.view", load=Project, arg="project_id")
def project_tasks(project):
    """The older listing: a bare list, newest first, with annotations and predictions."""
    _browsable(project)
    total = db.session.execute(select(func.count(Task.id)).where(Task.project_id == project.id)).scalar()
    size, offset = _page(total)
    tasks = db.session.execute(
        select(Task).where(Task.project_id == project.id).order_by(Task.id.desc()).limit(size).offset(offset)
        .options(selectinload(Task.annotations), selectinload(Task.predictions))).scalars().all()
    return jsonify([ser.task(t, project.overlap, full=True) for t in tasks])


# Predictions ------------------------------------------------------------------------------------------------

@bp.route("/api/predictions/")
@require("projects.view")
def prediction_list():
    """``?task=`` or ``?project=`` → a bare list."""
    if request.args.get("task"):
        task = db.session.get(Task, _id_param(request.args["task"], "task"))
        if task is None:
            abort(404)
        _browsable(task.project)
        where = Prediction.task_id == task.id
    else:
        project = _browsable(_project_arg(request.args.get("project")))
        where = Prediction.project_id == project.id
    rows = db.session.execute(select(Prediction).where(where).order_by(Prediction.id)).scalars().all()
    return jsonify([ser.prediction(p) for p in rows])


@bp.route("/api/predictions/", methods=["POST"])
@require("tasks.import")
def prediction_create():
    """``{"task": id, "result": […], "model_version": "…", "score": 0.5}`` → 201."""
    body = json_body("task")
    task = db.session.get(Task, _id_param(body["task"], "task"))
    if task is None:
        abort(404)
    _visible(task.project)
    _may("tasks.import", task.project)
    return jsonify(ser.prediction(editing.create_prediction(current_user, task, body))), 201


@bp.route("/api/predictions/<int:prediction_id>")
@require("projects.view", load=Prediction, arg="prediction_id")
def prediction_detail(prediction):
    _browsable(prediction.project)
    return jsonify(ser.prediction(prediction))


@bp.route("/api/predictions/<int:prediction_id>", methods=["PATCH", "PUT"])
@require("tasks.import", load=Prediction, arg="prediction_id")
def prediction_update(prediction):
    _visible(prediction.project)
    return jsonify(ser.prediction(editing.update_prediction(current_user, prediction, json_body())))


@bp.route("/api/predictions/<int:prediction_id>", methods=["DELETE"])
@require("tasks.import", load=Prediction, arg="prediction_id")
def prediction_delete(prediction):
    _visible(prediction.project)
    editing.delete_prediction(current_user, prediction)
    return "", 204
