"""Workspaces: the list (with each person's sandbox), one workspace's page, its name, its people, its deletion."""
from flask import abort, flash, g, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.errors import Refused
from app.extensions import db
from app.orgs import services
from app.orgs.forms_workspaces import WorkspaceForm, WorkspaceMemberForm
from app.orgs.models import OrgMember, Workspace
from app.orgs.views import bp
from app.security.decorators import require
from app.security.permissions import can
from app.web.forms import apply_refusal, submit
from app.web.htmx import hx_redirect, render, wants_partial


def _workspace_url(workspace):
    return url_for("orgs.workspace", org_slug=g.org.slug, workspace_id=workspace.id)


def _list_page(form, status=200):
    workspaces = services.visible_workspaces(g.org, current_user, g.member)
    return render("orgs/workspaces.html", "orgs/_workspace_create.html", status=status, workspaces=workspaces,
                  form=form)


@bp.route("/workspaces")
@require("workspaces.view")
def workspaces():
    """The workspaces the person may see; their private sandbox is made the first time they come here."""
    services.ensure_sandbox(g.org, current_user)
    workspaces = services.visible_workspaces(g.org, current_user, g.member)
    return render("orgs/workspaces.html", workspaces=workspaces, form=WorkspaceForm(formdata=None))


@bp.route("/workspaces", methods=["POST"])
@require("workspaces.create")
def workspace_create():
    """Create a shared workspace; a Manager who creates one manages it."""
    form = WorkspaceForm()
    ok, workspace = submit(form, lambda: services.create_workspace(current_user, g.org, form.name.data))
    if ok:
        return hx_redirect(_workspace_url(workspace))
    return _list_page(form, status=422)


def _member_form(workspace, fresh=False):
    form = WorkspaceMemberForm(formdata=None) if fresh else WorkspaceMemberForm()
    form.user.choices = [SelectChoice("", "Choose a person…")] + [
        SelectChoice(str(user.id), f"{user.email} ({user.name})" if user.name else user.email)
        for user in services.workspace_candidates(g.org, workspace)
    ]
    return form


def _page(workspace, status=200, partial=None, rename_form=None, member_form=None, **extra):
    """The workspace page, or one of its partials for htmx, with fresh forms where none is given."""
    context = {
        "workspace": workspace,
        "people": services.workspace_people(g.org, workspace),
        "rename_form": rename_form or WorkspaceForm(formdata=None, name=workspace.name),
        "member_form": member_form or _member_form(workspace, fresh=True),
        "delete_error": None,
        "remove_error": None,
        **extra,
    }
    return render("orgs/workspace.html", partial, status=status, **context)


def _org_user(user_id):
    """The user with ``user_id`` if they belong to this organization (any role), else None."""
    member = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == g.org.id, OrgMember.user_id == user_id)
    ).scalar_one_or_none()
    return member.user if member is not None else None


@bp.route("/workspaces/<workspace_id>")
@require("workspaces.view", load=Workspace, arg="workspace_id")
def workspace(workspace):
    """One workspace: its name and people; its managers also rename it, change its people or delete it."""
    return _page(workspace)


@bp.route("/workspaces/<workspace_id>/rename", methods=["POST"])
@require("workspaces.manage", load=Workspace, arg="workspace_id")
def workspace_rename(workspace):
    form = WorkspaceForm()
    ok, _ = submit(form, lambda: services.rename_workspace(current_user, g.org, workspace, form.name.data))
    if ok:
        # The name is in the heading and the title too, so the whole page is reloaded.
        return hx_redirect(_workspace_url(workspace))
    return _page(workspace, 422, "orgs/_workspace_rename.html", rename_form=form)


@bp.route("/workspaces/<workspace_id>/members", methods=["POST"])
@require("workspaces.manage", load=Workspace, arg="workspace_id")
def workspace_member_add(workspace):
    form = _member_form(workspace)
    if form.validate_on_submit():
        try:
            user = _org_user(form.user.data)
            if user is None:
                raise Refused("Choose a member of this organization.", "user")
            services.add_workspace_member(current_user, g.org, workspace, user)
        except Refused as exc:
            apply_refusal(form, exc)
        else:
            if not wants_partial():
                return hx_redirect(_workspace_url(workspace))
            return _page(workspace, 200, "orgs/_workspace_members.html")
    return _page(workspace, 422, "orgs/_workspace_members.html", member_form=form)


@bp.route("/workspaces/<workspace_id>/members/<int:user_id>/remove", methods=["POST"])
@require("workspaces.manage", load=Workspace, arg="workspace_id")
def workspace_member_remove(workspace, user_id):
    user = _org_user(user_id)
    if user is None:
        abort(404)
    try:
        services.remove_workspace_member(current_user, g.org, workspace, user)
    except Refused as exc:
        return _page(workspace, 422, "orgs/_workspace_members.html", remove_error=exc.message)
    if not can(current_user, g.member, "workspaces.view", workspace):
        # A Manager who removed themselves no longer sees this workspace.
        flash(f"You left the workspace {workspace.name}.", "success")
        return hx_redirect(url_for("orgs.workspaces", org_slug=g.org.slug))
    if not wants_partial():
        return hx_redirect(_workspace_url(workspace))
    return _page(workspace, 200, "orgs/_workspace_members.html")


@bp.route("/workspaces/<workspace_id>/delete", methods=["POST"])
@require("workspaces.manage", load=Workspace, arg="workspace_id")
def workspace_delete(workspace):
    """Delete a workspace; refused while it still holds anything (WORKSPACE_DELETE_GUARDS)."""
    name = workspace.name
    try:
        services.delete_workspace(current_user, g.org, workspace)
    except Refused as exc:
        return _page(workspace, 422, "orgs/_workspace_delete.html", delete_error=exc.message)
    flash(f"The workspace {name} was deleted.", "success")
    return hx_redirect(url_for("orgs.workspaces", org_slug=g.org.slug))
