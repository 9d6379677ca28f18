"""A project's plugin panel: the stack, the editor, revisions, diff and revert, order, mode and allowlist.

Every route answers the panel (a fragment for htmx, a page of its own otherwise); a POST that is refused answers
it with the messages and 422 (403 when the caller lacks a permission the change needs, such as ``plugins.trust``).
"""
from flask import Blueprint, abort, g, request
from flask_login import current_user

from app.errors import Refused
from app.plugins import gallery
from app.plugins import stack as services
from app.plugins.access import latest_request
from app.plugins.models import PluginMode
from app.projects.models import Project
from app.security.decorators import require
from app.web.htmx import render

bp = Blueprint("plugins", __name__, url_prefix='/o/<org_slug>/projects/<project_id>/plugins')

PAGE = "plugins/_stack_page.html"
PANEL = "plugins/_panel.html"


def _gallery_entries():
    """The gallery's entries offered in the panel (private ones are left out of the list)."""
    return [entry for entry in gallery.entries() if not entry.private]


def _config_valid(project):
    from app.labeling_config import ConfigInvalid, parse_config

    try:
        parse_config(project.label_config)
    except ConfigInvalid:
        return False
    return True


def _plugin_or_404(project, plugin_id):
    plugin = services.get_plugin(project, plugin_id)
    if plugin is None:
        abort(404)
    return plugin


def _panel(project, plugin=None, status=200, errors=None, values=None, notice=None, diff=None, template=PANEL):
    """The panel, with ``plugin`` open in the editor; ``values`` re-fill the forms after a refusal."""
    from app.security.permissions import can

    org = g.org
    enabled = org.plugins_enabled_at is not None
    context = {"project": project, "org": org, "plugins_on": enabled, "errors": errors or {}, "values": values or {},
               "notice": notice, "open": plugin, "diff": diff, "trust_warning": services.TRUST_WARNING}
    if not enabled:
        context["access_request"] = latest_request(org)
    else:
        context.update(
            plugins=services.stack(project),
            can_edit=can(current_user, g.member, "plugins.edit", project),
            can_trust=can(current_user, g.member, "plugins.trust", project),
            gallery=_gallery_entries(),
            config_valid=_config_valid(project),
        )
        if plugin is not None:
            context.update(code=services.current_code(plugin), revisions=services.revisions(plugin))
    return render(PAGE, template, status=status, **context)


def _change(project, plugin, change, values=None, notice="Saved."):
    """Make ``change()`` (a service call); answer the panel, with the refusal's messages and 422/403 if refused."""
    if g.org.plugins_enabled_at is None:
        return _panel(project, None, status=422,
                      errors={"panel": ["Plugins are off for this organization: nothing was changed."]})
    try:
        result = change()
    except services.AllowlistInvalid as exc:
        return _panel(project, plugin, status=422, errors={"allowlist": exc.errors}, values=values)
    except Refused as exc:
        status = 403 if isinstance(exc, services.NotAllowed) else 422
        return _panel(project, plugin, status=status, errors={exc.field or "panel": [exc.message]}, values=values)
    if plugin is None and result is not None and hasattr(result, "revisions"):
        plugin = result  # a new plugin opens in the editor
    return _panel(project, plugin, notice=notice)


# Reading ------------------------------------------------------------------------------------------------------

@bp.route("")
@require("projects.manage", load=Project, arg="project_id")
def panel(project):
    return _panel(project)


@bp.route("/<int:plugin_id>")
@require("projects.manage", load=Project, arg="project_id")
def plugin(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    return _panel(project, plugin if g.org.plugins_enabled_at is not None else None)


@bp.route("/<int:plugin_id>/diff")
@require("projects.manage", load=Project, arg="project_id")
def diff(project, plugin_id):
    """Revision ``a`` side by side with revision ``b`` (the current one unless given)."""
    plugin = _plugin_or_404(project, plugin_id)
    if g.org.plugins_enabled_at is None:
        return _panel(project)
    try:
        left, right, rows = services.diff(plugin, request.args.get("a"), request.args.get("b"))
    except Refused as exc:
        return _panel(project, plugin, status=422, errors={"diff": [exc.message]}, template="plugins/_diff.html")
    return _panel(project, plugin, diff={"left": left, "right": right, "rows": rows}, template="plugins/_diff.html")


# Changes ------------------------------------------------------------------------------------------------------

@bp.route("", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def create(project):
    title = request.form.get("title", "")
    return _change(project, None, lambda: services.create_plugin(current_user, project, title),
                   values={"new_title": title}, notice="Plugin added.")


@bp.route("/gallery", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def insert(project):
    path = request.form.get("path", "")
    load_config = request.form.get("load_config") in ("1", "on", "true", "y")
    notice = "Plugin inserted" + (" and its labeling configuration loaded." if load_config else ".")
    return _change(project, None, lambda: services.insert_from_gallery(current_user, project, path, load_config),
                   values={"path": path, "load_config": load_config}, notice=notice)


@bp.route("/<int:plugin_id>/revisions", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def save(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    code, message = request.form.get("code", ""), request.form.get("message", "")
    return _change(project, plugin, lambda: services.save_revision(current_user, plugin, code, message),
                   values={"code": code, "message": message}, notice="Saved as a new revision.")


@bp.route("/<int:plugin_id>/revert", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def revert(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    number = request.form.get("number", "")
    return _change(project, plugin, lambda: services.revert(current_user, plugin, number),
                   notice=f"Reverted to revision {number}.")


@bp.route("/<int:plugin_id>/title", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def rename(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    title = request.form.get("title", "")
    return _change(project, plugin, lambda: services.rename(current_user, plugin, title), values={"title": title},
                   notice="Renamed.")


@bp.route("/<int:plugin_id>/switch", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def switch(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    value = request.form.get("enabled")

    def change():
        if value not in ("on", "off"):
            raise Refused("Switch the plugin on or off.", "enabled")
        return services.switch(current_user, plugin, value == "on")

    return _change(project, plugin, change, notice=f"{plugin.title} is {'on' if value == 'on' else 'off'}.")


@bp.route("/<int:plugin_id>/move", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def move(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    direction = request.form.get("direction", "")
    return _change(project, plugin, lambda: services.move(current_user, plugin, direction), notice="Order saved.")


@bp.route("/<int:plugin_id>/mode", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def mode(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    value = request.form.get("mode", "")
    notice = "The plugin now runs in the labeling page (trusted)." if value == PluginMode.TRUSTED \
        else "The plugin now runs in its sandbox."
    return _change(project, plugin, lambda: services.set_mode(current_user, g.member, plugin, value), notice=notice)


@bp.route("/<int:plugin_id>/allowlist", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def allowlist(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    origins = request.form.get("allowlist", "")
    return _change(project, plugin, lambda: services.set_allowlist(current_user, plugin, origins),
                   values={"allowlist": origins}, notice="Allowlist saved.")


@bp.route("/<int:plugin_id>/delete", methods=["POST"])
@require("plugins.edit", load=Project, arg="project_id")
def delete(project, plugin_id):
    plugin = _plugin_or_404(project, plugin_id)
    title = plugin.title
    return _change(project, None, lambda: services.delete_plugin(current_user, plugin), notice=f"{title} was deleted.")
