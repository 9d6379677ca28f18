"""The gallery's files (plugin.js, view.xml, data.json, assets), served read-only at /static/plugins/<path>/..."""
from flask import Blueprint

bp = Blueprint("plugin_gallery", __name__)
