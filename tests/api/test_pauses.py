"""POST /api/projects/<id>/members/<user_id>/pauses: a person pauses themself, a Manager+ pauses anyone working in
the project; nobody reaches another organization's project; the labeling stream then refuses the paused person."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.labeling.distribution import limit_message
from app.orgs.services import add_workspace_member
from app.plugins.models import AnnotatorPause
from app.projects.services import add_project_member

BODY = {"reason": "CUSTOM_SCRIPT", "verbose_reason": "Same answer five times in a row"}


@pytest.fixture
def project(db, dummy_project, dummy_org, people):
    # the Manager manages the projects of the workspaces they belong to
    add_workspace_member(people["owner"], dummy_org, dummy_project.workspace, people["manager"])
    add_project_member(people["owner"], dummy_project, people["annotator"])
    add_project_member(people["owner"], dummy_project, people["reviewer"])
    db.session.commit()
    return dummy_project


def url(project, user):
    return f"/api/projects/{project.id}/members/{user.id}/pauses"


def pauses(db, project, user):
    return db.session.scalars(select(AnnotatorPause).where(AnnotatorPause.project_id == project.id,
                                                           AnnotatorPause.user_id == user.id)).all()


def test_an_annotator_pauses_themself_and_the_stream_refuses_them(db, client_for, people, project):
    annotator = people["annotator"]
    assert limit_message(project, annotator) is None
    response = client_for(annotator).post(url(project, annotator), json=BODY)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"] == annotator.id and body["project"] == project.id and body["paused_by"] == annotator.id
    assert body["reason"] == "CUSTOM_SCRIPT" and body["resumed_at"] is None
    [pause] = pauses(db, project, annotator)
    assert pause.verbose_reason == BODY["verbose_reason"]
    assert "Same answer five times" in limit_message(project, annotator)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "annotator.paused")).one()
    assert entry.actor_id == annotator.id and entry.target_id == str(annotator.id)
    assert entry.data["reason"] == "CUSTOM_SCRIPT" and entry.data["project_id"] == project.id


def test_an_annotator_may_not_pause_someone_else(db, client_for, people, project):
    response = client_for(people["annotator"]).post(url(project, people["reviewer"]), json=BODY)
    assert response.status_code == 403
    assert response.get_json()["status_code"] == 403
    assert pauses(db, project, people["reviewer"]) == []


def test_an_annotator_pausing_themself_gives_the_plugin_reason(db, client_for, people, project):
    annotator = people["annotator"]
    response = client_for(annotator).post(url(project, annotator), json={"reason": "MANUAL"})
    assert response.status_code == 400
    assert "reason" in response.get_json()["validation_errors"]
    assert pauses(db, project, annotator) == []


@pytest.mark.parametrize("role", ["manager", "admin", "owner"])
def test_a_manager_and_above_pause_anyone_in_the_project(db, client_for, people, project, role):
    annotator = people["annotator"]
    response = client_for(people[role]).post(url(project, annotator), json={"reason": "MANUAL", "verbose_reason": "x"})
    assert response.status_code == 201, response.get_data(as_text=True)
    [pause] = pauses(db, project, annotator)
    assert pause.paused_by_id == people[role].id and pause.reason == "MANUAL"


def test_a_manager_cannot_pause_someone_outside_the_organization(db, client_for, people, project):
    response = client_for(people["manager"]).post(url(project, people["outsider"]), json=BODY)
    assert response.status_code == 404
    assert pauses(db, project, people["outsider"]) == []


def test_another_organization_cannot_reach_the_project(db, client_for, people, project):
    outsider = people["outsider"]
    for target in (outsider, people["annotator"]):
        response = client_for(outsider).post(url(project, target), json=BODY)
        assert response.status_code == 404
        assert response.get_json()["status_code"] == 404
    assert db.session.scalars(select(AnnotatorPause)).all() == []


def test_bad_bodies_are_refused(db, client_for, people, project):
    client = client_for(people["annotator"])
    target = url(project, people["annotator"])
    assert client.post(target, json={}).status_code == 400
    assert client.post(target, json={"reason": "CUSTOM_SCRIPT", "verbose_reason": 5}).status_code == 400
    assert client.post(target, json={"reason": "CUSTOM_SCRIPT", "verbose_reason": "x" * 3000}).status_code == 400
    assert client.post(target, data="not json", content_type="application/json").status_code == 400
    assert pauses(db, project, people["annotator"]) == []


def test_a_browser_session_needs_the_csrf_token(db, client_for, people, project):
    annotator = people["annotator"]
    response = client_for(annotator).post(url(project, annotator), json=BODY, csrf=False)
    assert response.status_code in (400, 403)
    assert pauses(db, project, annotator) == []


def test_anonymous_callers_are_refused(db, client_for, people, project):
    response = client_for(None).post(url(project, people["annotator"]), json=BODY)
    assert response.status_code == 401
