"""Model rows as the model product's API shapes them (api-compat §1)."""
from datetime import UTC

from sqlalchemy import select

from app.extensions import db
from app.orgs.models import OrgMember
from app.orgs.services import join_link, owner_of
from app.security.permissions import can, permissions_for
from app.security.roles import Role


def iso(value):
    """ISO-8601 UTC with microseconds and ``Z``: ``2026-11-22T06:18:44.203992Z``."""
    if value is None:
        return None
    # isoformat is much faster than strftime, and exports call this for every task and annotation.
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def split_name(user):
    """The identity provider's first and last names when it gave them, else the display name split once."""
    if user.first_name or user.last_name:
        return user.first_name, user.last_name
    first, _, last = (user.name or "").strip().partition(" ")
    return first, last.strip()


def user_summary(user, org=None):
    """A user as listed inside ``org``; their active organization is told only when it is ``org`` itself."""
    first, last = split_name(user)
    active = user.active_org_id if org is None or user.active_org_id == org.id else None
    return {
        "id": user.id, "email": user.email, "first_name": first, "last_name": last, "username": "",
        "avatar": None, "initials": user.initials, "phone": "", "active_organization": active,
        "last_activity": iso(user.last_login_at), "date_joined": iso(user.created_at),
        "created_projects": None, "contributed_to_projects": None,
    }


def whoami(user):
    """The signed-in person, their active organization and what they may do in it."""
    from app.orgs.models import Organization

    org = db.session.get(Organization, user.active_org_id) if user.active_org_id else None
    memberships = db.session.execute(
        select(OrgMember).where(OrgMember.user_id == user.id).order_by(OrgMember.org_id)
    ).scalars().all()
    role_in_active = next((m.role for m in memberships if org is not None and m.org_id == org.id), None)
    data = user_summary(user)
    data.pop("created_projects")
    data.pop("contributed_to_projects")
    data.update({
        "active_organization_meta": {"title": org.name, "email": owner_of(org).user.email} if org else None,
        "allow_newsletters": None,
        "custom_hotkeys": {},
        "permissions": permissions_for(role_in_active) if role_in_active else [],
        "org_membership": [
            {"organization_id": m.org_id, "role": m.role.api_code} for m in memberships if m.role.is_working
        ],
    })
    return data


def org_summary(org):
    return {"id": org.id, "title": org.name, "contact_info": None, "created_at": iso(org.created_at)}


def org_detail(org, user, member):
    """One organization; the join link's token only for people who may invite."""
    users = db.session.execute(
        select(OrgMember.user_id)
        .where(OrgMember.org_id == org.id, OrgMember.role != Role.DEACTIVATED)
        .order_by(OrgMember.user_id)
    ).scalars().all()
    data = {
        "id": org.id, "title": org.name, "created_at": iso(org.created_at), "updated_at": iso(org.updated_at),
        "contact_info": None, "created_by": org.created_by_id, "users": list(users),
    }
    if can(user, member, "members.invite"):
        data["token"] = join_link(user, org).link_token
    return data


def membership(member):
    """A membership with its role as the two-letter code (OW, AD, MA, RE, AN; NO pending, DI deactivated)."""
    return {
        "id": member.id, "organization": member.org_id, "user": user_summary(member.user, member.org),
        "role": member.role.api_code, "created_at": iso(member.created_at), "updated_at": iso(member.updated_at),
        "created_projects": None, "contributed_to_projects": None,
    }
