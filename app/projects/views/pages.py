"""The projects list, project creation and a project's overview page."""
from flask import g, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from app.extensions import db
from app.labeling_config import TEMPLATES
from app.orgs.models import Workspace
from app.orgs.services import ensure_sandbox, visible_workspaces
from app.projects import services
from app.projects.access import visible_projects_query
from app.projects.forms import ProjectCreateForm
from app.projects.models import Project
from app.projects.views import bp
from app.security.decorators import require
from app.security.permissions import can
from app.web.forms import invalid_status, submit
from app.web.htmx import hx_redirect, render

PAGE_SIZE = 50


def project_url(project, endpoint="projects.project"):
    return url_for(endpoint, org_slug=g.org.slug, project_id=project.id)


def workspaces_for_projects():
    """The workspaces the person may put projects in: those they manage, and their own sandbox."""
    ensure_sandbox(g.org, current_user)
    return [ws for ws in visible_workspaces(g.org, current_user, g.member)
            if can(current_user, g.member, "workspaces.manage", ws)]


def workspace_choices():
    return [SelectChoice("", "Choose a workspace…")] + [
        SelectChoice(str(ws.id), f"{ws.name} (your sandbox)" if ws.is_sandbox else ws.name)
        for ws in workspaces_for_projects()
    ]


def chosen_workspace(workspace_id):
    """The chosen workspace if the person may put projects there, else None (the service then refuses)."""
    allowed = {ws.id: ws for ws in workspaces_for_projects()}
    return allowed.get(workspace_id)


@bp.route("/projects")
@require("projects.view")
def projects():
    """Every project the person may open, newest first, optionally in one workspace."""
    query = visible_projects_query(g.org, current_user, g.member)
    workspace_id = request.args.get("workspace", type=int)
    if workspace_id:
        query = query.where(Project.workspace_id == workspace_id)
    text = (request.args.get("q") or "").strip()
    if text:
        query = query.where(func.lower(Project.title).contains(text.lower(), autoescape=True))
    rows = db.session.execute(query.order_by(Project.id.desc()).limit(PAGE_SIZE + 1)).scalars().all()
    workspaces = {ws.id: ws for ws in visible_workspaces(g.org, current_user, g.member)}
    return render("projects/list.html", "projects/_list.html", projects=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
                  workspaces=workspaces, workspace_id=workspace_id, q=text, counts=_task_counts(rows))


def _task_counts(projects):
    from app.tasks.models import Task

    ids = [p.id for p in projects]
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Task.project_id, func.count(Task.id)).where(Task.project_id.in_(ids)).group_by(Task.project_id)
    ).all())


def _create_form(fresh=False):
    form = ProjectCreateForm(formdata=None) if fresh else ProjectCreateForm()
    form.workspace.choices = workspace_choices()
    form.template.choices = [SelectChoice(t.key, f"{t.group}: {t.title}") for t in TEMPLATES]
    if fresh:
        form.workspace.data = request.args.get("workspace", type=int)
        form.template.data = TEMPLATES[0].key
    return form


@bp.route("/projects/new")
@require("projects.create")
def project_new():
    return render("projects/new.html", form=_create_form(fresh=True), templates=TEMPLATES)


@bp.route("/projects", methods=["POST"])
@require("projects.create")
def project_create():
    """Create a project from a template, in a workspace the person manages; then open its configuration."""
    form = _create_form()
    template = next((t for t in TEMPLATES if t.key == form.template.data), TEMPLATES[0])

    def create():
        return services.create_project(current_user, g.org, chosen_workspace(form.workspace.data), form.title.data,
                                       label_config=template.config_xml, description=form.description.data or "")

    ok, project = submit(form, create)
    if ok:
        return hx_redirect(project_url(project, "projects.settings_labeling"))
    return render("projects/new.html", "projects/_create_form.html", status=invalid_status(form), form=form,
                  templates=TEMPLATES)


@bp.route("/projects/<project_id>")
@require("projects.view", load=Project, arg="project_id")
def project(project):
    """A project's overview: its counters, instructions, and the way to its data and settings."""
    from app.tasks.models import Task

    totals = db.session.execute(
        select(func.count(Task.id), func.coalesce(func.sum(Task.total_annotations), 0),
               func.coalesce(func.sum(Task.cancelled_annotations), 0),
               func.count(Task.id).filter(Task.is_labeled))
        .where(Task.project_id == project.id)
    ).one()
    workspace = db.session.get(Workspace, project.workspace_id)
    return render("projects/overview.html", project=project, workspace=workspace,
                  totals=dict(zip(("tasks", "annotations", "skipped", "finished"), totals, strict=True)))
