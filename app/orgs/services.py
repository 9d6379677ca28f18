"""Organizations, memberships, invitations and workspaces: every change audited in the same transaction."""
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.models import User
from app.auth.services import create_user, normalize_email, token_digest, user_by_email
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.orgs.models import Invitation, Organization, OrgMember, Workspace, WorkspaceMember
from app.security.permissions import object_rule
from app.security.roles import ASSIGNABLE_ROLES, INVITABLE_ROLES, Role, parse_role

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({"new", "admin", "api", "static"})

#: callables (org, user, role) -> message or None, run before someone gains a working role;
#: later domains (the plugins rule) register theirs here
MEMBERSHIP_GUARDS = []
#: callables (workspace) -> message or None, run before a workspace is deleted
WORKSPACE_DELETE_GUARDS = []
#: the name of each person's private workspace
SANDBOX_NAME = "Sandbox"


def slugify(text):
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:63].strip("-")
    return slug or "org"


# Organizations --------------------------------------------------------------------------------------------

def create_org(actor, name, owner, slug=None):
    """Create an organization with ``owner`` as its Owner and a first workspace."""
    name = (name or "").strip()
    if not name:
        raise Refused("Give the organization a name.", "name")
    slug = (slug or "").strip().lower() or slugify(name)
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise Refused("The short name may use lower-case letters, digits and dashes (not at either end).", "slug")
    if db.session.execute(select(Organization.id).where(Organization.slug == slug)).first():
        raise Refused(f"The short name {slug!r} is taken.", "slug")
    org = Organization(name=name, slug=slug, created_by_id=getattr(actor, "id", None))
    db.session.add(org)
    db.session.flush()
    record(actor, org, "org.created", target=org, data={"after": {"name": name, "slug": slug, "owner": owner.email}})
    _add_member(actor, org, owner, Role.OWNER)
    create_workspace(actor or owner, org, "Default", _audit=True)
    if owner.active_org_id is None:
        owner.active_org_id = org.id
    return org


def rename_org(actor, org, name):
    """Change the organization's display name; its short name (in every URL) stays."""
    name = (name or "").strip()
    if not name:
        raise Refused("Give the organization a name.", "name")
    if len(name) > 200:
        raise Refused("Keep the name under 200 characters.", "name")
    if name == org.name:
        return org
    before = org.name
    org.name = name
    db.session.flush()
    record(actor, org, "org.updated", target=org, data={"before": {"name": before}, "after": {"name": name}})
    return org


def member_of(org, user):
    return db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == user.id)
    ).scalar_one_or_none()


def owner_of(org):
    return db.session.execute(
        select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.role == Role.OWNER)
    ).scalar_one()


def orgs_of(user):
    """Organizations where ``user`` holds a membership that is not deactivated, by name."""
    return db.session.execute(
        select(Organization, OrgMember.role)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user.id, OrgMember.role != Role.DEACTIVATED)
        .order_by(Organization.name)
    ).all()


def _run_membership_guards(org, user, role):
    """Every path that gives someone a working role passes here: adding (and a future provisioning path, which
    calls add_member), invitations (sent and accepted), reactivation and a pending member's first role."""
    if role.is_working:
        from app.plugins.access import check_member_allowed

        check_member_allowed(org, user, "role")
        for guard in MEMBERSHIP_GUARDS:
            message = guard(org, user, role)
            if message:
                raise Refused(message, "role")


def _add_member(actor, org, user, role):
    _run_membership_guards(org, user, role)
    member = OrgMember(org_id=org.id, user_id=user.id, role=role, created_by_id=getattr(actor, "id", None))
    db.session.add(member)
    db.session.flush()
    record(actor, org, "member.added", target=user, data={"after": {"role": role.value}})
    if user.active_org_id is None:
        user.active_org_id = org.id
    return member


