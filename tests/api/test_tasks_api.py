"""``/api/projects/<id>/import|export``, ``/api/tasks/``, ``/api/predictions/`` (api-compat §3, §4, §7, §8)."""
import io
import json
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.tasks.models import Prediction, Task
from tests.api.test_auth import assert_envelope
from tests.tasks import count_tasks, open_to_team

CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}
SPEC_ITEMS = [
    {"text": "I love it"},
    {"data": {"text": "wrapped form"}, "meta": {"src": "x"}},
    {"data": {"text": "with preds"}, "predictions": [{"model_version": "v1", "score": 0.9, "result": [CHOICE]}]},
    {"data": {"text": "with annotation"}, "annotations": [{"result": [CHOICE]}]},
]


@pytest.fixture
def project(db, dummy_project, people):
    return open_to_team(db, dummy_project, people)


@pytest.fixture
def owner_api(token_client, people):
    return token_client(people["owner"])


def _import(api, project, items=SPEC_ITEMS, query=""):
    return api.post(f"/api/projects/{project.id}/import{query}", json=items)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_import_json_body(db, owner_api, project, suffix):
    response = owner_api.post(f"/api/projects/{project.id}/import{suffix}?return_task_ids=true", json=SPEC_ITEMS)
    assert response.status_code == 201
    body = response.get_json()
    ids = db.session.execute(select(Task.id).where(Task.project_id == project.id).order_by(Task.id)).scalars().all()
    assert body["task_ids"] == ids and len(ids) == 4
    assert (body["task_count"], body["annotation_count"], body["prediction_count"]) == (4, 1, 1)
    assert body["file_upload_ids"] == [] and body["could_be_tasks_list"] is False
    assert body["found_formats"] == [] and body["data_columns"] == [] and isinstance(body["duration"], float)
    assert "task_ids" not in _import(owner_api, project).get_json()


def test_import_one_object(db, owner_api, project):
    response = _import(owner_api, project, {"data": {"text": "single"}})
    assert response.status_code == 201 and response.get_json()["task_count"] == 1


def test_import_refusal_is_400_and_imports_nothing(db, owner_api, project):
    response = _import(owner_api, project, [{"text": "ok"}, {"wrongkey": "x"}])
    envelope = assert_envelope(response, 400)
    (message,) = envelope["validation_errors"]["non_field_errors"]
    assert message == 'Line 1 (item 2): "text" key is expected in task data (found: wrongkey)'
    assert count_tasks(db, project) == 0


def test_import_files_under_any_field_name(db, owner_api, project):
    files = {"upload": (io.BytesIO(b'{"text": "a"}\n{"text": "b"}\n'), "tasks.jsonl"),
             "other": (io.BytesIO(b"text\nc\n"), "more.csv")}
    response = owner_api.post(f"/api/projects/{project.id}/import", data=files, content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json()["task_count"] == 3
    assert count_tasks(db, project) == 3


def test_import_bad_file_names_the_line(db, owner_api, project):
    content = b"\n".join([b'{"text": "x"}'] * 6 + [b'{"text": broken}'])
    files = {"file": (io.BytesIO(content), "tasks.jsonl")}
    response = owner_api.post(f"/api/projects/{project.id}/import", data=files, content_type="multipart/form-data")
    envelope = assert_envelope(response, 400)
    assert envelope["validation_errors"]["non_field_errors"][0].startswith("Line 7: not valid JSON")
    assert count_tasks(db, project) == 0


def test_import_several_files_names_the_bad_one(db, owner_api, project):
    files = {"a": (io.BytesIO(b'{"text": "a"}\n'), "good.jsonl"), "b": (io.BytesIO(b"body\nx\n"), "bad.csv")}
    response = owner_api.post(f"/api/projects/{project.id}/import", data=files, content_type="multipart/form-data")
    envelope = assert_envelope(response, 400)
    assert envelope["validation_errors"]["non_field_errors"][0].startswith('bad.csv: Line 2: "text" key is expected')
    assert count_tasks(db, project) == 0


def test_import_empty_body_and_commit_to_project(db, owner_api, project):
    envelope = assert_envelope(owner_api.post(f"/api/projects/{project.id}/import"), 400)
    assert envelope["validation_errors"] == {"non_field_errors": ["The file holds no tasks."]}
    response = _import(owner_api, project, query="?commit_to_project=false")
    assert response.status_code == 201 and response.get_json()["task_count"] == 4 and count_tasks(db, project) == 0


def test_import_predictions(db, owner_api, project):
    ids = _import(owner_api, project, query="?return_task_ids=1").get_json()["task_ids"]
    response = owner_api.post(f"/api/projects/{project.id}/import/predictions",
                              json=[{"task": ids[0], "model_version": "v3", "score": 0.7, "result": [CHOICE]}])
    assert response.status_code == 201 and response.get_json() == {"created": 1}
    bad = owner_api.post(f"/api/projects/{project.id}/import/predictions", json=[{"task": ids[0], "result": "x"}])
    assert_envelope(bad, 400)


@pytest.mark.parametrize("param", ["exportType", "export_type"])
def test_export(db, owner_api, project, param):
    _import(owner_api, project)
    response = owner_api.get(f"/api/projects/{project.id}/export?{param}=JSON")
    assert response.status_code == 200 and response.content_type.startswith("application/json")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="project-{project.id}-at-[\d-]+-[0-9a-f]{{8}}\.json"', disposition)
    assert [t["data"]["text"] for t in response.get_json()] == ["with annotation"]
    everything = owner_api.get(f"/api/projects/{project.id}/export?{param}=CSV&download_all_tasks=true")
    assert everything.get_data(as_text=True).count("\n") == 5
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "tasks.exported")).scalars().all()
    assert [e.data["format"] for e in entries] == ["JSON", "CSV"]


