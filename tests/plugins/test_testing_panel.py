"""The plugin panel's testing section over HTTP: the sample tasks in the panel, and the testing frame (the labeling
page in testing mode for a project task or a pasted one): its gate, tenancy, refusals and its own framing policy."""
import json
import re

import pytest

from app.db import utcnow
from app.orgs.services import add_workspace_member, create_workspace
from app.plugins import stack
from app.projects.services import add_project_member
from app.tasks.editing import create_task
from tests.conftest import hx

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""


@pytest.fixture
def project(db, people, dummy_org, create_project):
    owner = people["owner"]
    workspace = create_workspace(owner, dummy_org, "Labeling")
    add_workspace_member(owner, dummy_org, workspace, people["manager"])
    project = create_project(dummy_org, owner, title="Sentiment", workspace=workspace, is_published=True,
                             label_config=CONFIG)
    add_project_member(owner, project, people["annotator"])
    add_project_member(owner, project, people["reviewer"])
    dummy_org.plugins_enabled_at = utcnow()
    db.session.commit()
    return project


@pytest.fixture
def tasks(db, project, people):
    made = [create_task(people["owner"], project, {"text": f"Sample number {n}"}) for n in range(3)]
    db.session.commit()
    return made


@pytest.fixture
def plugin(db, project, people):
    made = stack.create_plugin(people["owner"], project, "Blocker", code="LSI.on('beforeSaveAnnotation', () => false);\n")
    db.session.commit()
    return made


def _frame(project, tail=""):
    return f"/o/acme/projects/{project.id}/plugins/testing/frame{tail}"


def _state(body):
    match = re.search(r'<script type="application/json" id="lsf-state">(.*?)</script>', body, re.S)
    assert match, body[:500]
    return json.loads(match.group(1))


def test_the_panel_offers_the_testing_section_with_sample_tasks(db, project, tasks, plugin, owner_client):
    body = owner_client.get(f"/o/acme/projects/{project.id}/plugins", headers=hx()).get_data(as_text=True)
    assert 'id="plugin-testing"' in body and "js/plugins/testing.js" in body
    assert f'action="{_frame(project)}"' in body and 'target="plugin-testing-frame"' in body
    for task in tasks:
        assert f'<option value="{task.id}">#{task.inner_id} {{&#34;text&#34;: &#34;Sample number' in body
    for event in ("beforeSaveAnnotation", "skipTask", "regionFinishedDrawing", "acceptAnnotation", "rejectAnnotation"):
        assert f'data-fire="{event}"' in body


def test_the_panel_offers_at_most_twenty_sample_tasks_with_short_previews(db, project, plugin, people, owner_client):
    for n in range(25):
        create_task(people["owner"], project, {"text": f"task {n} " + "long " * 40})
    db.session.commit()
    body = owner_client.get(f"/o/acme/projects/{project.id}/plugins", headers=hx()).get_data(as_text=True)
    section = body[body.index('id="plugin-testing-task"'):body.index("</select>")]
    options = re.findall(r"<option value=\"\d+\">(.*?)</option>", section)
    assert len(options) == 20
    assert all(len(o.replace("&#34;", '"')) < 80 and o.endswith("\u2026") for o in options)


def test_no_testing_section_without_plugins(db, project, tasks, owner_client):
    body = owner_client.get(f"/o/acme/projects/{project.id}/plugins", headers=hx()).get_data(as_text=True)
    assert 'id="plugin-panel"' in body and 'id="plugin-testing"' not in body