def add_member(actor, org, user, role):
    """Add an existing account to ``org`` (operators' command and the site administration)."""
    role = parse_role(role)
    if role == Role.OWNER:
        raise Refused("An organization has exactly one Owner; transfer ownership instead.", "role")
    if member_of(org, user) is not None:
        raise Refused(f"{user.email} is already a member of {org.name}.", "email")
    return _add_member(actor, org, user, role)


# Roles ----------------------------------------------------------------------------------------------------

def _check_role_change(actor, member, role):
    if role == Role.OWNER:
        raise Refused("Nobody can be made Owner by a role change; the Owner can transfer ownership.", "role")
    if member.role == Role.OWNER:
        raise Refused("The Owner's role cannot be changed. The Owner can transfer ownership first.", "role")
    if member.user_id == getattr(actor, "id", None) and role == Role.DEACTIVATED:
        raise Refused("You cannot deactivate yourself.", "role")
    if role not in ASSIGNABLE_ROLES:
        raise Refused(f"{role.label} cannot be assigned.", "role")


def change_role(actor, org, member, role):
    """Give ``member`` a new role; deactivation keeps every annotation and audit entry."""
    role = parse_role(role)
    _check_role_change(actor, member, role)
    if role == member.role:
        return member
    if not member.role.is_working:
        _run_membership_guards(org, member.user, role)
    before = member.role
    member.role = role
    db.session.flush()
    if role == Role.DEACTIVATED:
        action = "member.deactivated"
    elif before == Role.DEACTIVATED:
        action = "member.reactivated"
    else:
        action = "member.role_changed"
    record(actor, org, action, target=member.user, data={"before": {"role": before.value}, "after": {"role": role.value}})
    return member


def change_roles(actor, org, members, role):
    """Bulk role change: every member is checked first, so either all change or none does."""
    role = parse_role(role)
    if not members:
        raise Refused("Select at least one member.", "members")
    for member in members:
        try:
            _check_role_change(actor, member, role)
        except Refused as exc:
            raise Refused(f"{member.user.email}: {exc.message}", "role") from None
        # Guards too, before anything changes, so the refused request shows nobody changed.
        if not member.role.is_working:
            _run_membership_guards(org, member.user, role)
    return [change_role(actor, org, member, role) for member in members]


def transfer_ownership(actor, org, new_owner):
    """Only the Owner hands ownership over; the previous Owner becomes an Admin."""
    current = owner_of(org)
    if current.user_id != actor.id:
        raise Refused("Only the Owner can transfer ownership.")
    if new_owner.id == current.id:
        raise Refused("You already own this organization.", "member_id")
    if not new_owner.role.is_working:
        raise Refused("Ownership can only go to an active member with a role.", "member_id")
    previous_role = new_owner.role
    current.role = Role.ADMIN
    db.session.flush()
    new_owner.role = Role.OWNER
    db.session.flush()
    record(
        actor, org, "org.owner_transferred", target=new_owner.user,
        data={"before": {"owner": current.user.email, "new_owner_role": previous_role.value},
              "after": {"owner": new_owner.user.email, "previous_owner_role": Role.ADMIN.value}},
    )
    return new_owner


def search_members(org, text=None, role=None):
    """Members of ``org`` matching a name/e-mail fragment and a role, as a select for pagination."""
    query = select(OrgMember).join(User, User.id == OrgMember.user_id).where(OrgMember.org_id == org.id)
    if text:
        # Typed % and _ are searched for literally, not as wildcards.
        escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.where(or_(func.lower(User.email).like(like, escape="\\"), func.lower(User.name).like(like, escape="\\")))
    if role:
        query = query.where(OrgMember.role == parse_role(role))
    return query.order_by(func.lower(User.email))


# Invitations ----------------------------------------------------------------------------------------------

