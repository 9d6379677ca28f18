"""The organization's start page and the page of members waiting for a role."""
from flask import g
from flask_login import current_user

from app.extensions import db
from app.orgs import services
from app.orgs.views import bp
from app.security.decorators import require
from app.security.roles import Role
from app.web.htmx import render


@bp.route("/")
@require("org.view")
def home():
    """The organization's start page: its workspaces."""
    if current_user.active_org_id != g.org.id:
        current_user.active_org_id = g.org.id
        db.session.flush()
    workspaces = services.visible_workspaces(g.org, current_user, g.member)
    return render("orgs/home.html", workspaces=workspaces)


@bp.route("/pending")
@require("account.manage")
def pending(org_slug):
    """What a member who joined by link sees until an administrator gives them a role."""
    from flask import abort

    from app.security.tenancy import load_org

    org, member = load_org(org_slug, current_user)
    if org is None or member is None or member.role != Role.PENDING:
        abort(404)
    return render("orgs/pending.html")
