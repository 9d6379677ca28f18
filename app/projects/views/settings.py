"""Project settings: one page and one htmx form per section, each saved on its own."""
from flask import abort, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.errors import Refused
from app.extensions import db
from app.labeling_config import TEMPLATES, render_preview
from app.projects import services
from app.projects.forms import (
    AnnotationForm,
    DeleteForm,
    GeneralForm,
    LabelConfigForm,
    MemberAddForm,
    MemberRoleForm,
    QualityForm,
)
from app.projects.models import Project, ProjectMember
from app.projects.views import bp
from app.projects.views.pages import chosen_workspace, project_url, workspace_choices
from app.security.decorators import require
from app.web.forms import invalid_status, submit
from app.web.htmx import hx_redirect, render, trigger, wants_partial

SECTIONS = (
    ("general", "General"),
    ("labeling", "Labeling interface"),
    ("annotation", "Annotation"),
    ("quality", "Review and quality"),
    ("members", "Members"),
    ("danger", "Danger zone"),
)


def _section(project, name, form, status=200, **extra):
    """The settings page on ``name``, or just its form for htmx, with the saved marker on success."""
    response = render("projects/settings.html", f"projects/_settings_{name}.html", status=status,
                      project=project, form=form, sections=SECTIONS, section=name, **extra)
    if status == 200 and request.method == "POST":
        trigger(response, {"settings:saved": {"section": name}})
    return response


def _saved(project, name, form, **extra):
    if wants_partial():
        extra.setdefault("saved", True)
        return _section(project, name, form, **extra)
    flash("Saved.", "success")
    return hx_redirect(project_url(project, f"projects.settings_{name}"))


# General --------------------------------------------------------------------------------------------------

def _general_form(project, fresh=False):
    if fresh:
        form = GeneralForm(formdata=None, obj=project)
        form.workspace.data = project.workspace_id
    else:
        form = GeneralForm()
    form.workspace.choices = workspace_choices()
    if not any(choice.value == str(project.workspace_id) for choice in form.workspace.choices):
        form.workspace.choices.append(SelectChoice(str(project.workspace_id), project.workspace.name))
    return form


@bp.route("/projects/<project_id>/settings")
@require("projects.manage", load=Project, arg="project_id")
def settings(project):
    return _section(project, "general", _general_form(project, fresh=True))


