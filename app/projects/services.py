"""Changing projects: creation, settings, the labeling configuration, members, deletion. Each change is audited."""
import re

from sqlalchemy import delete, func, select

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.orgs.models import Workspace
from app.orgs.services import WORKSPACE_DELETE_GUARDS, member_of, working_members
from app.projects.access import project_org
from app.projects.models import Assignment, Ordering, Project, ProjectMember, ProjectRole, SkipQueue

DEFAULT_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>"""

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

#: setting -> (check, message): what each settings section may change and how a value is judged
SETTINGS = {
    "title": (lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 200, "Give the project a title of up to 200 characters."),
    "description": (lambda v: isinstance(v, str) and len(v) <= 10_000, "Keep the description under 10,000 characters."),
    "color": (lambda v: isinstance(v, str) and COLOR.match(v) is not None, "Pick a colour as #rrggbb."),
    "instructions": (lambda v: isinstance(v, str) and len(v) <= 100_000, "Keep the instructions under 100,000 characters."),
    "show_instructions": (lambda v: isinstance(v, bool), "Must be true or false."),
    "is_published": (lambda v: isinstance(v, bool), "Must be true or false."),
    "assignment": (lambda v: v in set(Assignment), "Choose automatic or manual assignment."),
    "ordering": (lambda v: v in set(Ordering), "Choose an ordering: by id, random or prediction uncertainty."),
    "reservation_minutes": (lambda v: _int_in(v, 1, 1440), "Reserve tasks for 1 to 1440 minutes."),
    "skip_queue": (lambda v: v in set(SkipQueue), "Choose what happens to skipped tasks."),
    "allow_skip": (lambda v: isinstance(v, bool), "Must be true or false."),
    "require_skip_comment": (lambda v: isinstance(v, bool), "Must be true or false."),
    "allow_empty_annotations": (lambda v: isinstance(v, bool), "Must be true or false."),
    "reveal_preannotations": (lambda v: isinstance(v, bool), "Must be true or false."),
    "show_dm_to_annotators": (lambda v: isinstance(v, bool), "Must be true or false."),
    "overlap": (lambda v: _int_in(v, 1, 100), "Overlap is 1 to 100 annotations per task."),
    "overlap_percentage": (lambda v: _int_in(v, 1, 100), "Apply the overlap to 1 to 100 % of tasks."),
    "show_overlap_first": (lambda v: isinstance(v, bool), "Must be true or false."),
    "limit_count": (lambda v: v is None or _int_in(v, 1, 10_000_000), "A limit is a positive number of tasks, or empty."),
    "limit_percent": (lambda v: v is None or _int_in(v, 1, 100), "A percentage limit is 1 to 100, or empty."),
    "agreement_settings": (lambda v: isinstance(v, dict), "Agreement settings are an object."),
    "review_settings": (lambda v: isinstance(v, dict), "Review settings are an object."),
    "model_version": (lambda v: isinstance(v, str) and len(v) <= 200, "Keep the model version under 200 characters."),
}


def _int_in(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _audit_value(value):
    return value.value if hasattr(value, "value") else value


def parse_label_config(xml, data_keys=None):
    """The parsed configuration, or a refusal on ``label_config`` listing every located error."""
    from app.labeling_config import ConfigInvalid, parse_config

    try:
        return parse_config(xml, data_keys=data_keys)
    except ConfigInvalid as exc:
        raise Refused("; ".join(str(error) for error in exc.errors), "label_config") from None


def create_project(actor, org, workspace, title, label_config=DEFAULT_CONFIG, **settings):
    """A new project in ``workspace``; its creator is recorded and, if an Annotator or Reviewer, not added."""
    if workspace is None or workspace.org_id != org.id:
        raise Refused("Choose a workspace of this organization.", "workspace")
    parse_label_config(label_config)
    project = Project(org_id=org.id, workspace_id=workspace.id, title="", label_config=label_config,
                      created_by_id=getattr(actor, "id", None))
    _apply(project, {"title": title, **settings})
    project.title = project.title.strip()
    db.session.add(project)
    db.session.flush()
    record(actor, org, "project.created", target=project,
           data={"after": {"title": project.title, "workspace": workspace.name}})
    return project



def _apply(project, changes):
    """Check every change first, so a refused one leaves the project untouched."""
    for key, value in changes.items():
        if key not in SETTINGS:
            raise Refused(f"{key} is not a project setting.", key)
        check, message = SETTINGS[key]
        if not check(value):
            raise Refused(message, key)
    before = {}
    for key, value in changes.items():
        if key == "title":
            value = value.strip()
        old = getattr(project, key)
        if old != value:
            before[key] = _audit_value(old)
            setattr(project, key, value)
    return before


def update_project(actor, project, **changes):
    """Change settings (any of ``SETTINGS``); audited with the before and after values of what changed."""
    before = _apply(project, changes)
    if before:
        db.session.flush()
        after = {key: _audit_value(getattr(project, key)) for key in before}
        record(actor, project_org(project), "project.updated", target=project,
               data={"before": before, "after": after})
    return project


def move_project(actor, project, workspace):
    if workspace is None or workspace.org_id != project.org_id:
        raise Refused("Choose a workspace of this organization.", "workspace")
    if workspace.id != project.workspace_id:
        before = project.workspace.name
        project.workspace_id = workspace.id
        db.session.flush()
        record(actor, project_org(project), "project.updated", target=project,
               data={"before": {"workspace": before}, "after": {"workspace": workspace.name}})
    return project


def task_data_keys(project):
    """Every data key of the project's tasks (for checking a configuration's $variables); None without tasks."""
    from app.tasks.models import Task

    rows = db.session.execute(select(Task.data).where(Task.project_id == project.id).limit(1000)).scalars().all()
    if not rows:
        return None
    keys = set()
    for data in rows:
        keys.update(data.keys())
    return keys


def label_counts(project):
    """``{control name: Counter(value -> annotations using it)}`` over every annotation of the project."""
    from collections import Counter

    from app.tasks.models import Annotation

    counts = {}
    results = db.session.execute(select(Annotation.result).where(Annotation.project_id == project.id)).scalars()
    for result in results:
        for region in result or ():
            if not isinstance(region, dict) or "from_name" not in region:
                continue
            values = counts.setdefault(region["from_name"], Counter())
            value = region.get("value") or {}
            for key in ("choices", "labels", "rectanglelabels", "taxonomy"):
                for item in value.get(key) or ():
                    # Taxonomy paths are lists; their leaves are what the configuration must still offer.
                    values.update(item if isinstance(item, list) else [item])
    return counts


def used_labels(project):
    """``{control name: {values used}}``: what a new configuration must keep."""
    return {name: set(counter) for name, counter in label_counts(project).items()}


def set_label_config(actor, project, xml):
    """Replace the configuration; refused while it drops a control or label that annotations still use."""
    from app.labeling_config import removed_in_use

    new = parse_label_config(xml, data_keys=task_data_keys(project))
    old = parse_label_config(project.label_config)
    problems = removed_in_use(old, new, used_labels(project))
    if problems:
        raise Refused(" ".join(problems), "label_config")
    if xml != project.label_config:
        before = project.label_config
        project.label_config = xml
        db.session.flush()
        record(actor, project_org(project), "project.config_changed", target=project,
               data={"before": {"label_config": before}, "after": {"label_config": xml}})
    return new


def delete_project(actor, project, typed_title):
    if (typed_title or "").strip() != project.title:
        raise Refused("Type the project's title exactly to delete it.", "confirm")
    record(actor, project_org(project), "project.deleted", target=project,
           data={"before": {"title": project.title}, "tasks": count_tasks(project)})
    db.session.delete(project)
    db.session.flush()


def count_tasks(project):
    from app.tasks.models import Task

    return db.session.execute(select(func.count(Task.id)).where(Task.project_id == project.id)).scalar()


def drop_all_tasks(actor, project):
    """Delete every task with its annotations and predictions."""
    from app.tasks.models import Task

    count = count_tasks(project)
    db.session.execute(delete(Task).where(Task.project_id == project.id))
    db.session.flush()
    record(actor, project_org(project), "tasks.deleted", target=project, data={"count": count, "all": True})
    return count


# Members --------------------------------------------------------------------------------------------------

def project_members(project):
    return db.session.execute(
        select(ProjectMember).where(ProjectMember.project_id == project.id).order_by(ProjectMember.id)
    ).scalars().all()


def add_project_member(actor, project, user, role=None):
    """Add an active member of the organization; ``role`` (annotator/reviewer) overrides theirs in this project."""
    org = project_org(project)
    member = member_of(org, user)
    if member is None or not member.role.is_working:
        raise Refused("Only active members of the organization can be added to a project.", "user")
    if role is not None:
        role = _project_role(role)
    exists = db.session.execute(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    ).scalar_one_or_none()
    if exists is not None:
        raise Refused(f"{user.email} is already a member of this project.", "user")
    link = ProjectMember(project_id=project.id, user_id=user.id, role=role, created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    record(actor, org, "project.member_added", target=user,
           data={"project": project.id, "role": role.value if role else None})
    return link


def _project_role(role):
    try:
        return ProjectRole(role)
    except ValueError:
        raise Refused("A project role is annotator or reviewer.", "role") from None


def change_project_role(actor, project, link, role):
    role = _project_role(role) if role else None
    before = link.role.value if link.role else None
    link.role = role
    db.session.flush()
    record(actor, project_org(project), "project.member_role_changed", target=link.user,
           data={"project": project.id, "before": {"role": before}, "after": {"role": role.value if role else None}})
    return link


def remove_project_member(actor, project, link):
    record(actor, project_org(project), "project.member_removed", target=link.user, data={"project": project.id})
    db.session.delete(link)
    db.session.flush()


def member_candidates(project):
    """Active members of the organization who are not yet in the project."""
    return working_members(project_org(project),
                           select(ProjectMember.user_id).where(ProjectMember.project_id == project.id))


def _workspace_holds_projects(workspace: Workspace):
    count = db.session.execute(select(func.count(Project.id)).where(Project.workspace_id == workspace.id)).scalar()
    if count:
        return f"The workspace still holds {count} project{'s' if count != 1 else ''}; move or delete them first."
    return None


WORKSPACE_DELETE_GUARDS.append(_workspace_holds_projects)
