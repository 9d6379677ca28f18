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


def _sample_tasks(project, limit=20):
    """The testing panel's choice of tasks: the project's first ones, with a short preview of their data."""
    import json

    from sqlalchemy import select

    from app.extensions import db
    from app.tasks.models import Task

    tasks = db.session.scalars(select(Task).where(Task.project_id == project.id).order_by(Task.inner_id, Task.id)
                               .limit(limit)).all()
    out = []
    for task in tasks:
        preview = json.dumps(task.data, ensure_ascii=False, default=str)
        out.append({"id": task.id, "inner_id": task.inner_id,
                    "preview": preview if len(preview) <= 60 else preview[:59] + "\u2026"})
    return out


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
            sample_tasks=_sample_tasks(project),
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


# Testing ------------------------------------------------------------------------------------------------------

TESTING_FRAME = "plugins/testing_frame.html"
TESTING_MAX_CHARS = 1_000_000


def _testing_task(project):
    """The task to test with: pasted JSON (``data``: ``{"data": {...}}`` or the data object) when given, else the
    project's task ``task`` (its first task when none is named). Returns ``(id, inner_id, data)``; raises Refused."""
    import json

    from sqlalchemy import select

    from app.extensions import db
    from app.tasks.models import Task

    pasted = request.values.get("data", "").strip()
    if pasted:
        if len(pasted) > TESTING_MAX_CHARS:
            raise Refused("The pasted task is too long (at most 1 MB).", "data")
        try:
            value = json.loads(pasted)
        except ValueError as exc:
            raise Refused(f"The pasted task is not valid JSON: {exc}.", "data") from None
        if isinstance(value, dict) and isinstance(value.get("data"), dict):
            value = value["data"]
        if not isinstance(value, dict):
            raise Refused('Paste a JSON object: {"data": {...}} or the data object itself.', "data")
        return None, "pasted", value
    query = select(Task).where(Task.project_id == project.id)
    task_id = request.values.get("task", "")
    if task_id:
        if not task_id.isdigit():
            abort(404)
        query = query.where(Task.id == int(task_id))
    task = db.session.scalars(query.order_by(Task.inner_id, Task.id).limit(1)).first()
    if task is None:
        if task_id:
            abort(404)
        raise Refused("This project has no task yet: paste one to test with.", "task")
    return task.id, task.inner_id, task.data


@bp.route("/testing/frame", methods=["GET", "POST"])
@require("projects.manage", load=Project, arg="project_id")
def testing_frame(project):
    """The testing panel's frame: the labeling page for a sample task in testing mode (``state.testing``: the
    editor saves nothing and sends no draft), running the project's enabled plugins with the real runtime. The
    panel embeds it (same origin): this response alone allows being framed by Tessera's own pages."""
    from flask import make_response, render_template

    from app.labeling import page as labeling_page
    from app.labeling import services as labeling_services
    from app.labeling_config import render_preview
    from app.web.csp import csp_nonce, policy

    if g.org.plugins_enabled_at is None:
        abort(404)
    status, context = 200, {"project": project, "task": None, "error": None}
    try:
        if not _config_valid(project):
            raise Refused("The labeling configuration is not valid: fix it before testing plugins.", "config")
        task_id, inner_id, data = _testing_task(project)
    except Refused as exc:
        status, context["error"] = 422, exc.message
    else:
        state = labeling_page.state(project, None, False)
        state["project"].update(show_instructions=False)
        state.update(task={"id": task_id, "inner_id": inner_id, "data": data}, annotations=[], selected=None,
                     draft=None, predictions=[], readonly=False, urls={}, testing=True)
        context.update(
            task={"id": task_id, "inner_id": inner_id}, state=state, org_slug=g.org.slug, message=None,
            interface=render_preview(labeling_services.config_of(project.label_config), data), instructions_html="",
        )
    response = make_response(render_template(TESTING_FRAME, **context), status)
    frame_policy = policy(csp_nonce(), g.get("_csp_connect", ()))
    response.headers["Content-Security-Policy"] = frame_policy.replace("frame-ancestors 'none'",
                                                                       "frame-ancestors 'self'")
    response.headers["Cache-Control"] = "no-store"
    return response


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