def invite_by_email(actor, org, emails, role):
    """Invite each address with the role chosen up front; returns [(invitation, token)]. All or nothing."""
    role = parse_role(role)
    if role not in INVITABLE_ROLES:
        raise Refused(f"Invitations can give the roles {', '.join(r.label for r in INVITABLE_ROLES)}.", "role")
    addresses = [e for e in re.split(r"[,\s;]+", emails or "") if e] if isinstance(emails, str) else list(emails)
    if not addresses:
        raise Refused("Enter at least one e-mail address.", "emails")
    normalized = []
    for raw in addresses:
        try:
            email = normalize_email(raw)
        except Refused as exc:
            raise Refused(exc.message, "emails") from None
        existing = user_by_email(email)
        member = member_of(org, existing) if existing else None
        if member is not None:
            raise Refused(f"{email} is already a member ({member.role.label}).", "emails")
        if existing is not None:
            _run_membership_guards(org, existing, role)
        if db.session.execute(pending_invitations(org).where(Invitation.email == email)).first():
            raise Refused(f"{email} already has a pending invitation; revoke it to send a new one.", "emails")
        if email not in normalized:
            normalized.append(email)
    expires = utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"])
    issued = []
    for email in normalized:
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            org_id=org.id, kind=Invitation.KIND_EMAIL, email=email, role=role, token_hash=token_digest(token),
            expires_at=expires, created_by_id=actor.id,
        )
        db.session.add(invitation)
        db.session.flush()
        record(actor, org, "invitation.created", target=("invitation", invitation.id, email),
               data={"after": {"role": role.value}})
        issued.append((invitation, token))
    return issued


