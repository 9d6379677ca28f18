"""What the labeling page needs to run plugins: their code, and the sandbox frame.

- Trusted plugins load as a same-origin script file (``trusted_code``) that wraps the code, unchanged, as the
  body of its own sloppy-mode ``async function (LSI)`` and hands it to the runtime: the page's policy allows
  its own files, so no eval and no ``unsafe-inline`` are needed in the page. A sandboxed plugin is never
  served as a script to the page.
- Sandboxed plugins: the page fetches the code as JSON (``sandboxed_code``) and posts it into the plugin's
  ``<iframe sandbox="allow-scripts">``, whose document (``sandbox``) is a public, static bootstrap page with a
  policy of its own: Tessera's static files, the plugin's allowlist, and ``unsafe-eval`` (the frame runs
  posted code with ``new Function``; the page itself never may).
"""
import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, make_response, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.plugins.models import Plugin, PluginMode, PluginRevision
from app.projects.models import Project
from app.security.decorators import public, require

bp = Blueprint("plugin_runtime", __name__)

PREFIX = "/o/<org_slug>/projects/<project_id>/plugin-runtime"
#: lines the trusted wrapper puts before the plugin's first line (the runtime subtracts them in error reports)
TRUSTED_HEADER_LINES = 2
_ORIGIN = re.compile(r"^https://(?=.{1,253}(:|$))([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                     r"(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:\d{1,5})?$")
IMMUTABLE = "private, max-age=31536000, immutable"


def valid_origin(value):
    """An https origin (scheme, host, optional port; no path, query, credentials or wildcard)."""
    return isinstance(value, str) and len(value) <= 300 and bool(_ORIGIN.match(value))


def code_url(project, plugin, revision):
    """Where the labeling page finds a plugin's code; the URL names the revision, so it is cached once."""
    endpoint = "plugin_runtime.trusted_code" if plugin.mode == PluginMode.TRUSTED else "plugin_runtime.sandboxed_code"
    return url_for(endpoint, org_slug=g.org.slug, project_id=project.id, plugin=plugin.id, rev=revision)


def _revision(project, mode):
    """The asked revision of an enabled plugin of ``project`` in ``mode``, while the organization has plugins on."""
    if g.org.plugins_enabled_at is None:
        abort(404)
    plugin_id, number = request.args.get("plugin", ""), request.args.get("rev", "")
    if not (plugin_id.isdigit() and number.isdigit()):
        abort(404)
    row = db.session.execute(
        select(Plugin, PluginRevision).join(PluginRevision, PluginRevision.plugin_id == Plugin.id)
        .where(Plugin.id == int(plugin_id), Plugin.project_id == project.id, Plugin.org_id == g.org.id,
               Plugin.mode == mode, PluginRevision.number == int(number))
    ).first()
    if row is None:
        abort(404)
    return row


@bp.route(PREFIX + "/code.js")
@require("labeling.annotate", load=Project, arg="project_id")
def trusted_code(project):
    plugin, revision = _revision(project, PluginMode.TRUSTED)
    code = revision.code.replace("\r\n", "\n")
    header = (f"// Tessera plugin {plugin.id}, revision {revision.number} (trusted). "
              f"Its line 1 is line {TRUSTED_HEADER_LINES + 1} of this file.\n"
              f"Tessera.plugins.define({plugin.id}, {revision.number}, async function (LSI) {{\n")
    assert header.count("\n") == TRUSTED_HEADER_LINES
    response = make_response(header + code + "\n});\n")
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route(PREFIX + "/code.json")
@require("labeling.annotate", load=Project, arg="project_id")
def sandboxed_code(project):
    plugin, revision = _revision(project, PluginMode.SANDBOXED)
    response = make_response(json.dumps({"id": plugin.id, "title": plugin.title, "revision": revision.number,
                                         "code": revision.code}))
    response.mimetype = "application/json"
    response.headers["Cache-Control"] = IMMUTABLE
    return response


_bootstrap_cache = {}


def sandbox_bootstrap():
    """sandbox.js as the frame's inline script, and its hash for the frame's policy: inline, a frame starts
    without a second request (frames have an opaque origin, so they share no cache with the page)."""
    path = Path(current_app.static_folder) / "js" / "plugins" / "sandbox.js"
    mtime = path.stat().st_mtime
    if _bootstrap_cache.get("mtime") != mtime:
        text = path.read_text(encoding="utf-8").replace("</", "<\\/")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        _bootstrap_cache.update(mtime=mtime, text=text, hash=f"'sha256-{digest}'")
    return _bootstrap_cache["text"], _bootstrap_cache["hash"]


def sandbox_policy(allow):
    """The frame's policy: its own bootstrap (by hash), Tessera's static files by path, the plugin's allowlist,
    eval for the posted code."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(request.host_url))
    static = url_for("static", filename="", _external=True)
    directives = {
        "default-src": ["'none'"],
        "script-src": [sandbox_bootstrap()[1], static + "plugins/", static + "vendor/", "'unsafe-eval'", *allow],
        "connect-src": list(allow) or ["'none'"],
        "img-src": ["data:", "blob:", static, *allow],
        "media-src": ["data:", "blob:", *allow],
        "style-src": ["'unsafe-inline'", static, *allow],
        "font-src": ["data:", static, *allow],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": [origin],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@bp.route("/plugin-sandbox")
@public
def sandbox():
    """The sandbox frame's document: the same static bootstrap for every plugin; only the policy differs."""
    allow = [value for item in request.args.getlist("allow") for value in item.split(",") if value]
    if len(allow) > 50 or not all(valid_origin(o) for o in allow):
        abort(400)
    allow = sorted(set(allow))
    response = make_response(render_template("plugins/sandbox.html", bootstrap=Markup(sandbox_bootstrap()[0])))  # noqa: S704
    response.headers["Content-Security-Policy"] = sandbox_policy(allow)
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
