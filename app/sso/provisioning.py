"""People as the identity provider describes them: accounts, memberships, workspaces and project roles.

SAML sign-in, SCIM and LDAP all pass here, so a group means the same thing whichever way it arrives, and every
role given passes the organization's membership guards (the plugins rule among them).
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import AuthIdentity
from app.auth.services import create_user, normalize_email, user_by_email
from app.db import utcnow
from app.errors import Refused
from app.extensions import db
from app.orgs import services as org_services
from app.orgs.models import Workspace, WorkspaceMember
from app.projects.models import Project, ProjectMember, ProjectRole
from app.security.roles import Role
from app.sso.models import GroupMapping, SsoSettings

#: when several groups give one project different roles, the stronger one wins; None inherits the org role
_PROJECT_ROLE_RANK = {None: 0, ProjectRole.ANNOTATOR.value: 1, ProjectRole.REVIEWER.value: 2}


@dataclass(frozen=True)
class Rule:
    group: str
    kind: str
    role: Role | None = None
    workspace_id: int | None = None
    project_id: int | None = None
    project_role: str | None = None


@dataclass
class Resolution:
    """What a set of groups gives: ``role`` None when no group maps to an organization role."""

    role: Role | None
    workspace_ids: set
    project_roles: dict  # project id -> "annotator" | "reviewer" | None (inherit)


@dataclass
class Mapping:
    rules: list = field(default_factory=list)

    @classmethod
    def of_org(cls, org):
        rows = db.session.execute(GroupMapping.for_org(org).order_by(GroupMapping.id)).scalars()
        return cls([Rule(r.group_name, r.kind, r.role, r.workspace_id, r.project_id, r.project_role) for r in rows])

    def resolve(self, groups):
        groups = set(groups or ())
        role, workspaces, projects = None, set(), {}
        for rule in self.rules:
            if rule.group not in groups:
                continue
            if rule.kind == GroupMapping.KIND_ROLE and rule.role is not None:
                if role is None or rule.role.rank > role.rank:
                    role = rule.role
            elif rule.kind == GroupMapping.KIND_WORKSPACE and rule.workspace_id is not None:
                workspaces.add(rule.workspace_id)
            elif rule.kind == GroupMapping.KIND_PROJECT and rule.project_id is not None:
                current = projects.get(rule.project_id, "unset")
                if current == "unset" or _PROJECT_ROLE_RANK[rule.project_role] > _PROJECT_ROLE_RANK[current]:
                    projects[rule.project_id] = rule.project_role
        return Resolution(role, workspaces, projects)

    @property
    def managed_workspace_ids(self):
        return {r.workspace_id for r in self.rules if r.kind == GroupMapping.KIND_WORKSPACE}

    @property
    def managed_project_ids(self):
        return {r.project_id for r in self.rules if r.kind == GroupMapping.KIND_PROJECT}


@dataclass
class Profile:
    """A person as a source describes them. ``groups`` None: the source says nothing about groups."""

    email: str
    first_name: str = ""
    last_name: str = ""
    groups: list | None = None

    @property
    def name(self):
        return " ".join(p for p in (self.first_name.strip(), self.last_name.strip()) if p)


def settings_of(org):
    """The organization's single sign-on settings row, created (switched off) on first use."""
    row = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none()
    if row is None:
        row = SsoSettings(org_id=org.id)
        db.session.add(row)
        db.session.flush()
    return row


def roles_managed_in_tessera(org):
    row = db.session.execute(SsoSettings.for_org(org)).scalar_one_or_none()
    return bool(row and row.manage_roles_in_tessera)


# Accounts -------------------------------------------------------------------------------------------------

def identity_user(provider, identifier):
    identity = _identity(provider, identifier)
    return identity.user if identity is not None else None


def _identity(provider, identifier):
    return db.session.execute(
        select(AuthIdentity).where(AuthIdentity.provider == provider, AuthIdentity.identifier == identifier)
    ).scalar_one_or_none()


def link_identity(org, user, provider, identifier):
    """Remember that ``provider`` calls ``user`` ``identifier`` (kept apart from the account)."""
    identity = _identity(provider, identifier)
    if identity is None:
        identity = AuthIdentity(user_id=user.id, provider=provider, identifier=identifier)
        db.session.add(identity)
        db.session.flush()
        record(None, org, "sso.identity_linked", target=user, data={"provider": provider, "identifier": identifier})
    elif identity.user_id != user.id:
        raise Refused("This sign-in belongs to another account.")
    return identity


def find_or_create_user(org, profile):
    """The account with the profile's address, created without a password when there is none."""
    email = normalize_email(profile.email)
    user = user_by_email(email)
    if user is None:
        user = create_user(None, email, name=profile.name, org=org)
        user.first_name, user.last_name = profile.first_name[:100], profile.last_name[:100]
        db.session.flush()
    return user


def update_names(org, user, profile):
    """Take the source's names when it gives any; audited only when something changed."""
    if not (profile.first_name or profile.last_name):
        return
    after = {"first_name": profile.first_name[:100], "last_name": profile.last_name[:100], "name": profile.name[:200]}
    before = {"first_name": user.first_name, "last_name": user.last_name, "name": user.name}
    if before == after:
        return
    user.first_name, user.last_name, user.name = after["first_name"], after["last_name"], after["name"]
    db.session.flush()
    record(None, org, "user.updated", target=user, data={"before": before, "after": after})