def test_the_frame_renders_a_project_task_in_testing_mode(db, project, tasks, plugin, owner_client):
    second = tasks[1]
    response = owner_client.get(_frame(project, f"?task={second.id}"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    state = _state(body)
    assert state["testing"] is True
    assert state["task"] == {"id": second.id, "inner_id": second.inner_id, "data": {"text": "Sample number 1"}}
    # nothing to save to: no submit, update, skip or draft address, no annotation, no draft
    assert state["urls"] == {} and state["annotations"] == [] and state["draft"] is None
    assert [p["title"] for p in state["plugins"]] == ["Blocker"] and state["plugins"][0]["frame_url"]
    assert "Sample number 1" in body and "js/plugins/runtime.js" in body and "js/labeling/editor.js" in body
    # it may be framed by Tessera's own pages only, and keeps the page's strict script policy
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "frame-ancestors 'none'" not in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-eval" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    # without a task named, the project's first task
    assert _state(owner_client.get(_frame(project)).get_data(as_text=True))["task"]["id"] == tasks[0].id


def test_only_enabled_plugins_run_in_the_frame(db, project, tasks, plugin, people, owner_client):
    other = stack.create_plugin(people["owner"], project, "Off one", code="x();\n")
    stack.switch(people["owner"], other, False)
    db.session.commit()
    state = _state(owner_client.get(_frame(project, f"?task={tasks[0].id}")).get_data(as_text=True))
    assert [p["title"] for p in state["plugins"]] == ["Blocker"]


@pytest.mark.parametrize("pasted", [{"data": {"text": "Pasted text"}}, {"text": "Pasted text"}])
def test_a_pasted_task_runs_instead_of_the_sample(db, project, tasks, plugin, owner_client, pasted):
    response = owner_client.post(_frame(project), data={"task": str(tasks[0].id), "data": json.dumps(pasted)})
    assert response.status_code == 200
    state = _state(response.get_data(as_text=True))
    assert state["testing"] is True and state["task"] == {"id": None, "inner_id": "pasted", "data": {"text": "Pasted text"}}
    assert "Pasted text" in response.get_data(as_text=True)


@pytest.mark.parametrize(("pasted", "message"), [
    ("{not json", "The pasted task is not valid JSON"),
    ("[1, 2]", "Paste a JSON object"),
    ('"text"', "Paste a JSON object"),
])
def test_a_pasted_task_that_cannot_be_read_is_refused(db, project, tasks, plugin, owner_client, pasted, message):
    response = owner_client.post(_frame(project), data={"data": pasted})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'id="lsf-state"' not in body


def test_a_project_without_tasks_asks_for_a_pasted_one(db, project, plugin, owner_client):
    response = owner_client.get(_frame(project))
    assert response.status_code == 422 and "paste one" in response.get_data(as_text=True)


def test_an_invalid_configuration_is_refused(db, project, tasks, plugin, owner_client):
    project.label_config = "<View><Nope/></View>"
    db.session.commit()
    response = owner_client.get(_frame(project, f"?task={tasks[0].id}"))
    assert response.status_code == 422 and "not valid" in response.get_data(as_text=True)


def test_a_task_of_another_project_is_not_found(db, project, tasks, plugin, people, dummy_org, create_project,
                                                owner_client):
    elsewhere = create_project(dummy_org, people["owner"], title="Elsewhere", label_config=CONFIG)
    foreign = create_task(people["owner"], elsewhere, {"text": "not yours"})
    db.session.commit()
    assert owner_client.get(_frame(project, f"?task={foreign.id}")).status_code == 404
    assert owner_client.get(_frame(project, "?task=abc")).status_code == 404
    assert owner_client.get(_frame(project, "?task=999999")).status_code == 404


def test_plugins_off_means_no_frame(db, project, tasks, plugin, dummy_org, owner_client):
    dummy_org.plugins_enabled_at = None
    db.session.commit()
    assert owner_client.get(_frame(project, f"?task={tasks[0].id}")).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("admin", 200), ("manager", 200),
                                              ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_the_frame_is_gated_like_the_panel(db, project, tasks, plugin, people, client_for, role, status):
    client = client_for(people[role])
    assert client.get(_frame(project, f"?task={tasks[0].id}")).status_code == status
    pasted = client.post(_frame(project), data={"data": '{"text": "x"}'})
    assert pasted.status_code == status


def test_another_organizations_project_is_not_found(db, project, tasks, plugin, people, create_project,
                                                    owner_client, outsider_client):
    theirs = create_project(people["other_org"], people["outsider"], title="Theirs", label_config=CONFIG)
    people["other_org"].plugins_enabled_at = utcnow()
    their_task = create_task(people["outsider"], theirs, {"text": "secret"})
    db.session.commit()
    # their project through our organization, and ours through theirs
    assert owner_client.get(f"/o/acme/projects/{theirs.id}/plugins/testing/frame?task={their_task.id}").status_code == 404
    assert outsider_client.get(f"/o/other/projects/{project.id}/plugins/testing/frame?task={tasks[0].id}").status_code == 404
