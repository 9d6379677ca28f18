"""Pausing an annotator in a project (the model product's ``/api/projects/<id>/members/<user_id>/pauses``).

Plugins call it (a spam guard pausing the person who works too fast): a person may pause themself, and a
Manager or above may pause anyone who works in the project. The labeling stream then refuses the paused person
with the reason (``app.labeling.distribution.limit_message``) until a manager resumes them.
"""
from flask import abort, g, jsonify
from flask_login import current_user
from sqlalchemy import select

from app.api.errors import ApiError
from app.api.serializers import iso
from app.api.tasks import _visible
from app.api.views import bp, json_body
from app.audit.services import record
from app.auth.models import User
from app.extensions import db
from app.orgs.models import OrgMember
from app.plugins.models import AnnotatorPause
from app.projects.access import can_see_project
from app.projects.models import Project
from app.security.decorators import require
from app.security.permissions import can

#: reasons a pause may be given through the API; people pausing themself may give only the first
REASONS = ("CUSTOM_SCRIPT", "MANUAL")
MAX_VERBOSE = 2000


def serialize(pause):
    return {"id": pause.id, "project": pause.project_id, "user": pause.user_id, "reason": pause.reason,
            "verbose_reason": pause.verbose_reason, "paused_by": pause.paused_by_id,
            "created_at": iso(pause.created_at), "resumed_at": iso(pause.resumed_at)}


def _working_member(project, user_id):
    """The person, when they work in the project's organization and can open the project; else 404."""
    member = db.session.scalar(select(OrgMember).where(OrgMember.org_id == project.org_id,
                                                       OrgMember.user_id == user_id))
    if member is None or not member.role.is_working:
        abort(404)
    user = db.session.get(User, user_id)
    if user is None or not can_see_project(user, member, project):
        abort(404)
    return user


@bp.route("/api/projects/<int:project_id>/members/<int:user_id>/pauses", methods=["POST"])
@require("labeling.annotate", load=Project, arg="project_id")
def pause_create(project, user_id):
    _visible(project)
    itself = user_id == current_user.id
    manager = can(current_user, g.member, "tasks.manage", project)
    if not itself and not manager:
        abort(403)
    user = _working_member(project, user_id)
    body = json_body("reason")
    reason, verbose = body.get("reason"), body.get("verbose_reason", "")
    errors = {}
    if reason not in REASONS or (not manager and reason != "CUSTOM_SCRIPT"):
        allowed = REASONS if manager else REASONS[:1]
        errors["reason"] = [f"Choose one of: {', '.join(allowed)}."]
    if verbose is None:
        verbose = ""
    if not isinstance(verbose, str) or len(verbose) > MAX_VERBOSE:
        errors["verbose_reason"] = [f"Give the reason as text of at most {MAX_VERBOSE} characters."]
    if errors:
        raise ApiError(400, "Validation error", errors)
    pause = AnnotatorPause(project_id=project.id, user_id=user.id, reason=reason, verbose_reason=verbose.strip(),
                           paused_by_id=current_user.id)
    db.session.add(pause)
    db.session.flush()
    record(current_user, g.org, "annotator.paused", user,
           {"project_id": project.id, "project": project.title, "reason": reason, "verbose_reason": pause.verbose_reason,
            "pause_id": pause.id})
    return jsonify(serialize(pause)), 201
