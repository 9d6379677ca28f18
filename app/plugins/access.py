"""Plugins for an organization: the access request and its decision, the switch, and who may edit plugins.

States of a request: pending -> approved | rejected | withdrawn. Every change here writes its audit entry and
its notifications in the caller's transaction, so a refused or failed change leaves no trace.

The multi-organization rule: plugins run code in every member's browser, so while they are on no working
member of the organization may be a working member of another organization. Approval and switching back on
are refused while such a member exists; adding one (invitation, acceptance, reactivation, provisioning) is
refused while plugins are on (``check_member_allowed``, called from app/orgs/services.py).
"""
from flask import current_app, has_request_context, url_for
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from app.audit.services import record
from app.auth.models import User
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.notifications.services import notify
from app.orgs.models import Organization, OrgMember
from app.plugins.models import PluginAccessRequest, RequestState
from app.security.roles import WORKING_ROLES, Role

#: Organization.plugin_editors -> how the Permissions page names it
PLUGIN_EDITORS = {"manager": "Manager and above", "admin": "Owner and Admin only"}
REASON_MAX = 2000
_REQUESTERS = (Role.OWNER, Role.ADMIN, Role.MANAGER)
_ORG_ADMINS = (Role.OWNER, Role.ADMIN)


# Queries --------------------------------------------------------------------------------------------------

def plugins_on(org):
    return org.plugins_enabled_at is not None


def latest_request(org):
    """The organization's most recent access request, or None."""
    return db.session.execute(
        PluginAccessRequest.for_org(org)
        .order_by(PluginAccessRequest.created_at.desc(), PluginAccessRequest.id.desc()).limit(1)
    ).scalar_one_or_none()


def pending_request(org):
    return db.session.execute(
        PluginAccessRequest.for_org(org).where(PluginAccessRequest.state == RequestState.PENDING)
        .order_by(PluginAccessRequest.id.desc()).limit(1)
    ).scalar_one_or_none()


def was_approved(org):
    """True once a site administrator has approved a request of ``org`` (switching back on needs it)."""
    return db.session.execute(
        select(exists().where(PluginAccessRequest.org_id == org.id,
                              PluginAccessRequest.state == RequestState.APPROVED))
    ).scalar()


def requests_for_admin():
    """Every request on the instance, the pending ones first, then newest first."""
    return db.session.execute(
        select(PluginAccessRequest)
        .order_by(PluginAccessRequest.state != RequestState.PENDING, PluginAccessRequest.created_at.desc(),
                  PluginAccessRequest.id.desc())
    ).scalars().all()


def multi_org_members(org):
    """Working members of ``org`` who are also working members of another organization, by e-mail."""
    here, elsewhere = aliased(OrgMember), aliased(OrgMember)
    return db.session.execute(
        select(User).join(here, here.user_id == User.id)
        .where(here.org_id == org.id, here.role.in_(WORKING_ROLES),
               exists().where(elsewhere.user_id == User.id, elsewhere.org_id != org.id,
                              elsewhere.role.in_(WORKING_ROLES)))
        .order_by(func.lower(User.email))
    ).scalars().all()


def other_orgs_of(user, org):
    """The other organizations where ``user`` is a working member (for the site administration only)."""
    return db.session.execute(
        select(Organization).join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, OrgMember.org_id != org.id, OrgMember.role.in_(WORKING_ROLES))
        .order_by(func.lower(Organization.name))
    ).scalars().all()


def multi_org_explanation(org, emails):
    """The one explanation every refusal of the multi-organization rule gives."""
    return (
        f"Plugins run code in the browser of every member of {org.name}, so they can only be on while no member "
        f"of {org.name} is an active member of another organization. Also active elsewhere: "
        f"{', '.join(emails)}. To resolve it, deactivate each of them in one of the organizations "
        f"(on its Members page), then try again."
    )


def check_member_allowed(org, user, field=None):
    """Refuse to give ``user`` a working role in ``org`` when that would break the multi-organization rule.

    Called before someone is invited, accepts an invitation, is added, reactivated or provisioned. Refused
    when plugins are on in ``org`` and ``user`` works in another organization, and also when ``user`` works
    in another organization that has plugins on (joining here would break that organization's rule).
    """
    others = db.session.execute(
        select(Organization).join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, OrgMember.org_id != org.id, OrgMember.role.in_(WORKING_ROLES))
    ).scalars().all()
    if not others:
        return
    if plugins_on(org):
        raise Refused(multi_org_explanation(org, [user.email]), field)
    if any(plugins_on(other) for other in others):
        # The other organization is not named: its membership is not this organization's business.
        raise Refused(
            f"{user.email} is an active member of another organization that has plugins on. Plugins run code in "
            f"the browser of every member of an organization, so such an organization's members cannot be "
            f"active members of another organization. To resolve it, {user.email} must be deactivated in one of "
            f"the organizations, then try again.", field)