@bp.route("/projects/<project_id>/settings/general", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_general_save(project):
    form = _general_form(project)

    def save():
        if form.workspace.data != project.workspace_id:
            services.move_project(current_user, project, chosen_workspace(form.workspace.data))
        return services.update_project(current_user, project, title=form.title.data,
                                       description=form.description.data or "", color=form.color.data,
                                       is_published=form.is_published.data)

    ok, _ = submit(form, save)
    if ok:
        # The title shows in the heading and the tab, so the page is reloaded for htmx too.
        flash("Saved.", "success")
        return hx_redirect(project_url(project, "projects.settings"))
    return _section(project, "general", form, status=invalid_status(form))


# Labeling interface ---------------------------------------------------------------------------------------

def _sample_task(project):
    """The project's first task's data, or the matching template's sample, for the preview."""
    from app.tasks.models import Task

    data = db.session.execute(
        select(Task.data).where(Task.project_id == project.id).order_by(Task.id).limit(1)
    ).scalar_one_or_none()
    return data


def _preview(project, xml):
    """(preview markup, errors): the interface rendered on a sample task, or why it cannot be."""
    from app.labeling_config import ConfigInvalid, parse_config

    try:
        config = parse_config(xml)
    except ConfigInvalid as exc:
        return None, [str(error) for error in exc.errors]
    sample = _sample_task(project)
    if sample is None:
        template = next((t for t in TEMPLATES if t.config_xml.strip() == xml.strip()), None)
        sample = template.sample_task if template else {var: f"Sample {var}" for var in sorted(config.variables)}
    return render_preview(config, sample), []


@bp.route("/projects/<project_id>/settings/labeling")
@require("projects.manage", load=Project, arg="project_id")
def settings_labeling(project):
    form = LabelConfigForm(formdata=None, obj=project)
    template = next((t for t in TEMPLATES if t.key == request.args.get("template")), None)
    if template is not None:
        form.label_config.data = template.config_xml
    preview, problems = _preview(project, form.label_config.data)
    return _section(project, "labeling", form, templates=TEMPLATES, preview=preview, problems=problems)


@bp.route("/projects/<project_id>/settings/labeling/preview", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_labeling_preview(project):
    """The live preview of the configuration being typed (nothing is saved)."""
    preview, problems = _preview(project, request.form.get("label_config", ""))
    return render("projects/_preview.html", "projects/_preview.html", preview=preview, problems=problems)


@bp.route("/projects/<project_id>/settings/labeling", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_labeling_save(project):
    form = LabelConfigForm()
    ok, _ = submit(form, lambda: services.set_label_config(current_user, project, form.label_config.data))
    preview, problems = _preview(project, form.label_config.data or "")
    if ok:
        return _saved(project, "labeling", form, templates=TEMPLATES, preview=preview, problems=problems)
    return _section(project, "labeling", form, status=invalid_status(form), templates=TEMPLATES, preview=preview,
                    problems=problems)


# Annotation -----------------------------------------------------------------------------------------------

ANNOTATION_FIELDS = ("instructions", "show_instructions", "assignment", "ordering", "reservation_minutes", "skip_queue",
                     "allow_skip", "require_skip_comment", "allow_empty_annotations", "reveal_preannotations",
                     "show_dm_to_annotators")


@bp.route("/projects/<project_id>/settings/annotation")
@require("projects.manage", load=Project, arg="project_id")
def settings_annotation(project):
    form = AnnotationForm(formdata=None, obj=project)
    for name in ("assignment", "ordering", "skip_queue"):
        getattr(form, name).data = getattr(project, name).value
    return _section(project, "annotation", form)


@bp.route("/projects/<project_id>/settings/annotation", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_annotation_save(project):
    form = AnnotationForm()
    changes = {name: getattr(form, name).data for name in ANNOTATION_FIELDS}
    changes["instructions"] = changes["instructions"] or ""
    ok, _ = submit(form, lambda: services.update_project(current_user, project, **changes))
    if ok:
        return _saved(project, "annotation", form)
    return _section(project, "annotation", form, status=invalid_status(form))


# Review and quality ---------------------------------------------------------------------------------------

@bp.route("/projects/<project_id>/settings/quality")
@require("projects.manage", load=Project, arg="project_id")
def settings_quality(project):
    form = QualityForm(formdata=None, obj=project)
    form.agreement_metric.data = project.agreement_settings.get("metric", "default")
    form.agreement_threshold.data = project.agreement_settings.get("threshold")
    form.review_requeue.data = project.review_settings.get("requeue", "requeue")
    form.review_instructions.data = project.review_settings.get("instructions", "")
    return _section(project, "quality", form)


METRICS = ("default", "exact", "overlap", "edit_distance")
REQUEUE = ("requeue", "remove", "reviewer_choice")


@bp.route("/projects/<project_id>/settings/quality", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_quality_save(project):
    form = QualityForm()

    def save():
        if form.agreement_metric.data not in METRICS:
            raise Refused("Choose one of the agreement metrics.", "agreement_metric")
        if form.review_requeue.data not in REQUEUE:
            raise Refused("Choose what happens to rejected annotations.", "review_requeue")
        return services.update_project(
            current_user, project, overlap=form.overlap.data, overlap_percentage=form.overlap_percentage.data,
            show_overlap_first=form.show_overlap_first.data, limit_count=form.limit_count.data,
            limit_percent=form.limit_percent.data,
            agreement_settings={"metric": form.agreement_metric.data, "threshold": form.agreement_threshold.data},
            review_settings={"requeue": form.review_requeue.data, "instructions": form.review_instructions.data or ""})

    ok, _ = submit(form, save)
    if ok:
        return _saved(project, "quality", form)
    return _section(project, "quality", form, status=invalid_status(form))


# Members --------------------------------------------------------------------------------------------------

def _member_form(project, fresh=False):
    form = MemberAddForm(formdata=None) if fresh else MemberAddForm()
    form.user.choices = [SelectChoice("", "Choose a person…")] + [
        SelectChoice(str(user.id), f"{user.email} ({user.name})" if user.name else user.email)
        for user in services.member_candidates(project)
    ]
    return form


def _members(project, form=None, status=200, error=None):
    return _section(project, "members", form or _member_form(project, fresh=True), status=status,
                    members=services.project_members(project), member_error=error,
                    role_form=MemberRoleForm(formdata=None))


@bp.route("/projects/<project_id>/settings/members")
@require("projects.manage", load=Project, arg="project_id")
def settings_members(project):
    return _members(project)


@bp.route("/projects/<project_id>/settings/members", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_member_add(project):
    from app.auth.models import User

    form = _member_form(project)

    def add():
        user = db.session.get(User, form.user.data) if form.user.data else None
        if user is None:
            raise Refused("Choose a member of this organization.", "user")
        return services.add_project_member(current_user, project, user, form.role.data or None)

    ok, _ = submit(form, add)
    if ok:
        return _members(project) if wants_partial() else hx_redirect(project_url(project, "projects.settings_members"))
    return _members(project, form, status=invalid_status(form))


def _link(project, link_id):
    link = db.session.execute(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.id == link_id)
    ).scalar_one_or_none()
    if link is None:
        abort(404)
    return link


@bp.route("/projects/<project_id>/settings/members/<int:link_id>/role", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_member_role(project, link_id):
    link = _link(project, link_id)
    form = MemberRoleForm()
    try:
        services.change_project_role(current_user, project, link, form.role.data)
    except Refused as exc:
        return _members(project, status=422, error=exc.message)
    return _members(project) if wants_partial() else hx_redirect(project_url(project, "projects.settings_members"))


@bp.route("/projects/<project_id>/settings/members/<int:link_id>/remove", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def settings_member_remove(project, link_id):
    services.remove_project_member(current_user, project, _link(project, link_id))
    return _members(project) if wants_partial() else hx_redirect(project_url(project, "projects.settings_members"))


# Danger zone ----------------------------------------------------------------------------------------------

@bp.route("/projects/<project_id>/settings/danger")
@require("projects.manage", load=Project, arg="project_id")
def settings_danger(project):
    return _danger(project)


def _danger(project, form=None, drop_form=None, status=200):
    """The danger zone's two forms: deleting all tasks (prefixed ``drop-``) and deleting the project."""
    return _section(project, "danger", form or DeleteForm(formdata=None), status=status,
                    drop_form=drop_form or DeleteForm(formdata=None, prefix="drop"),
                    task_count=services.count_tasks(project))


@bp.route("/projects/<project_id>/delete", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def project_delete(project):
    form = DeleteForm()
    title = project.title
    ok, _ = submit(form, lambda: services.delete_project(current_user, project, form.confirm.data))
    if ok:
        flash(f"The project {title} was deleted.", "success")
        return hx_redirect(url_for("projects.projects", org_slug=g.org.slug))
    return _danger(project, form=form, status=invalid_status(form))


@bp.route("/projects/<project_id>/tasks/drop", methods=["POST"])
@require("projects.manage", load=Project, arg="project_id")
def project_drop_tasks(project):
    form = DeleteForm(prefix="drop")

    def drop():
        if (form.confirm.data or "").strip() != project.title:
            raise Refused("Type the project's title exactly to delete its tasks.", "confirm")
        return services.drop_all_tasks(current_user, project)

    ok, count = submit(form, drop)
    if ok:
        flash(f"{count} task{'s' if count != 1 else ''} deleted.", "success")
        return hx_redirect(project_url(project, "projects.settings_danger"))
    return _danger(project, drop_form=form, status=invalid_status(form))
