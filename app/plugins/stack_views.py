"""A project's plugin panel: the stack, the editor, revisions, diff and revert, order, mode and allowlist."""
from flask import Blueprint

bp = Blueprint("plugins", __name__, url_prefix='/o/<org_slug>/projects/<project_id>/plugins')
