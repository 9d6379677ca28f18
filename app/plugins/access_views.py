"""Asking for plugins, deciding (site administration), switching them off and on, and who may edit them."""
from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice

from app.errors import Refused
from app.extensions import db
from app.plugins import access
from app.plugins.models import PluginAccessRequest
from app.projects.models import Project
from app.security.decorators import require
from app.web.forms import submit
from app.web.htmx import hx_redirect, render, wants_partial

bp = Blueprint("plugin_access", __name__, url_prefix='/o/<org_slug>')

PANEL = "plugins/_access.html"
PANEL_PAGE = "plugins/access/request.html"
ORG_PAGE = "plugins/access/org_plugins.html"
ORG_SECTION = "plugins/access/_org_section.html"


class PermissionsForm(FlaskForm):
    plugin_editors = RadioField("Edit plugins", choices=[SelectChoice(value, label)
                                                         for value, label in access.PLUGIN_EDITORS.items()])


# The project's plugin panel (off state) ------------------------------------------------------------------

def _panel(project, status=200, **extra):
    """The panel's access partial for htmx, else a page around it."""
    return render(PANEL_PAGE, PANEL, status=status, project=project, org=g.org,
                  access_request=access.latest_request(g.org), **extra)


def _after_panel_change(project, message):
    if wants_partial():
        return _panel(project, access_notice=message)
    flash(message, "success")
    return hx_redirect(url_for("projects.settings_labeling", org_slug=g.org.slug, project_id=project.id))


@bp.route("/projects/<project_id>/plugins/access-request", methods=["POST"])
@require("plugins.request_access", load=Project, arg="project_id")
def request_access(project):
    """Ask the site administrators to switch plugins on, with a reason."""
    reason = request.form.get("reason", "")
    try:
        access.request_access(current_user, g.org, reason, project=project)
    except Refused as exc:
        return _panel(project, status=422, access_error=exc.message, reason=reason)
    return _after_panel_change(project, "Your request was sent to the site administrators.")


def _pending_from_form():
    """The pending request the form names; None when the form names none or it is no longer pending."""
    raw = request.form.get("request_id", "")
    if not raw.isdigit():
        return None
    found = db.session.execute(
        PluginAccessRequest.for_org(g.org).where(PluginAccessRequest.id == int(raw))
    ).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


@bp.route("/plugins/access-request/withdraw", methods=["POST"])
@require("plugins.request_access")
def withdraw():
    """Withdraw the pending request (its id in the form); the requester, or an Owner or Admin."""
    pending = _pending_from_form()
    project = None
    if request.form.get("project_id", "").isdigit():
        project = db.session.execute(
            Project.for_org(g.org).where(Project.id == int(request.form["project_id"]))
        ).scalar_one_or_none()
    if pending is not None and not access.may_withdraw(current_user, pending):
        abort(403)
    try:
        if pending is None:
            raise Refused("Choose the request to withdraw.")
        access.withdraw(current_user, pending)
    except Refused as exc:
        if project is not None:
            return _panel(project, status=422, access_error=exc.message)
        return _org_plugins(status=422, error=exc.message)
    message = "The request was withdrawn."
    if project is not None:
        return _after_panel_change(project, message)
    return _after_org_change(message)


# Organization settings: plugins ----------------------------------------------------------------------------

def _org_plugins(status=200, error=None, notice=None):
    org = g.org
    approved_before = access.was_approved(org)
    blocking = access.multi_org_members(org) if approved_before and not access.plugins_on(org) else []
    return render(ORG_PAGE, ORG_SECTION, status=status, org=org, access_request=access.latest_request(org),
                  approved_before=approved_before, blocking=blocking, error=error, notice=notice)


def _after_org_change(message):
    if wants_partial():
        return _org_plugins(notice=message)
    flash(message, "success")
    return hx_redirect(url_for("plugin_access.org_plugins", org_slug=g.org.slug))


@bp.route("/settings/plugins")
@require("org.settings")
def org_plugins():
    """The organization's plugins: the request's state, and the switch for Owners and Admins."""
    return _org_plugins()


@bp.route("/settings/plugins/off", methods=["POST"])
@require("org.settings")
def switch_off():
    try:
        access.switch_off(current_user, g.org)
    except Refused as exc:
        return _org_plugins(status=422, error=exc.message)
    return _after_org_change("Plugins are off for the whole organization; they no longer load anywhere.")


@bp.route("/settings/plugins/on", methods=["POST"])
@require("org.settings")
def switch_on():
    try:
        access.switch_on(current_user, g.org)
    except Refused as exc:
        return _org_plugins(status=422, error=exc.message)
    return _after_org_change("Plugins are on again.")


# The Owner's Permissions page ------------------------------------------------------------------------------

@bp.route("/settings/permissions", methods=["GET", "POST"])
@require("org.permissions")
def permissions():
    """Owner only: who may edit plugins (Manager and above, or Owner and Admin only)."""
    form = PermissionsForm(data={"plugin_editors": g.org.plugin_editors})
    if request.method == "POST":
        form = PermissionsForm()
        ok, _ = submit(form, lambda: access.set_plugin_editors(current_user, g.org, form.plugin_editors.data))
        if ok:
            flash("Permissions saved.", "success")
            return hx_redirect(url_for("plugin_access.permissions", org_slug=g.org.slug))
        if not form.errors and not form.form_errors:
            form.form_errors.append("Choose who may edit plugins.")
        return render("plugins/access/permissions.html", status=422, form=form)
    return render("plugins/access/permissions.html", form=form)