def join_link(actor, org):
    """The organization's current join link (created on first use)."""
    link = db.session.execute(
        select(Invitation).where(
            Invitation.org_id == org.id, Invitation.kind == Invitation.KIND_LINK, Invitation.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    return link or _new_join_link(actor, org)


def _new_join_link(actor, org):
    token = secrets.token_urlsafe(24)
    link = Invitation(org_id=org.id, kind=Invitation.KIND_LINK, role=Role.PENDING, token_hash=token_digest(token),
                      link_token=token, created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    return link


def reset_join_link(actor, org):
    """Kill the current join link and make a new one."""
    old = join_link(actor, org)
    old.revoked_at = utcnow()
    db.session.flush()
    new = _new_join_link(actor, org)
    record(actor, org, "join_link.reset", target=("invitation", new.id, "join link"), data={"revoked": old.id})
    return new


def find_invitation(token):
    """The invitation for ``token``; Refused with the reason when it is unknown, used, expired or reset."""
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == token_digest(token or ""))
    ).scalar_one_or_none()
    if invitation is None:
        raise Refused("This invitation link is not valid. Ask an administrator for a new one.")
    reason = invitation.refusal()
    if reason:
        raise Refused(reason)
    return invitation


def pending_invitations(org):
    """E-mail invitations of ``org`` that can still be accepted, newest first (a select)."""
    return (
        select(Invitation)
        .where(Invitation.org_id == org.id, Invitation.kind == Invitation.KIND_EMAIL, Invitation.used_at.is_(None),
               Invitation.revoked_at.is_(None), or_(Invitation.expires_at.is_(None), Invitation.expires_at > utcnow()))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )


def revoke_invitation(actor, org, invitation):
    """Withdraw an e-mail invitation that was not used yet."""
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
        record(actor, org, "invitation.revoked", target=("invitation", invitation.id, invitation.email))
    return invitation


def accept_invitation(token, user=None, email=None, name="", password=None):
    """Join through an invitation, creating the account first when ``user`` is None. Returns the membership."""
    invitation = find_invitation(token)
    org = invitation.org
    if user is None:
        if invitation.kind == Invitation.KIND_EMAIL:
            email = invitation.email
        user = create_user(None, email, name=name, password=password, org=org)
    if invitation.kind == Invitation.KIND_EMAIL and user.email != invitation.email:
        raise Refused(f"This invitation is for {invitation.email}; you are signed in as {user.email}.")
    member = member_of(org, user)
    if member is not None and member.role == Role.DEACTIVATED:
        raise Refused("Your membership in this organization was deactivated. Ask an administrator to reactivate it.")
    if invitation.kind == Invitation.KIND_EMAIL:
        invitation.used_at = utcnow()
        invitation.used_by_id = user.id
        if member is None:
            member = _add_member(user, org, user, invitation.role)
        elif member.role == Role.PENDING:
            change_role(user, org, member, invitation.role)
        record(user, org, "invitation.accepted", target=user, data={"invitation": invitation.id, "role": member.role.value})
    else:
        if member is None:
            member = _add_member(user, org, user, Role.PENDING)
            record(user, org, "join_link.joined", target=user, data={"invitation": invitation.id})
    user.active_org_id = org.id
    db.session.flush()
    return member


# Workspaces -----------------------------------------------------------------------------------------------

def create_workspace(actor, org, name, _audit=True):
    name = (name or "").strip()
    if not name:
        raise Refused("Give the workspace a name.", "name")
    if len(name) > 200:
        raise Refused("Keep the name under 200 characters.", "name")
    if _workspace_named(org, name) is not None:
        raise Refused(f"A workspace named {name!r} already exists.", "name")
    workspace = Workspace(org_id=org.id, name=name, created_by_id=getattr(actor, "id", None))
    db.session.add(workspace)
    db.session.flush()
    record(actor, org, "workspace.created", target=workspace, data={"after": {"name": name}})
    # The Manager who creates a workspace manages it.
    if actor is not None and (m := member_of(org, actor)) is not None and m.role == Role.MANAGER:
        db.session.add(WorkspaceMember(workspace_id=workspace.id, user_id=actor.id, created_by_id=actor.id))
        db.session.flush()
    return workspace


def _workspace_named(org, name):
    return db.session.execute(
        select(Workspace).where(
            Workspace.org_id == org.id, func.lower(Workspace.name) == name.lower(), Workspace.is_sandbox.is_(False)
        )
    ).scalar_one_or_none()


def rename_workspace(actor, org, workspace, name):
    name = (name or "").strip()
    if not name:
        raise Refused("Give the workspace a name.", "name")
    if len(name) > 200:
        raise Refused("Keep the name under 200 characters.", "name")
    other = _workspace_named(org, name)
    if other is not None and other.id != workspace.id:
        raise Refused(f"A workspace named {name!r} already exists.", "name")
    before = workspace.name
    workspace.name = name
    db.session.flush()
    record(actor, org, "workspace.renamed", target=workspace, data={"before": {"name": before}, "after": {"name": name}})
    return workspace


def delete_workspace(actor, org, workspace):
    """Delete an empty workspace; each registered guard may refuse (a workspace that still holds projects)."""
    if workspace.is_sandbox:
        raise Refused("A personal sandbox cannot be deleted.")
    for guard in WORKSPACE_DELETE_GUARDS:
        message = guard(workspace)
        if message:
            raise Refused(message)
    record(actor, org, "workspace.deleted", target=workspace, data={"before": {"name": workspace.name}})
    db.session.delete(workspace)
    db.session.flush()


def add_workspace_member(actor, org, workspace, user):
    if workspace.is_sandbox:
        raise Refused("A personal sandbox is private; it cannot be shared.", "user")
    member = member_of(org, user)
    if member is None or not member.role.is_working:
        raise Refused("Only active members of the organization can be added to a workspace.", "user")
    exists = db.session.execute(
        select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.user_id == user.id)
    ).scalar_one_or_none()
    if exists is not None:
        raise Refused(f"{user.email} is already in this workspace.", "user")
    link = WorkspaceMember(workspace_id=workspace.id, user_id=user.id, created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    record(actor, org, "workspace.member_added", target=user, data={"workspace": workspace.id, "workspace_name": workspace.name})
    return link


def remove_workspace_member(actor, org, workspace, user):
    link = db.session.execute(
        select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.user_id == user.id)
    ).scalar_one_or_none()
    if link is None:
        raise Refused(f"{user.email} is not in this workspace.", "user")
    db.session.delete(link)
    db.session.flush()
    record(actor, org, "workspace.member_removed", target=user,
           data={"workspace": workspace.id, "workspace_name": workspace.name})