def _org_admins(org):
    return db.session.execute(
        select(User).join(OrgMember, OrgMember.user_id == User.id)
        .where(OrgMember.org_id == org.id, OrgMember.role.in_(_ORG_ADMINS)).order_by(User.id)
    ).scalars().all()


def _site_admins():
    return db.session.execute(
        select(User).where(User.is_site_admin.is_(True), User.is_active_account.is_(True)).order_by(User.id)
    ).scalars().all()


def _role(org, user):
    member = db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == user.id)
    ).scalar_one_or_none()
    return member.role if member is not None else None


def _path(endpoint, **values):
    """A link of this site for a notification, also outside a request (tests, commands)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _target(request):
    return ("plugin_access_request", request.id, request.org.name)


def _others(users, actor):
    return [u for u in users if u.id != getattr(actor, "id", None)]


def _check_reason(reason, what):
    reason = (reason or "").strip()
    if not reason:
        raise Refused(f"Give a reason {what}.", "reason")
    if len(reason) > REASON_MAX:
        raise Refused(f"Keep the reason under {REASON_MAX} characters.", "reason")
    return reason


def _settings_link(org):
    return _path("plugin_access.org_plugins", org_slug=org.slug)


def _admin_link():
    return _path("admin.plugin_requests")


# Transitions ----------------------------------------------------------------------------------------------

def request_access(actor, org, reason, project=None):
    """A Manager, Admin or Owner asks the site administrators to switch plugins on for ``org``."""
    if _role(org, actor) not in _REQUESTERS:
        raise Refused("Only a Manager, Administrator or Owner can ask for plugins.")
    if plugins_on(org):
        raise Refused(f"Plugins are already on for {org.name}.")
    pending = pending_request(org)
    if pending is not None:
        who = pending.requested_by.email if pending.requested_by else "someone"
        raise Refused(f"A request is already pending since {pending.created_at:%Y-%m-%d %H:%M} UTC (asked by {who}).")
    reason = _check_reason(reason, "so the site administrators can decide")
    if project is not None and project.org_id != org.id:
        raise Refused("That project belongs to another organization.")
    request = PluginAccessRequest(org_id=org.id, project_id=getattr(project, "id", None), requested_by_id=actor.id,
                                  reason=reason, state=RequestState.PENDING)
    db.session.add(request)
    db.session.flush()
    record(actor, org, "plugins.access_requested", target=_target(request),
           data={"after": {"state": RequestState.PENDING.value, "reason": reason},
                 "project": getattr(project, "id", None)})
    notify(_site_admins(), org, "plugins.access_requested",
           f"{actor.email} asks to switch plugins on for {org.name}: {reason}", _admin_link())
    return request


def may_withdraw(user, request):
    """The requester, or an Owner or Admin of the organization, may withdraw a pending request."""
    if user is None:
        return False
    return request.requested_by_id == user.id or _role(request.org, user) in _ORG_ADMINS


def withdraw(actor, request):
    if request.state != RequestState.PENDING:
        raise Refused(f"Only a pending request can be withdrawn; this one was {request.state}.")
    if not may_withdraw(actor, request):
        raise Refused("Only the person who asked, or an Owner or Administrator, can withdraw the request.")
    _decide(actor, request, RequestState.WITHDRAWN, "")
    org = request.org
    record(actor, org, "plugins.access_withdrawn", target=_target(request),
           data={"before": {"state": RequestState.PENDING.value}, "after": {"state": RequestState.WITHDRAWN.value}})
    notify(_others(_site_admins(), actor), org, "plugins.access_withdrawn",
           f"{actor.email} withdrew the request for plugins of {org.name}.", _admin_link())
    return request


def approve(site_admin, request, note=""):
    """A site administrator switches plugins on; refused while a member also works in another organization."""
    _check_site_admin(site_admin)
    if request.state != RequestState.PENDING:
        raise Refused(f"Only a pending request can be approved; this one was {request.state}.")
    org = request.org
    shared = multi_org_members(org)
    if shared:
        raise Refused(multi_org_explanation(org, [u.email for u in shared]))
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise Refused(f"Keep the note under {REASON_MAX} characters.", "note")
    _decide(site_admin, request, RequestState.APPROVED, note)
    before = org.plugins_enabled_at
    if before is None:
        org.plugins_enabled_at = utcnow()
    db.session.flush()
    record(site_admin, org, "plugins.access_approved", target=_target(request),
           data={"before": {"state": RequestState.PENDING.value, "plugins_on": before is not None},
                 "after": {"state": RequestState.APPROVED.value, "plugins_on": True}, "note": note})
    message = f"Plugins are now on for {org.name}: the request was approved." + (f" Note: {note}" if note else "")
    notify(_others([request.requested_by, *_org_admins(org)], site_admin), org, "plugins.access_approved",
           message, _settings_link(org))
    return request


def reject(site_admin, request, reason):
    _check_site_admin(site_admin)
    if request.state != RequestState.PENDING:
        raise Refused(f"Only a pending request can be rejected; this one was {request.state}.")
    reason = _check_reason(reason, "for the rejection; the organization sees it")
    _decide(site_admin, request, RequestState.REJECTED, reason)
    org = request.org
    record(site_admin, org, "plugins.access_rejected", target=_target(request),
           data={"before": {"state": RequestState.PENDING.value}, "after": {"state": RequestState.REJECTED.value},
                 "reason": reason})
    notify(_others([request.requested_by, *_org_admins(org)], site_admin), org, "plugins.access_rejected",
           f"The request for plugins of {org.name} was rejected: {reason}", _settings_link(org))
    return request


def switch_off(actor, org):
    """An Owner or Admin turns plugins off for the whole organization at once."""
    _check_org_admin(actor, org)
    if not plugins_on(org):
        raise Refused("Plugins are already off.")
    before = org.plugins_enabled_at
    org.plugins_enabled_at = None
    db.session.flush()
    record(actor, org, "plugins.disabled", target=org,
           data={"before": {"plugins_enabled_at": before.isoformat()}, "after": {"plugins_enabled_at": None}})
    notify(_others(_org_admins(org), actor), org, "plugins.disabled",
           f"{actor.email} switched plugins off for {org.name}.", _settings_link(org))
    return org


def switch_on(actor, org):
    """Back on without a new request: only after an approval, and while nobody works in another organization."""
    _check_org_admin(actor, org)
    if plugins_on(org):
        raise Refused("Plugins are already on.")
    if not was_approved(org):
        raise Refused("Plugins have never been approved for this organization; ask for access from a project's "
                      "plugin panel first.")
    shared = multi_org_members(org)
    if shared:
        raise Refused(multi_org_explanation(org, [u.email for u in shared]))
    org.plugins_enabled_at = utcnow()
    db.session.flush()
    record(actor, org, "plugins.enabled", target=org,
           data={"before": {"plugins_enabled_at": None}, "after": {"plugins_enabled_at": org.plugins_enabled_at.isoformat()}})
    notify(_others(_org_admins(org), actor), org, "plugins.enabled",
           f"{actor.email} switched plugins back on for {org.name}.", _settings_link(org))
    return org


def set_plugin_editors(actor, org, value):
    """The Owner's "Edit plugins" permission: ``manager`` (Manager and above) or ``admin`` (Owner and Admin)."""
    if _role(org, actor) != Role.OWNER:
        raise Refused("Only the Owner can change the organization's permissions.")
    if value not in PLUGIN_EDITORS:
        raise Refused(f"Choose one of: {', '.join(PLUGIN_EDITORS.values())}.", "plugin_editors")
    before = org.plugin_editors
    if value == before:
        return org
    org.plugin_editors = value
    db.session.flush()
    record(actor, org, "org.permissions_changed", target=org,
           data={"before": {"plugin_editors": before}, "after": {"plugin_editors": value}})
    return org


def _decide(actor, request, state, reason):
    request.state = state
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.decision_reason = reason
    db.session.flush()


def _check_site_admin(user):
    if user is None or not user.is_site_admin:
        raise Refused("Only a site administrator can decide a request for plugins.")


def _check_org_admin(user, org):
    if _role(org, user) not in _ORG_ADMINS:
        raise Refused("Only an Owner or Administrator can switch plugins off and on.")
