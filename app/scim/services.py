"""What SCIM requests change: memberships (Users) and ScimGroups, through the same provisioning as SAML.

A request's resource arrives as a whole (POST, PUT, or a PATCH already applied to the current resource) and is
written here; every refusal raises, so the request's transaction rolls back and nothing is half-done.
"""
from collections import defaultdict

from scim2_models import InvalidValueException, MutabilityException, NotFoundException, UniquenessException
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from app.audit.services import record
from app.auth.models import AuthIdentity, User
from app.auth.services import normalize_email, user_by_email
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.orgs import services as org_services
from app.orgs.models import OrgMember
from app.scim import resources
from app.security.roles import Role
from app.sso import provisioning
from app.sso.models import ScimGroup, ScimGroupMember


def identity_provider(org):
    """Where a person's ``userName`` is kept: an identity of the account, like a SAML NameID."""
    return f"scim:{org.id}"


# Reading --------------------------------------------------------------------------------------------------

def live_members():
    """Memberships SCIM sees: deleted ones stay in Tessera (Deactivated, work kept) but not here."""
    return (select(OrgMember).join(User, User.id == OrgMember.user_id).options(contains_eager(OrgMember.user))
            .where(OrgMember.deprovisioned_at.is_(None)).order_by(OrgMember.user_id))


def member_by_id(org, ident):
    member = None
    if str(ident).isdigit():
        member = db.session.execute(
            live_members().where(OrgMember.org_id == org.id, OrgMember.user_id == int(ident))
        ).scalar_one_or_none()
    if member is None:
        raise NotFoundException(detail=f"No user {ident} in this organization.")
    return member


def group_by_id(org, ident):
    group, number = None, resources.group_number(ident)
    if number is not None:
        group = db.session.execute(ScimGroup.for_org(org).where(ScimGroup.id == number)).scalar_one_or_none()
    if group is None:
        raise NotFoundException(detail=f"No group {ident} in this organization.")
    return group


def _user_names(org, user_ids):
    rows = db.session.execute(
        select(AuthIdentity.user_id, AuthIdentity.identifier)
        .where(AuthIdentity.provider == identity_provider(org), AuthIdentity.user_id.in_(user_ids))
    ).all()
    return dict(rows)


def _groups_of(org, user_ids):
    found = defaultdict(list)
    rows = db.session.execute(
        select(ScimGroupMember.user_id, ScimGroup).join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
        .where(ScimGroup.org_id == org.id, ScimGroupMember.user_id.in_(user_ids))
    ).all()
    for user_id, group in rows:
        found[user_id].append(group)
    return found


def user_resources(org, members):
    """SCIM Users for memberships, reading names and groups in two queries whatever their number."""
    ids = [m.user_id for m in members]
    names, groups = _user_names(org, ids), _groups_of(org, ids)
    return [resources.user_resource(m, names.get(m.user_id) or m.user.email, groups.get(m.user_id, []))
            for m in members]


def user_resource(org, member):
    return user_resources(org, [member])[0]


