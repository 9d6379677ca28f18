"""Organization pages, one module per area, all on the ``orgs`` blueprint."""
from flask import Blueprint

bp = Blueprint("orgs", __name__, url_prefix="/o/<org_slug>")

from app.orgs.views import home, members, settings, workspaces  # noqa: E402,F401  (modules register their routes on bp)