def test_export_by_ids_and_bad_format(db, owner_api, project):
    ids = _import(owner_api, project, query="?return_task_ids=1").get_json()["task_ids"]
    response = owner_api.get(f"/api/projects/{project.id}/export?ids[]={ids[0]}&ids[]={ids[1]}")
    assert [t["id"] for t in response.get_json()] == ids[:2]
    assert [t["id"] for t in owner_api.get(f"/api/projects/{project.id}/export?ids={ids[2]}").get_json()] == [ids[2]]
    assert_envelope(owner_api.get(f"/api/projects/{project.id}/export?exportType=COCO"), 400)
    formats = owner_api.get(f"/api/projects/{project.id}/export/formats").get_json()
    assert [f["name"] for f in formats if not f["disabled"]] == ["JSON", "JSON_MIN", "JSONL", "CSV", "TSV"]


def test_task_list_pages(db, owner_api, project):
    _import(owner_api, project)
    body = owner_api.get(f"/api/tasks/?project={project.id}&page=1&page_size=3").get_json()
    assert (body["total"], body["total_annotations"], body["total_predictions"]) == (4, 1, 1)
    assert [t["inner_id"] for t in body["tasks"]] == [1, 2, 3] and "annotations" not in body["tasks"][0]
    assert body["tasks"][0]["data"] == {"text": "I love it"} and body["tasks"][0]["overlap"] == 1
    second = owner_api.get(f"/api/tasks?project={project.id}&page=2&page_size=3&fields=all").get_json()
    assert [t["inner_id"] for t in second["tasks"]] == [4]
    assert second["tasks"][0]["annotations"][0]["result"] == [CHOICE]
    assert_envelope(owner_api.get(f"/api/tasks/?project={project.id}&page=3&page_size=3"), 404, "Invalid page.")
    assert_envelope(owner_api.get("/api/tasks/"), 400)
    assert_envelope(owner_api.get("/api/tasks/?project=999999"), 404)


def test_project_tasks_is_a_bare_list_newest_first(db, owner_api, project):
    _import(owner_api, project)
    body = owner_api.get(f"/api/projects/{project.id}/tasks/?page_size=2").get_json()
    assert [t["inner_id"] for t in body] == [4, 3] and "predictions" in body[0]
    assert_envelope(owner_api.get(f"/api/projects/{project.id}/tasks?page_size=2&page=3"), 404, "Invalid page.")


