"""The projects endpoints, as the model product's SDK and scripts call them (api-compat §2)."""
import pytest
from sqlalchemy import select

from app.projects.models import Project

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""


def test_create_answers_201_with_the_parsed_configuration(db, token_client, people):
    response = token_client(people["owner"]).post("/api/projects/", json={"title": "Sentiment demo", "label_config": CONFIG,
                                                                          "maximum_annotations": 2})
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Sentiment demo" and body["maximum_annotations"] == 2
    assert body["parsed_label_config"]["sentiment"]["labels"] == ["Positive", "Negative", "Neutral"]
    assert body["task_number"] is None  # counters are null in the create response
    assert body["sampling"] == "Sequential sampling" and body["skip_queue"] == "REQUEUE_FOR_OTHERS"


def test_bad_configuration_is_400_with_the_envelope(db, token_client, people):
    response = token_client(people["owner"]).post("/api/projects", json={"title": "x", "label_config": "<View><Chioces/></View>"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["detail"] == "Validation error" and "Chioces" in body["validation_errors"]["label_config"][0]
    assert db.session.execute(select(Project).where(Project.title == "x")).first() is None


def test_validate_without_creating(db, token_client, people):
    client = token_client(people["manager"])
    assert client.post("/api/projects/validate/", json={"label_config": CONFIG}).status_code == 204
    assert client.post("/api/projects/validate", json={"label_config": "<View>"}).status_code == 400


def test_manager_without_a_workspace_creates_in_their_sandbox(db, token_client, people):
    body = token_client(people["manager"]).post("/api/projects", json={"title": "Mine"}).get_json()
    project = db.session.get(Project, body["id"])
    assert project.workspace.is_sandbox and project.workspace.created_by_id == people["manager"].id


def test_annotator_cannot_create(db, token_client, people):
    assert token_client(people["annotator"]).post("/api/projects", json={"title": "No"}).status_code == 403


def test_list_get_patch_delete(db, token_client, people, dummy_project):
    client = token_client(people["owner"])
    listing = client.get("/api/projects?page_size=1").get_json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == dummy_project.id
    assert client.get("/api/projects?page=2&page_size=1").status_code == 404
    detail = client.get(f"/api/projects/{dummy_project.id}/").get_json()
    assert detail["task_number"] == 0
    patched = client.patch(f"/api/projects/{dummy_project.id}", json={"description": "new", "sampling": "Uniform sampling"})
    assert patched.status_code == 200 and patched.get_json()["sampling"] == "Uniform sampling"
    refused = client.patch(f"/api/projects/{dummy_project.id}", json={"maximum_annotations": 0})
    assert refused.status_code == 400 and "maximum_annotations" in refused.get_json()["validation_errors"]
    assert client.delete(f"/api/projects/{dummy_project.id}").status_code == 204
    assert client.get(f"/api/projects/{dummy_project.id}").status_code == 404


@pytest.mark.parametrize("caller, status", [("owner", 200), ("manager", 403), ("annotator", 403), ("outsider", 404)])
def test_project_detail_access(db, token_client, people, dummy_project, caller, status):
    # the Manager is in no workspace of the project's; the Annotator was not added to it
    assert token_client(people[caller]).get(f"/api/projects/{dummy_project.id}").status_code == status


def test_anonymous_gets_401_envelope(db, client, dummy_project):
    response = client.get(f"/api/projects/{dummy_project.id}")
    assert response.status_code == 401 and response.get_json()["status_code"] == 401
