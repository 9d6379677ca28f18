"""Who sees which project, and the role a project gives its members."""
from sqlalchemy import exists, or_, select

from app.extensions import db
from app.orgs.models import Workspace, WorkspaceMember
from app.projects.models import Project, ProjectMember, ProjectRole
from app.security.permissions import object_rule, role_override
from app.security.roles import Role
from app.security.tenancy import once_per_request

#: project roles replace the organization role of these roles only; Managers and above keep theirs
OVERRIDABLE = frozenset({Role.ANNOTATOR, Role.REVIEWER})


def project_member(project, user):
    return db.session.execute(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    ).scalar_one_or_none()


@role_override(Project)
@once_per_request
def role_in_project(member, project):
    """Annotators and Reviewers may hold the other of the two roles in a given project."""
    if member.role not in OVERRIDABLE:
        return member.role
    link = project_member(project, member.user)
    if link is None or link.role is None:
        return member.role
    return Role.REVIEWER if link.role == ProjectRole.REVIEWER else Role.ANNOTATOR


def visible_projects_query(org, user, member):
    """Projects ``user`` may open in ``org``, as a select (callers add ordering, paging, filters).

    Owners and Admins see every project outside other people's sandboxes; Managers those of the workspaces
    they belong to or created and those they were added to; Annotators and Reviewers, the published ones of
    their workspaces and projects.
    """
    in_workspace = exists().where(WorkspaceMember.workspace_id == Project.workspace_id, WorkspaceMember.user_id == user.id)
    in_project = exists().where(ProjectMember.project_id == Project.id, ProjectMember.user_id == user.id)
    workspace = select(Workspace.id).where(Workspace.id == Project.workspace_id)
    others_sandbox = exists(workspace.where(Workspace.is_sandbox, Workspace.created_by_id != user.id))
    own_workspace = exists(workspace.where(Workspace.created_by_id == user.id))
    query = select(Project).where(Project.org_id == org.id, ~others_sandbox)
    if member.role in (Role.OWNER, Role.ADMIN):
        return query
    if member.role == Role.MANAGER:
        return query.where(or_(in_workspace, in_project, own_workspace, Project.created_by_id == user.id))
    return query.where(Project.is_published, or_(in_workspace, in_project))


@once_per_request
def can_see_project(user, member, project):
    query = visible_projects_query(project_org(project), user, member).where(Project.id == project.id)
    return db.session.execute(select(query.exists())).scalar()


def project_org(project):
    from app.orgs.models import Organization

    return db.session.get(Organization, project.org_id)


@object_rule(Project)
def _project_rule(user, member, permission, project):
    if permission == "tasks.view" and role_in_project(member, project) == Role.ANNOTATOR \
            and not project.show_dm_to_annotators:
        return False
    if permission == "plugins.edit" and project_org(project).plugin_editors == "admin" \
            and member.role not in (Role.OWNER, Role.ADMIN):
        return False
    return can_see_project(user, member, project)
