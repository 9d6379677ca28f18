"""Asking for plugins, deciding (site administration), switching them off and on, and who may edit them."""
from flask import Blueprint

bp = Blueprint("plugin_access", __name__, url_prefix='/o/<org_slug>')