def member_with_user_name(org, user_name, excluding=None):
    """The live member whose userName (their SCIM identity, else their e-mail address) is ``user_name``."""
    wanted = (user_name or "").strip().lower()
    identity = AuthIdentity.__table__.alias("scim_identity")
    query = (
        live_members().where(OrgMember.org_id == org.id)
        .outerjoin(identity, (identity.c.user_id == OrgMember.user_id)
                   & (identity.c.provider == identity_provider(org)))
        .where((func.lower(identity.c.identifier) == wanted)
               | (identity.c.id.is_(None) & (User.email == wanted)))
    )
    if excluding is not None:
        query = query.where(OrgMember.user_id != excluding.id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


# Users ----------------------------------------------------------------------------------------------------

def _join(*parts):
    return " ".join(p.strip() for p in parts if p and p.strip())


def _work_email(resource):
    emails = resource.emails or []
    chosen = next((e for e in emails if e.type == resources.WORK and e.value), None)
    chosen = chosen or next((e for e in emails if e.value), None)
    address = chosen.value if chosen else resource.user_name
    try:
        return normalize_email(address)
    except Refused as exc:
        raise InvalidValueException(detail=f"A work e-mail address is required: {exc.message}") from None


def _shown_name(user, first, last, display, formatted):
    """The one name Tessera shows (``displayName``, also ``name.formatted``).

    A value the client gives that differs from the current one wins; without one of its own the name follows
    its parts.
    """
    shown = user.name or None
    for candidate in (display, formatted):
        if candidate and candidate.strip() and candidate != shown:
            return candidate.strip()
    if (display or formatted) and shown != _join(user.first_name, user.last_name):
        return shown
    return _join(first, last)


def _write_names(org, user, resource):
    first = (resource.name.given_name if resource.name else None) or ""
    last = (resource.name.family_name if resource.name else None) or ""
    formatted = resource.name.formatted if resource.name else None
    after = {"first_name": first.strip()[:100], "last_name": last.strip()[:100]}
    after["name"] = _shown_name(user, after["first_name"], after["last_name"], resource.display_name, formatted)[:200]
    before = {"first_name": user.first_name, "last_name": user.last_name, "name": user.name}
    if before == after:
        return False
    user.first_name, user.last_name, user.name = after["first_name"], after["last_name"], after["name"]
    db.session.flush()
    record(None, org, "user.updated", target=user, data={"before": before, "after": after, "via": "scim"})
    return True


def _change_email(org, user, address):
    """The account's address follows the identity provider only where nothing else relies on it."""
    if address == user.email:
        return
    other = user_by_email(address)
    if other is not None:
        raise UniquenessException(detail=f"Another account already uses {address}.")
    owner = org_services.owner_of(org)
    elsewhere = db.session.execute(
        select(func.count()).select_from(OrgMember).where(OrgMember.user_id == user.id, OrgMember.org_id != org.id)
    ).scalar_one()
    if elsewhere or user.is_site_admin or owner.user_id == user.id:
        raise MutabilityException(detail=(
            f"The e-mail address of {user.email} cannot be changed here: the account "
            + ("belongs to other organizations too" if elsewhere else "is the Owner's or a site administrator's")
            + ". Its owner can change it in Tessera."))
    before = user.email
    user.email = address
    db.session.flush()
    record(None, org, "user.updated", target=user, data={"before": {"email": before}, "after": {"email": address},
                                                        "via": "scim"})


def _set_user_name(org, user, user_name):
    provider = identity_provider(org)
    identity = db.session.execute(
        select(AuthIdentity).where(AuthIdentity.provider == provider, AuthIdentity.user_id == user.id)
    ).scalar_one_or_none()
    holder = db.session.execute(
        select(AuthIdentity).where(AuthIdentity.provider == provider,
                                   func.lower(AuthIdentity.identifier) == user_name.lower())
    ).scalar_one_or_none()
    if holder is not None and holder.user_id != user.id:
        # only a deleted member can still hold it (live ones were refused as a conflict): the name moves on
        db.session.delete(holder)
        db.session.flush()
    if identity is None:
        provisioning.link_identity(org, user, provider, user_name)
    elif identity.identifier != user_name:
        identity.identifier = user_name
        db.session.flush()


def _check_user_name(org, user_name, user=None):
    if not user_name or not user_name.strip():
        raise Refused("userName is required.")
    if len(user_name) > 500:
        raise Refused("userName is too long (500 characters at most).")
    taken = member_with_user_name(org, user_name, excluding=user)
    if taken is not None:
        raise UniquenessException(detail=f"The userName {user_name} belongs to another member ({taken.user.email}).")


def _set_active(org, member, active):
    if active is None:
        return
    if active is False:
        if member.role == Role.OWNER:
            raise MutabilityException(detail="The Owner cannot be deactivated through SCIM; transfer ownership in "
                                             "Tessera first.")
        if member.role != Role.DEACTIVATED:
            org_services.change_role(None, org, member, Role.DEACTIVATED)
    elif member.role == Role.DEACTIVATED:
        # reactivated: waiting for a role unless the groups map one
        org_services.change_role(None, org, member, Role.PENDING)
        sync_member_groups(org, member)


def create_user(org, resource):
    """POST /Users: the account (found by address, or created without a password) and its membership."""
    user_name = resource.user_name.strip()
    _check_user_name(org, user_name)
    address = _work_email(resource)
    user = user_by_email(address)
    member = org_services.member_of(org, user) if user is not None else None
    if member is not None and member.deprovisioned_at is None:
        raise UniquenessException(detail=f"{address} is already a member of this organization.")
    if user is None:
        returning = db.session.execute(
            select(AuthIdentity).where(AuthIdentity.provider == identity_provider(org),
                                       func.lower(AuthIdentity.identifier) == user_name.lower())
        ).scalar_one_or_none()
        if returning is not None:
            # a deleted member comes back under a new address
            user, member = returning.user, org_services.member_of(org, returning.user)
            _change_email(org, user, address)
        else:
            user = provisioning.find_or_create_user(org, provisioning.Profile(email=address))
    role = Role.DEACTIVATED if resource.active is False else Role.PENDING
    if member is None:
        member = provisioning.ensure_member(org, user, role)
    else:
        # provisioned again after a DELETE: the same membership, so the person finds their work
        member.deprovisioned_at = None
        provisioning.ensure_member(org, user, role)
    member.external_id = resource.external_id
    _set_user_name(org, user, user_name)
    _write_names(org, user, resource)
    member.updated_at = utcnow()
    db.session.flush()
    return member


def replace_user(org, member, resource):
    """PUT /Users/<id>, and PATCH once its operations are applied: the membership takes the resource's state."""
    user = member.user
    user_name = resource.user_name.strip()
    _check_user_name(org, user_name, user)
    _change_email(org, user, _work_email(resource))
    _set_user_name(org, user, user_name)
    _write_names(org, user, resource)
    member.external_id = resource.external_id
    _set_active(org, member, resource.active)
    member.updated_at = utcnow()
    db.session.flush()
    return member


def delete_user(org, member):
    """DELETE /Users/<id>: Deactivated and out of the organization's groups; every annotation stays."""
    if member.role == Role.OWNER:
        raise Refused("The Owner cannot be deleted through SCIM; transfer ownership in Tessera first.")
    links = db.session.execute(
        select(ScimGroupMember).join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
        .where(ScimGroup.org_id == org.id, ScimGroupMember.user_id == member.user_id)
    ).scalars().all()
    for link in links:
        record(None, org, "scim.group_updated", target=("scim_group", link.group.id, link.group.display_name),
               data={"removed": [member.user.email], "reason": "user deleted"})
        db.session.delete(link)
    db.session.flush()
    provisioning.deprovision(org, member)


# Groups ---------------------------------------------------------------------------------------------------

def group_names_of(org, user):
    return sorted(db.session.execute(
        select(ScimGroup.display_name).join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroup.org_id == org.id, ScimGroupMember.user_id == user.id)
    ).scalars())


