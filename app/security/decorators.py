"""``@require``: the one gate every route passes through (load, 404, check, 403, act)."""
import functools

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db, login_manager
from app.security.permissions import can, scope_of
from app.security.roles import Role
from app.security.tenancy import load_org


class PendingMember(Exception):
    """The person joined by link and waits for a role."""


def require(permission, load=None, arg=None):
    """Gate a view on ``permission``.

    For org-scoped permissions the organization comes from the ``org_slug`` URL argument, or, for the JSON
    API, from ``org_id`` or the caller's active organization. ``load=Model, arg="thing_id"`` loads that row
    inside the organization (another organization's row is a 404) and passes it as ``thing``.
    """
    scope = scope_of(permission)

    def decorate(view):
        @functools.wraps(view)
        def gated(*args, **kwargs):
            if scope == "public":
                return view(*args, **kwargs)
            if scope == "scim":
                return _as_scim_client(view, args, kwargs)
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if scope == "user":
                return view(*args, **kwargs)
            if scope == "site":
                if not can(current_user, None, permission):
                    abort(403)
                return view(*args, **kwargs)
            obj = None
            if load is not None and not _names_org(kwargs):
                # API paths such as /api/projects/<id> carry no organization: the object names it.
                obj = _load_unscoped(load, kwargs.pop(arg))
                kwargs["org_id"] = _org_id_of(obj)
                org, member = _resolve_org(kwargs)
                kwargs.pop("org_id")
            else:
                org, member = _resolve_org(kwargs)
            if org is None or member is None or member.role == Role.DEACTIVATED:
                abort(404)
            if member.role == Role.PENDING:
                raise PendingMember()
            if load is not None:
                if obj is None:
                    obj = _load(load, org, kwargs.pop(arg))
                kwargs[arg.removesuffix("_id")] = obj
            if not can(current_user, member, permission, obj):
                abort(403)
            return view(*args, **kwargs)

        gated.permission = permission
        return gated

    return decorate


def _as_scim_client(view, args, kwargs):
    """SCIM calls carry the organization's bearer token instead of a person's session."""
    from flask import request

    from app.scim.tokens import org_for_authorization

    org = org_for_authorization(request.headers.get("Authorization"))
    if org is None:
        from app.scim.errors import scim_error

        response = scim_error(401, "A valid SCIM bearer token is required (Authorization: Bearer <token>).")
        response.headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
        return response
    g.org, g.member = org, None
    return view(*args, **kwargs)


def public(view):
    """Mark a view as reachable without signing in (the URL-map test holds a list of these)."""
    return require("public")(view)


def _resolve_org(kwargs):
    if "org_slug" in kwargs:
        return load_org(kwargs.pop("org_slug"), current_user)
    from app.orgs.models import Organization

    org_id = kwargs["org_id"] if kwargs.get("org_id") is not None else current_user.active_org_id
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None:
        g.org = g.member = None
        return None, None
    return load_org(org.slug, current_user)


def _names_org(kwargs):
    return "org_slug" in kwargs or "org_id" in kwargs


def _org_id_of(obj):
    org_id = getattr(obj, "org_id", None)
    return org_id if org_id is not None else obj.project.org_id


def _load_unscoped(model, ident):
    try:
        obj = db.session.get(model, int(ident))
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        abort(404)
    return obj


def _load(model, org, ident):
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.execute(model.for_org(org).where(model.id == ident)).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def select_in_org(model, org):
    """The tenancy-scoped query for ``model`` (shorthand used by views and services)."""
    return select(model).where(model.org_id == org.id)
