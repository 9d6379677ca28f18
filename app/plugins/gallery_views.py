"""The gallery's files (plugin.js, view.xml, data.json, assets), served read-only at /static/plugins/<path>/..."""
import mimetypes

from flask import Blueprint, abort, send_file

from app.plugins import gallery
from app.security.decorators import require

bp = Blueprint("plugin_gallery", __name__)

# Explicit types for the gallery's own files: the system's mimetypes table varies (and may lack .md or .mjs).
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@bp.get("/static/plugins/<path>/<filename>")
@require("account.manage")
def asset(path, filename):
    """One file of a gallery entry, read-only. Anything unknown, hidden or outside the entry's folder is a 404."""
    file = gallery.asset(path, filename)
    if file is None:
        abort(404)
    suffix = file.suffix.lower()
    mimetype = TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = send_file(file, mimetype=mimetype, conditional=True, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, a gallery file is a document of its own: give it no rights (scripts, forms, plugins).
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