def is_workspace_member(workspace, user):
    return db.session.execute(
        select(WorkspaceMember.id).where(WorkspaceMember.workspace_id == workspace.id, WorkspaceMember.user_id == user.id)
    ).first() is not None


def visible_workspaces(org, user, member):
    """Owners and Admins see every shared workspace; others those they belong to; sandboxes only their owner."""
    query = select(Workspace).where(Workspace.org_id == org.id)
    if member.role in (Role.OWNER, Role.ADMIN):
        query = query.where(or_(Workspace.is_sandbox.is_(False), Workspace.created_by_id == user.id))
    else:
        mine = select(WorkspaceMember.workspace_id).where(WorkspaceMember.user_id == user.id)
        query = query.where(
            or_((Workspace.id.in_(mine) | (Workspace.created_by_id == user.id)) & Workspace.is_sandbox.is_(False),
                Workspace.is_sandbox & (Workspace.created_by_id == user.id))
        )
    return db.session.execute(query.order_by(Workspace.is_sandbox, func.lower(Workspace.name))).scalars().all()


def ensure_sandbox(org, user):
    """The person's private "Sandbox" workspace, created (and audited) the first time they need it."""
    member = member_of(org, user)
    if member is None or not member.role.is_working:
        raise Refused("Only active members of the organization have a sandbox.")
    sandbox = db.session.execute(
        select(Workspace).where(Workspace.org_id == org.id, Workspace.is_sandbox.is_(True), Workspace.created_by_id == user.id)
        .order_by(Workspace.id)
    ).scalars().first()
    if sandbox is None:
        sandbox = Workspace(org_id=org.id, name=SANDBOX_NAME, is_sandbox=True, created_by_id=user.id)
        try:
            # A savepoint, so losing a race with another request for the same sandbox keeps this transaction.
            with db.session.begin_nested():
                db.session.add(sandbox)
        except IntegrityError:
            return ensure_sandbox(org, user)
        record(user, org, "workspace.created", target=sandbox, data={"after": {"name": SANDBOX_NAME, "sandbox": True}})
    return sandbox


def workspace_people(org, workspace):
    """The workspace's members with their organization role, by e-mail: [(user, role)]."""
    return db.session.execute(
        select(User, OrgMember.role)
        .join(WorkspaceMember, WorkspaceMember.user_id == User.id)
        .join(OrgMember, (OrgMember.user_id == User.id) & (OrgMember.org_id == org.id))
        .where(WorkspaceMember.workspace_id == workspace.id)
        .order_by(func.lower(User.email))
    ).all()


def working_members(org, excluding=None):
    """Active members of ``org`` by e-mail, less the user ids ``excluding`` (a subquery) selects."""
    query = select(User).join(OrgMember, OrgMember.user_id == User.id).where(
        OrgMember.org_id == org.id, OrgMember.role.in_([r for r in Role if r.is_working]))
    if excluding is not None:
        query = query.where(User.id.not_in(excluding))
    return db.session.execute(query.order_by(func.lower(User.email))).scalars().all()


def workspace_candidates(org, workspace):
    """Active members of ``org`` who are not yet in ``workspace``, by e-mail."""
    return working_members(org, select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == workspace.id))


@object_rule(Workspace)
def _workspace_rule(user, member, permission, workspace):
    if workspace.is_sandbox:
        return workspace.created_by_id == user.id
    if member.role in (Role.OWNER, Role.ADMIN):
        return True
    # Managers manage, and others see, only the workspaces they were added to (or created).
    return workspace.created_by_id == user.id or is_workspace_member(workspace, user)
