"""The JSON API, speaking the model product's paths and shapes (see docs/api.md)."""
from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import serializers
from app.api.errors import ApiError
from app.api.pagination import paginate
from app.api.services import role_from_api
from app.auth.services import issue_api_token, revoke_all_api_tokens
from app.errors import Refused
from app.extensions import csrf, db
from app.orgs.models import OrgMember
from app.orgs.services import change_role, orgs_of, rename_org
from app.security.decorators import public, require
from app.security.roles import Role
from app.web.errors import api_error

bp = Blueprint("api", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@bp.before_request
def reject_unknown_token():
    """A key that is unknown or revoked is refused outright, even where no sign-in is needed."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and key.strip() and not current_user.is_authenticated:
        return api_error(401, "Invalid token.", headers={"WWW-Authenticate": "Token"})
    return None


@bp.before_request
def check_csrf_for_cookie_sessions():
    """The blueprint is exempt from the app-wide check so tokens work; a browser session still needs the token."""
    if request.method in SAFE_METHODS or not current_user.is_authenticated or g.get("token_auth"):
        return
    csrf.protect()


@bp.errorhandler(Refused)
def refused(exc):
    return api_error(400, "Validation error", exc.as_validation_errors())


@bp.errorhandler(ApiError)
def api_failure(exc):
    return api_error(exc.status, exc.detail, exc.validation_errors)


def json_body(*required):
    """The request's JSON object; 400 when it is not one or lacks a ``required`` field."""
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ApiError(400, "JSON parse error.", {"non_field_errors": ["The body is not valid JSON."]})
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, "Validation error", {"non_field_errors": ["Expected a JSON object."]})
    missing = {name: ["This field is required."] for name in required if name not in body}
    if missing:
        raise ApiError(400, "Validation error", missing)
    return body


def _this_org(org_id):
    # The gate falls back to the active organization when the id is falsy (0); never answer for another one.
    if g.org is None or g.org.id != org_id:
        abort(404)
    return g.org


@bp.route("/health")
@public
def health():
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "UP", "version": current_app.config["TESSERA_VERSION"]})


@bp.route("/api/version/")
@public
def version():
    """``edition`` is what the model product's SDK branches on; we answer like its synchronous edition."""
    return jsonify({"release": current_app.config["TESSERA_VERSION"], "edition": "Community", "product": "Tessera"})


# The current user ---------------------------------------------------------------------------------------------

@bp.route("/api/current-user/whoami")
@require("account.manage")
def whoami():
    """Who is calling, their active organization, its permissions, and every organization they work in."""
    return jsonify(serializers.whoami(current_user))


@bp.route("/api/current-user/token")
@require("account.manage")
def current_user_token():
    """Issue a new key named "API token" and return it.

    The model product returns the one existing key here. Keys are stored hashed and shown once, so each call
    creates another key (earlier ones keep working); ``reset-token`` is the call that revokes the old ones.
    """
    _, key = issue_api_token(current_user, "API token")
    return jsonify({"token": key})


@bp.route("/api/current-user/reset-token", methods=["POST"])
@require("account.manage")
def reset_token():
    """Revoke every key of the caller (the one this call came with, too) and return a new one."""
    revoke_all_api_tokens(current_user)
    _, key = issue_api_token(current_user, "API token")
    return jsonify({"token": key})


# Organizations --------------------------------------------------------------------------------------------

@bp.route("/api/organizations")
@require("account.manage")
def org_list():
    """The organizations the caller works in (a plain list, not paginated)."""
    return jsonify([serializers.org_summary(org) for org, role in orgs_of(current_user) if role.is_working])


@bp.route("/api/organizations/<int:org_id>")
@require("org.view")
def org_detail(org_id):
    org = _this_org(org_id)
    return jsonify(serializers.org_detail(org, current_user, g.member))


@bp.route("/api/organizations/<int:org_id>", methods=["PATCH"])
@require("org.settings")
def org_update(org_id):
    """Rename the organization: ``{"title": "…"}``."""
    org = _this_org(org_id)
    title = json_body("title")["title"]
    if not isinstance(title, str):
        raise Refused("Give the title as text.", "title")
    try:
        rename_org(current_user, org, title)
    except Refused as exc:
        raise Refused(exc.message, "title" if exc.field == "name" else exc.field) from None
    return jsonify(serializers.org_detail(org, current_user, g.member))


# Memberships ----------------------------------------------------------------------------------------------

def _membership(org, user_id):
    member = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == user_id)
    ).scalar_one_or_none()
    if member is None:
        abort(404)
    return member


@bp.route("/api/organizations/<int:org_id>/memberships")
@require("members.view")
def membership_list(org_id):
    """Every membership, paginated; the role code tells pending (NO) and deactivated (DI) people apart."""
    org = _this_org(org_id)
    query = select(OrgMember).where(OrgMember.org_id == org.id).options(selectinload(OrgMember.user)).order_by(OrgMember.id)
    return jsonify(paginate(query, serializers.membership))


@bp.route("/api/organizations/<int:org_id>/memberships/<int:user_id>")
@require("members.view")
def membership_detail(org_id, user_id):
    return jsonify(serializers.membership(_membership(_this_org(org_id), user_id)))


@bp.route("/api/organizations/<int:org_id>/memberships/<int:user_id>", methods=["PATCH"])
@require("members.change_role")
def membership_update(org_id, user_id):
    """Change a member's role: ``{"role": "AN"}`` or ``{"role": "annotator"}``."""
    org = _this_org(org_id)
    member = _membership(org, user_id)
    body = json_body("role")
    change_role(current_user, org, member, role_from_api(body["role"]))
    return jsonify(serializers.membership(member))


@bp.route("/api/organizations/<int:org_id>/memberships/<int:user_id>", methods=["DELETE"])
@require("members.change_role")
def membership_delete(org_id, user_id):
    """Deactivate the member; their work and the audit trail stay, and a PATCH can give a role back."""
    org = _this_org(org_id)
    change_role(current_user, org, _membership(org, user_id), Role.DEACTIVATED)
    return "", 204
from app.api import annotations as _annotations  # noqa: E402,F401  (registers the next-task, annotation and draft endpoints)
from app.api import pauses as _pauses  # noqa: E402,F401  (registers the annotator pause endpoint)
from app.api import projects  # noqa: E402,F401  (registers the project endpoints)
from app.api import tasks as _tasks  # noqa: E402,F401  (registers the task, import and export endpoints)
