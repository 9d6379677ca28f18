"""The Data Manager's changes: each person's saved view, and the bulk actions on a selection of tasks."""
from sqlalchemy import delete, func, select

from app.audit.services import record
from app.datamanager.models import DataManagerView
from app.errors import Refused
from app.extensions import db
from app.orgs.services import working_members
from app.projects.access import project_org
from app.tasks.models import Annotation, Task, TaskAssignment

#: audit entries list the ids of small selections only
AUDITED_IDS = 100


def saved_view(project, user):
    return db.session.execute(
        select(DataManagerView).where(DataManagerView.project_id == project.id, DataManagerView.user_id == user.id)
    ).scalar_one_or_none()


def save_view(project, user, columns=None, filters=None, ordering=None):
    """Remember what ``user`` chose to see in ``project``; None leaves a part as it was."""
    view = saved_view(project, user)
    if view is None:
        view = DataManagerView(project_id=project.id, user_id=user.id, columns=[], filters=[], ordering={})
        db.session.add(view)
    if columns is not None:
        view.columns = list(columns)
    if filters is not None:
        view.filters = list(filters)
    if ordering is not None:
        view.ordering = dict(ordering)
    db.session.flush()
    return view


class Selection:
    """The tasks a bulk action applies to: ticked ids, or every task matching the filters (a subquery)."""

    def __init__(self, project, ids=None, matching=None):
        self.project = project
        self.all_matching = matching is not None
        if matching is not None:
            self.ids_query = matching
        else:
            self.ids_query = select(Task.id).where(Task.project_id == project.id, Task.id.in_(list(ids or [])))

    def count(self):
        return db.session.execute(select(func.count()).select_from(self.ids_query.subquery())).scalar()

    def ids(self):
        return list(db.session.execute(self.ids_query.order_by(Task.id)).scalars())

    def audit_data(self, count, **extra):
        data = {"count": count, "all": self.all_matching, **extra}
        if count <= AUDITED_IDS:
            data["ids"] = self.ids()
        return data


def _checked(selection):
    count = selection.count()
    if not count:
        raise Refused("Select at least one task.", "task_ids")
    return count



def delete_tasks(actor, selection):
    """Delete the selected tasks with their annotations, predictions and assignments (database cascades)."""
    count = _checked(selection)
    project = selection.project
    record(actor, project_org(project), "tasks.deleted", target=project, data=selection.audit_data(count))
    db.session.execute(delete(Task).where(Task.project_id == project.id, Task.id.in_(selection.ids_query))
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return count


def delete_annotations(actor, selection):
    """Delete every annotation (skips too) of the selected tasks and recount their counters."""
    from app.tasks.editing import refresh_counters

    count = _checked(selection)
    project = selection.project
    ids = selection.ids()
    removed = db.session.execute(select(func.count(Annotation.id)).where(
        Annotation.project_id == project.id, Annotation.task_id.in_(selection.ids_query))).scalar()
    db.session.execute(delete(Annotation).where(Annotation.project_id == project.id,
                                                Annotation.task_id.in_(selection.ids_query))
                       .execution_options(synchronize_session=False))
    refresh_counters(ids)
    record(actor, project_org(project), "annotations.deleted", target=project,
           data={**selection.audit_data(count), "tasks": count, "count": removed})
    db.session.flush()
    return count, removed


def assignable_members(org):
    """The working members of ``org`` one may assign tasks to, by e-mail."""
    return working_members(org)


def assign(actor, selection, user_ids):
    """Assign the selected tasks to each chosen person for annotation; existing assignments are kept."""
    project = selection.project
    org = project_org(project)
    wanted = {int(i) for i in user_ids}
    people = {u.id: u for u in assignable_members(org) if u.id in wanted}
    if not wanted:
        raise Refused("Choose at least one person to assign.", "annotators")
    if len(people) != len(wanted):
        raise Refused("Choose working members of the organization.", "annotators")
    count = _checked(selection)
    ids = selection.ids()
    created = 0
    for user_id in sorted(people):
        # Only the missing rows are added, so assigning twice changes nothing.
        existing = set(db.session.execute(select(TaskAssignment.task_id).where(
            TaskAssignment.user_id == user_id, TaskAssignment.kind == "annotate",
            TaskAssignment.task_id.in_(selection.ids_query))).scalars())
        rows = [{"task_id": task_id, "project_id": project.id, "user_id": user_id, "kind": "annotate",
                 "created_by_id": getattr(actor, "id", None)} for task_id in ids if task_id not in existing]
        if rows:
            db.session.execute(TaskAssignment.__table__.insert(), rows)
        created += len(rows)
    record(actor, org, "tasks.assigned", target=project,
           data={**selection.audit_data(count), "users": [people[i].email for i in sorted(people)],
                 "created": created})
    db.session.flush()
    return count, created