def test_task_create_get_patch_delete(db, owner_api, project):
    response = owner_api.post("/api/tasks/", json={"project": project.id, "data": {"text": "single task"}})
    assert response.status_code == 201
    task = response.get_json()
    assert task["data"] == {"text": "single task"} and task["inner_id"] == 1 and task["annotations"] == []
    assert_envelope(owner_api.post("/api/tasks", json={"project": project.id, "data": {"body": "x"}}), 400)
    assert_envelope(owner_api.post("/api/tasks", json={"data": {"text": "x"}}), 400)
    url = f"/api/tasks/{task['id']}"
    assert owner_api.get(url).get_json()["data"] == {"text": "single task"}
    patched = owner_api.patch(url + "/", json={"data": {"text": "changed"}})
    assert patched.status_code == 200 and patched.get_json()["data"] == {"text": "changed"}
    assert_envelope(owner_api.patch(url, json={"data": {"other": 1}}), 400)
    assert_envelope(owner_api.patch(url, json={"meta": "x"}), 400)
    assert owner_api.delete(url).status_code == 204
    assert_envelope(owner_api.get(url), 404)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "tasks.deleted")).scalar_one()
    assert entry.data["ids"] == [task["id"]]


def test_predictions_crud(db, owner_api, project):
    task_id = _import(owner_api, project, [{"text": "a"}], "?return_task_ids=1").get_json()["task_ids"][0]
    response = owner_api.post("/api/predictions/", json={"task": task_id, "model_version": "v2", "score": 0.5,
                                                          "result": [CHOICE]})
    assert response.status_code == 201
    prediction = response.get_json()
    assert (prediction["task"], prediction["project"], prediction["score"]) == (task_id, project.id, 0.5)
    assert db.session.get(Task, task_id).total_predictions == 1
    assert [p["id"] for p in owner_api.get(f"/api/predictions/?task={task_id}").get_json()] == [prediction["id"]]
    assert [p["id"] for p in owner_api.get(f"/api/predictions?project={project.id}").get_json()] == [prediction["id"]]
    url = f"/api/predictions/{prediction['id']}"
    assert owner_api.patch(url, json={"score": 0.9}).get_json()["score"] == 0.9
    assert_envelope(owner_api.patch(url, json={"result": [{"from_name": "nope", "type": "choices"}]}), 400)
    assert owner_api.delete(url + "/").status_code == 204
    assert db.session.execute(select(Prediction)).first() is None
    assert db.session.get(Task, task_id).total_predictions == 0


@pytest.mark.parametrize("who,status", [("manager", 201), ("annotator", 403), ("reviewer", 403), ("outsider", 404),
                                        ("deactivated", 404), ("pending", 403)])
def test_import_by_role(db, token_client, people, project, who, status):
    response = _import(token_client(people[who]), project)
    assert response.status_code == status
    if status >= 400:
        assert_envelope(response, status)


@pytest.mark.parametrize("who,status", [("manager", 200), ("annotator", 403), ("outsider", 404)])
def test_export_by_role(db, token_client, people, project, who, status):
    assert token_client(people[who]).get(f"/api/projects/{project.id}/export").status_code == status


def test_anonymous_gets_401_envelope(client, project):
    for response in (client.post(f"/api/projects/{project.id}/import", json=SPEC_ITEMS),
                     client.get(f"/api/projects/{project.id}/export"), client.get(f"/api/tasks/?project={project.id}")):
        assert_envelope(response, 401, "Authentication credentials were not provided.")


def test_annotators_read_tasks_only_where_the_data_manager_is_shown(db, owner_api, token_client, people, project):
    ids = _import(owner_api, project, query="?return_task_ids=1").get_json()["task_ids"]
    annotator = token_client(people["annotator"])
    assert_envelope(annotator.get(f"/api/tasks/{ids[0]}"), 403)
    project.show_dm_to_annotators = True
    db.session.commit()
    assert annotator.get(f"/api/tasks/{ids[0]}").status_code == 200
    project.is_published = False
    db.session.commit()
    assert_envelope(annotator.get(f"/api/tasks/{ids[0]}"), 404)


def test_cookie_session_posts_need_csrf(db, client_for, people, project):
    response = client_for(people["owner"]).post(f"/api/projects/{project.id}/import", data=json.dumps(SPEC_ITEMS),
                                                content_type="application/json", csrf=False)
    assert response.status_code == 400 and count_tasks(db, project) == 0