# Memberships ----------------------------------------------------------------------------------------------

def ensure_member(org, user, role):
    """The membership, created with ``role`` or moved to it (the Owner's role never moves this way)."""
    member = org_services.member_of(org, user)
    if member is None:
        return org_services._add_member(None, org, user, role)
    if member.role != Role.OWNER and member.role != role:
        org_services.change_role(None, org, member, role)
    return member


def apply_groups(org, user, member, groups, mapping=None):
    """Role, mapped workspaces and mapped project roles from ``groups``; nothing when roles are managed here.

    A group set with no role group keeps the person's role (the identity provider said nothing about it).
    Workspaces and projects that no group maps are never touched.
    """
    if roles_managed_in_tessera(org):
        return member
    mapping = mapping or Mapping.of_org(org)
    return _apply(org, user, member, mapping.resolve(groups), mapping)


def _apply(org, user, member, wanted, mapping):
    """``wanted`` (a Resolution of ``mapping``) applied: the membership is created when ``member`` is None."""
    if wanted.role is not None:
        member = ensure_member(org, user, wanted.role)
    if not member.role.is_working:
        return member
    _sync_workspaces(org, user, wanted.workspace_ids, mapping.managed_workspace_ids)
    _sync_projects(org, user, wanted.project_roles, mapping.managed_project_ids)
    return member


def _sync_workspaces(org, user, wanted, managed):
    current = set(db.session.execute(
        select(WorkspaceMember.workspace_id).join(Workspace, Workspace.id == WorkspaceMember.workspace_id)
        .where(WorkspaceMember.user_id == user.id, Workspace.org_id == org.id)
    ).scalars())
    for workspace_id in sorted(wanted - current):
        workspace = db.session.get(Workspace, workspace_id)
        if workspace is not None and workspace.org_id == org.id:
            org_services.add_workspace_member(None, org, workspace, user)
    for workspace_id in sorted((current & managed) - wanted):
        org_services.remove_workspace_member(None, org, db.session.get(Workspace, workspace_id), user)


def _sync_projects(org, user, wanted, managed):
    from app.projects import services as project_services

    links = {link.project_id: link for link in db.session.execute(
        select(ProjectMember).join(Project, Project.id == ProjectMember.project_id)
        .where(ProjectMember.user_id == user.id, Project.org_id == org.id)
    ).scalars()}
    for project_id, role in sorted(wanted.items()):
        project = db.session.get(Project, project_id)
        if project is None or project.org_id != org.id:
            continue
        link = links.get(project_id)
        if link is None:
            project_services.add_project_member(None, project, user, role)
        elif (link.role.value if link.role else None) != role:
            project_services.change_project_role(None, project, link, role)
    for project_id in sorted((set(links) & managed) - set(wanted)):
        project_services.remove_project_member(None, links[project_id].project, links[project_id])


def deprovision(org, member):
    """The identity provider removed the person: Deactivated, every annotation and audit entry kept."""
    if member.role == Role.OWNER:
        raise Refused("The Owner cannot be deprovisioned; transfer ownership first.")
    if member.role != Role.DEACTIVATED:
        org_services.change_role(None, org, member, Role.DEACTIVATED)
    if member.deprovisioned_at is None:
        member.deprovisioned_at = utcnow()
        db.session.flush()
        record(None, org, "member.deprovisioned", target=member.user, data={"via": "scim"})
    return member


# Sign-in through an identity provider or a directory ------------------------------------------------------

def sign_in(org, profile, provider, identifier, mapping=None, method="saml"):
    """Provision and return the person signing in; ``Refused`` says, in words for them, why not.

    The first sign-in creates the account and membership from the mapped groups; later ones update the name and,
    unless roles are managed in Tessera, role, workspaces and project roles.
    """
    mapping = mapping or Mapping.of_org(org)
    wanted = mapping.resolve(profile.groups)
    user = identity_user(provider, identifier) or user_by_email(profile.email)
    member = org_services.member_of(org, user) if user is not None else None
    if user is not None and not user.is_active:
        raise Refused("This account is disabled. Ask your administrator to enable it.")
    managed_here = roles_managed_in_tessera(org)
    if member is None and wanted.role is None:
        raise Refused(f"None of your groups gives you a role in {org.name}. Ask your administrator to add you to a "
                      f"group that is mapped to a role.")
    if member is not None and member.role == Role.DEACTIVATED and (managed_here or wanted.role in (None, Role.DEACTIVATED)):
        raise Refused(f"Your membership of {org.name} is deactivated. Ask your administrator to reactivate it.")
    if wanted.role == Role.DEACTIVATED and (member is None or not managed_here):
        raise Refused(f"Your groups deactivate you in {org.name}. Ask your administrator.")
    if user is None:
        user = find_or_create_user(org, profile)
    link_identity(org, user, provider, identifier)
    update_names(org, user, profile)
    if member is None or not managed_here:
        # a newcomer takes the mapped role even when roles are managed here: they need one to join
        member = _apply(org, user, member, wanted, mapping)
    now = utcnow()
    _identity(provider, identifier).last_login_at = now
    user.last_login_at = now
    user.active_org_id = org.id
    record(user, org, "auth.login_succeeded", target=user, data={"method": method, "provider": provider})
    return user, member
