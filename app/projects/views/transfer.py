"""Getting tasks in (file upload) and out (streamed export) from the project's pages."""
from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from app.errors import Refused
from app.extensions import db
from app.projects.models import Project
from app.projects.views import bp
from app.security.decorators import require
from app.tasks.models import TaskImport
from app.web.htmx import render


def _recent_imports(project):
    return db.session.execute(
        select(TaskImport).where(TaskImport.project_id == project.id).order_by(TaskImport.id.desc()).limit(10)
    ).scalars().all()


def _import_page(project, status=200, error=None, result=None):
    return render("projects/import.html", "projects/_import.html", status=status, project=project, error=error,
                  result=result, imports=_recent_imports(project))


@bp.route("/projects/<project_id>/import")
@require("tasks.import", load=Project, arg="project_id")
def import_page(project):
    return _import_page(project)


@bp.route("/projects/<project_id>/import", methods=["POST"])
@require("tasks.import", load=Project, arg="project_id")
def import_upload(project):
    """Import one uploaded file, all or nothing; a refusal names the line and keeps the project as it was."""
    from app.tasks.importing import import_tasks

    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(project, 422, error="Choose a file to upload (JSON, JSON lines, CSV or TSV).")
    try:
        result = import_tasks(current_user, project, upload.stream, filename=upload.filename)
    except Refused as exc:
        return _import_page(project, 422, error=f"{upload.filename}: {exc.message} Nothing was imported.")
    return _import_page(project, result=result)


EXPORT_FORMATS = ("JSON", "JSON_MIN", "JSONL", "CSV", "TSV")


@bp.route("/projects/<project_id>/export")
@require("tasks.export", load=Project, arg="project_id")
def export_page(project):
    return render("projects/export.html", project=project, formats=_formats(project))


@bp.route("/projects/<project_id>/export/download")
@require("tasks.export", load=Project, arg="project_id")
def export_download(project):
    """Stream the export; ``ids`` limits it to a selection (the Data Manager's)."""
    from app.tasks.exporting import export_stream

    fmt = (request.args.get("format") or "JSON").upper()
    if fmt not in EXPORT_FORMATS:
        return render("projects/export.html", status=422, project=project, error=f"Unknown format {fmt}.",
                      formats=_formats(project))
    ids = [int(i) for i in request.args.getlist("ids") if i.isdigit()] or None
    only_annotated = request.args.get("tasks", "annotated") == "annotated" and ids is None
    chunks, content_type, filename = export_stream(project, fmt, task_ids=ids, only_annotated=only_annotated,
                                                   actor=current_user)
    response = Response(stream_with_context(chunks), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _formats(project):
    from app.tasks.exporting import export_formats

    return export_formats(project)

