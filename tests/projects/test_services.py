import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import Refused
from app.projects import services
from app.projects.models import Assignment
from app.tasks.models import Annotation, Task


def _audit_actions(db, org):
    return (
        db.session.execute(select(AuditEntry.action).where(AuditEntry.org_id == org.id).order_by(AuditEntry.seq)).scalars().all()
    )


def _task(db, project, data, result=None):
    task = Task(
        project_id=project.id,
        inner_id=1 + db.session.execute(select(func.count(Task.id)).where(Task.project_id == project.id)).scalar(),
        data=data,
    )
    db.session.add(task)
    db.session.flush()
    if result is not None:
        db.session.add(Annotation(task_id=task.id, project_id=project.id, result=result))
        db.session.flush()
    return task


def test_create_is_audited_and_refuses_a_bad_configuration(db, dummy_org, people, create_project):
    project = create_project(dummy_org, people["owner"], title="  Reviews  ")
    assert project.title == "Reviews"
    assert "project.created" in _audit_actions(db, dummy_org)
    workspace = project.workspace
    with pytest.raises(Refused) as refused:
        services.create_project(people["owner"], dummy_org, workspace, "Broken", label_config="<View><Nope/></View>")
    assert refused.value.field == "label_config"
    assert "Nope" in refused.value.message


def test_create_refuses_another_organizations_workspace(db, dummy_org, people, create_project):
    other = create_project(people["other_org"], people["outsider"])
    with pytest.raises(Refused, match="workspace"):
        services.create_project(people["owner"], dummy_org, other.workspace, "Sneaky")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": " "}, "title"),
        ({"reservation_minutes": 0}, "reservation_minutes"),
        ({"reservation_minutes": 1441}, "reservation_minutes"),
        ({"overlap": 0}, "overlap"),
        ({"color": "red"}, "color"),
        ({"assignment": "whoever"}, "assignment"),
        ({"limit_percent": 101}, "limit_percent"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(db, dummy_project, people, changes, field):
    before = dummy_project.title, dummy_project.reservation_minutes
    with pytest.raises(Refused) as refused:
        services.update_project(people["owner"], dummy_project, **{"show_overlap_first": True, **changes})
    assert refused.value.field == field
    assert (dummy_project.title, dummy_project.reservation_minutes) == before
    assert dummy_project.show_overlap_first is False  # the valid change in the same call was not applied either


def test_update_audits_before_and_after(db, dummy_org, dummy_project, people):
    services.update_project(people["owner"], dummy_project, reservation_minutes=30, assignment=Assignment.MANUAL)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "project.updated")).scalars().one()
    assert entry.data["before"] == {"reservation_minutes": 1440, "assignment": "auto"}
    assert entry.data["after"] == {"reservation_minutes": 30, "assignment": "manual"}


def test_config_change_that_drops_a_used_label_is_refused(db, dummy_project, people):
    _task(
        db,
        dummy_project,
        {"text": "great"},
        [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}],
    )
    without_positive = dummy_project.label_config.replace('<Choice value="Positive"/>', "")
    with pytest.raises(Refused) as refused:
        services.set_label_config(people["owner"], dummy_project, without_positive)
    assert "Positive" in refused.value.message
    without_neutral = dummy_project.label_config.replace('<Choice value="Neutral"/>', "")
    services.set_label_config(people["owner"], dummy_project, without_neutral)
    assert "Neutral" not in dummy_project.label_config


def test_config_must_read_the_imported_data_keys(db, dummy_project, people):
    _task(db, dummy_project, {"text": "hello"})
    body_config = dummy_project.label_config.replace("$text", "$body")
    with pytest.raises(Refused, match="body"):
        services.set_label_config(people["owner"], dummy_project, body_config)


def test_delete_needs_the_exact_title(db, dummy_project, people):
    with pytest.raises(Refused):
        services.delete_project(people["owner"], dummy_project, "sentiment")
    services.delete_project(people["owner"], dummy_project, "Sentiment")
    assert db.session.get(type(dummy_project), dummy_project.id) is None


def test_drop_all_tasks(db, dummy_project, people):
    for text in ("a", "b"):
        _task(db, dummy_project, {"text": text})
    assert services.drop_all_tasks(people["owner"], dummy_project) == 2
    assert services.count_tasks(dummy_project) == 0


def test_project_members(db, dummy_project, people):
    link = services.add_project_member(people["owner"], dummy_project, people["annotator"], "reviewer")
    with pytest.raises(Refused, match="already"):
        services.add_project_member(people["owner"], dummy_project, people["annotator"])
    with pytest.raises(Refused, match="active members"):
        services.add_project_member(people["owner"], dummy_project, people["pending"])
    with pytest.raises(Refused, match="annotator or reviewer"):
        services.change_project_role(people["owner"], dummy_project, link, "owner")
    assert people["annotator"] not in services.member_candidates(dummy_project)
    services.remove_project_member(people["owner"], dummy_project, link)
    assert services.project_members(dummy_project) == []


def test_project_role_overrides_annotator_only(db, dummy_org, dummy_project, people):
    from app.orgs.services import member_of
    from app.security.permissions import can

    services.add_project_member(people["owner"], dummy_project, people["annotator"], "reviewer")
    services.add_project_member(people["owner"], dummy_project, people["manager"], "annotator")
    annotator = member_of(dummy_org, people["annotator"])
    manager = member_of(dummy_org, people["manager"])
    assert can(people["annotator"], annotator, "review.decide", dummy_project)
    assert not can(people["annotator"], annotator, "review.decide")
    assert can(people["manager"], manager, "projects.manage", dummy_project)


def test_workspace_holding_projects_cannot_be_deleted(db, dummy_org, dummy_project, people):
    from app.orgs.services import delete_workspace

    with pytest.raises(Refused, match="1 project"):
        delete_workspace(people["owner"], dummy_org, dummy_project.workspace)
