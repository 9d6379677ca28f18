"""Project pages, one module per area, all on the ``projects`` blueprint."""
from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/o/<org_slug>")

from app.projects.views import pages, settings, transfer  # noqa: E402,F401  (modules register their routes on bp)