def sync_member_groups(org, member, mapping=None):
    """Role, workspaces and project roles from the person's groups; a deactivated person is left alone, since
    ``active`` (not a group) decides that."""
    if member.deprovisioned_at is not None or member.role == Role.DEACTIVATED:
        return member
    return provisioning.apply_groups(org, member.user, member, group_names_of(org, member.user), mapping)


def _sync_users(org, user_ids):
    mapping = provisioning.Mapping.of_org(org)
    for user_id in sorted(user_ids):
        member = db.session.execute(
            select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == user_id)
        ).scalar_one_or_none()
        if member is not None:
            sync_member_groups(org, member, mapping)


def _check_display_name(org, name, group=None):
    name = (name or "").strip()
    if not name:
        raise Refused("displayName is required.")
    if len(name) > 300:
        raise Refused("displayName is too long (300 characters at most).")
    query = ScimGroup.for_org(org).where(func.lower(ScimGroup.display_name) == name.lower())
    if group is not None:
        query = query.where(ScimGroup.id != group.id)
    if db.session.execute(query).first() is not None:
        raise UniquenessException(detail=f"A group named {name} already exists.")
    return name


def _wanted_members(org, resource):
    """The live members the resource lists, by user id; anyone else is refused by name."""
    wanted = {}
    for entry in resource.members or []:
        member = None
        if entry.value and entry.value.isdigit():
            member = db.session.execute(
                live_members().where(OrgMember.org_id == org.id, OrgMember.user_id == int(entry.value))
            ).scalar_one_or_none()
        if member is None:
            raise Refused(f"No user {entry.value} in this organization to add to the group.")
        wanted[member.user_id] = member
    return wanted


def _target(group):
    return ("scim_group", group.id, group.display_name)


def create_group(org, resource):
    name = _check_display_name(org, resource.display_name)
    wanted = _wanted_members(org, resource)
    group = ScimGroup(org_id=org.id, display_name=name, external_id=resource.external_id)
    group.members = [ScimGroupMember(user_id=user_id) for user_id in sorted(wanted)]
    db.session.add(group)
    db.session.flush()
    record(None, org, "scim.group_created", target=_target(group),
           data={"name": name, "members": [wanted[i].user.email for i in sorted(wanted)]})
    _sync_users(org, wanted)
    return group


def replace_group(org, group, resource):
    name = _check_display_name(org, resource.display_name, group)
    wanted = _wanted_members(org, resource)
    current = {link.user_id: link for link in group.members}
    added, removed = sorted(set(wanted) - set(current)), sorted(set(current) - set(wanted))
    before = {"name": group.display_name, "external_id": group.external_id}
    after = {"name": name, "external_id": resource.external_id}
    if before == after and not added and not removed:
        return group
    removed_emails = [current[i].user.email for i in removed]
    for user_id in removed:
        group.members.remove(current[user_id])
    for user_id in added:
        group.members.append(ScimGroupMember(user_id=user_id))
    group.display_name, group.external_id = name, resource.external_id
    group.updated_at = utcnow()
    db.session.flush()
    data = {"added": [wanted[i].user.email for i in added], "removed": removed_emails}
    if before != after:
        data.update(before=before, after=after)
    record(None, org, "scim.group_updated", target=_target(group), data=data)
    # a new name changes what the group maps to for everyone in it
    _sync_users(org, set(wanted) | set(removed) if before["name"] != name else set(added) | set(removed))
    return group


def delete_group(org, group):
    user_ids = {link.user_id for link in group.members}
    emails = sorted(link.user.email for link in group.members)
    record(None, org, "scim.group_deleted", target=_target(group), data={"name": group.display_name,
                                                                          "members": emails})
    db.session.delete(group)
    db.session.flush()
    _sync_users(org, user_ids)
