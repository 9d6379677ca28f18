"""``/api/projects/<id>/next``, ``/api/tasks/<id>/annotations``, ``/api/annotations/<id>``, drafts (api-compat §5, §6)."""
import io
import json
import uuid

import pytest
from sqlalchemy import select

from app.labeling import services
from app.labeling.models import AnnotationDraft, TaskReservation
from app.orgs.models import WorkspaceMember
from app.security.roles import Role
from app.tasks.importing import import_tasks
from app.tasks.models import Annotation, Prediction, Task
from tests.api.test_auth import assert_envelope
from tests.tasks import open_to_team

CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}
NEGATIVE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}}
DONE = "There are no more tasks for you to label in this project. Well done!"
NEXT_KEYS = {"id", "inner_id", "project", "data", "meta", "predictions", "annotations", "drafts", "updated_by",
             "unique_lock_id", "is_labeled", "overlap", "total_annotations", "cancelled_annotations",
             "total_predictions", "created_at", "updated_at", "file_upload", "comment_count",
             "unresolved_comment_count", "last_comment_updated_at", "comment_authors", "queue"}
ANNOTATION_KEYS = {"id", "task", "project", "completed_by", "updated_by", "result", "was_cancelled", "ground_truth",
                   "lead_time", "created_username", "created_ago", "created_at", "updated_at", "draft_created_at",
                   "import_id", "last_action", "bulk_created", "parent_prediction", "parent_annotation",
                   "last_created_by"}
DRAFT_KEYS = {"id", "user", "task", "annotation", "result", "lead_time", "created_at", "updated_at", "was_postponed"}


@pytest.fixture
def make_project(db, create_project, dummy_org, people):
    """``make_project(n_tasks, **settings)``: a published Acme project its team sees, with ``n_tasks`` tasks."""

    def make(n_tasks=2, org=None, actor=None, **settings):
        settings.setdefault("is_published", True)
        project = create_project(org or dummy_org, actor or people["owner"], **settings)
        team = ("manager", "reviewer", "annotator")
        if org is None and not db.session.scalar(select(WorkspaceMember.id).where(
                WorkspaceMember.workspace_id == project.workspace_id, WorkspaceMember.user_id == people["annotator"].id)):
            open_to_team(db, project, people, team)
        items = [{"text": f"task {i}"} for i in range(1, n_tasks + 1)]
        import_tasks(actor or people["owner"], project, io.BytesIO(json.dumps(items).encode()), fmt="json")
        db.session.commit()
        return project

    return make


@pytest.fixture
def annotator(db, dummy_org, add_member, create_project):
    """``annotator(project)``: one more Annotator of Acme, in the project's workspace."""

    def make(project):
        user = add_member(dummy_org, Role.ANNOTATOR).user
        db.session.add(WorkspaceMember(workspace_id=project.workspace_id, user_id=user.id))
        db.session.commit()
        return user

    return make


@pytest.fixture
def api(token_client, people):
    """``api("annotator")`` or ``api(user)``: a token client for that person."""
    return lambda who: token_client(people[who] if isinstance(who, str) else who)


def task_ids(db, project):
    return db.session.scalars(select(Task.id).where(Task.project_id == project.id).order_by(Task.id)).all()


def submit(client, task_id, result=(CHOICE,), suffix="/", **extra):
    return client.post(f"/api/tasks/{task_id}/annotations{suffix}", json={"result": list(result), **extra})


def take(client, project, suffix="/"):
    """Ask for the next task; the reserved task's id."""
    response = client.get(f"/api/projects/{project.id}/next{suffix}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["id"]


# Next task --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/"])
def test_next_hands_out_a_task_and_locks_it(db, api, people, make_project, annotator, suffix):
    project = make_project(2)
    first, second = task_ids(db, project)
    alice = api("annotator")
    response = alice.get(f"/api/projects/{project.id}/next{suffix}")
    assert response.status_code == 200
    body = response.get_json()
    assert NEXT_KEYS <= body.keys()
    assert (body["id"], body["project"], body["data"], body["queue"]) == (first, project.id, {"text": "task 1"},
                                                                           "Sequence queue")
    assert body["annotations"] == [] and body["drafts"] == [] and body["predictions"] == []
    assert str(uuid.UUID(body["unique_lock_id"])) == body["unique_lock_id"]
    assert db.session.scalar(select(TaskReservation.task_id).where(
        TaskReservation.user_id == people["annotator"].id)) == first

    again = alice.get(f"/api/projects/{project.id}/next{suffix}").get_json()
    assert (again["id"], again["queue"], again["unique_lock_id"]) == (first, "Task lock", body["unique_lock_id"])

    # overlap 1: the held task goes to nobody else
    assert take(api(annotator(project)), project, suffix) == second


def test_next_takes_the_write_lock_from_its_first_statement(app):
    # it reserves a task: on SQLite the GET must begin with BEGIN IMMEDIATE (app.db.writes)
    assert app.view_functions["api.next_task"].writes is True


def test_next_shows_the_callers_own_work_and_the_predictions(db, api, people, make_project, annotator):
    project = make_project(1)
    (task_id,) = task_ids(db, project)
    db.session.add(Prediction(task_id=task_id, project_id=project.id, model_version="v1", score=0.5, result=[CHOICE]))
    db.session.commit()
    alice = api("annotator")
    take(alice, project)
    draft = alice.post(f"/api/tasks/{task_id}/drafts", json={"result": [CHOICE], "lead_time": 4}).get_json()
    body = alice.get(f"/api/projects/{project.id}/next").get_json()
    assert [d["id"] for d in body["drafts"]] == [draft["id"]] and body["drafts"][0]["result"] == [CHOICE]
    assert [p["model_version"] for p in body["predictions"]] == ["v1"] and body["queue"] == "Task lock"


def test_next_follows_the_overlap_and_says_when_nothing_is_left(db, api, people, make_project, annotator):
    project = make_project(1, overlap=2)
    (task_id,) = task_ids(db, project)
    alice, bob, carol = api("annotator"), api(annotator(project)), api(annotator(project))
    assert take(alice, project) == task_id
    assert take(bob, project) == task_id  # overlap 2: the same task goes to a second person
    assert_envelope(carol.get(f"/api/projects/{project.id}/next/"), 404, DONE)  # both places are held
    assert submit(alice, task_id).status_code == 201
    assert submit(bob, task_id).status_code == 201
    assert_envelope(alice.get(f"/api/projects/{project.id}/next/"), 404, DONE)
    assert_envelope(carol.get(f"/api/projects/{project.id}/next"), 404, DONE)
    assert db.session.get(Task, task_id).total_annotations == 2


def test_next_respects_the_annotation_limit(db, api, make_project):
    project = make_project(3, limit_count=1)
    alice = api("annotator")
    assert submit(alice, take(alice, project)).status_code == 201
    body = assert_envelope(alice.get(f"/api/projects/{project.id}/next/"), 404)
    assert body["detail"].startswith("You have reached this project's limit of 1 tasks per annotator.")


def test_next_of_another_organization_or_unknown_project_is_404(db, api, people, make_project):
    theirs = make_project(1, org=people["other_org"], actor=people["outsider"])
    assert_envelope(api("owner").get(f"/api/projects/{theirs.id}/next/"), 404)
    assert_envelope(api("owner").get("/api/projects/999999/next/"), 404)
    assert not db.session.scalars(select(TaskReservation)).all()


# Submitting and skipping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/"])
def test_submit_answers_201_with_the_annotation(db, api, people, make_project, suffix):
    project = make_project(1)
    alice, user = api("annotator"), people["annotator"]
    task_id = take(alice, project)
    response = submit(alice, task_id, suffix=suffix, lead_time=3.2)
    assert response.status_code == 201
    body = response.get_json()
    assert ANNOTATION_KEYS <= body.keys()
    stored = db.session.scalar(select(Annotation).where(Annotation.task_id == task_id))
    assert body["id"] == stored.id and (body["task"], body["project"]) == (task_id, project.id)
    assert (body["completed_by"], body["updated_by"]) == (user.id, user.id)
    assert body["result"][0]["value"] == CHOICE["value"] and body["result"][0]["id"]  # an id is given to the item
    assert (body["was_cancelled"], body["ground_truth"], body["lead_time"]) == (False, False, 3.2)
    assert body["created_username"] == f" {user.email}, {user.id}"
    assert body["created_ago"] == "0\u00a0minutes"
    assert body["created_at"].endswith("Z") and body["draft_created_at"] is None
    assert db.session.get(Task, task_id).total_annotations == 1
    assert not db.session.scalars(select(TaskReservation).where(TaskReservation.user_id == user.id)).all()


def test_submit_needs_a_task_the_caller_may_open(db, api, make_project):
    project = make_project(2)
    first, second = task_ids(db, project)
    alice = api("annotator")
    assert take(alice, project) == first
    assert_envelope(submit(alice, second), 403)  # never handed to her
    assert submit(api("reviewer"), second).status_code == 201  # Reviewers open any task (they see the Data Manager)


def test_skip_is_a_cancelled_annotation(db, api, people, make_project):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    response = alice.post(f"/api/tasks/{task_id}/annotations", json={"result": [], "was_cancelled": True,
                                                                      "comment": " unclear "})
    assert response.status_code == 201
    body = response.get_json()
    assert body["was_cancelled"] is True and body["result"] == []
    stored = db.session.get(Annotation, body["id"])
    assert stored.comment == "unclear" and stored.last_action == "skipped"
    assert db.session.get(Task, task_id).cancelled_annotations == 1


def test_skip_needs_a_comment_when_the_project_asks_for_one(db, api, make_project):
    project = make_project(1, require_skip_comment=True)
    alice = api("annotator")
    task_id = take(alice, project)
    body = assert_envelope(alice.post(f"/api/tasks/{task_id}/annotations/", json={"was_cancelled": True}), 400)
    assert body["validation_errors"] == {"comment": ["Say why you skip this task: this project asks for a comment."]}
    assert not db.session.scalars(select(Annotation).where(Annotation.task_id == task_id)).all()
    response = alice.post(f"/api/tasks/{task_id}/annotations/", json={"was_cancelled": True, "comment": "blurry"})
    assert response.status_code == 201 and db.session.get(Annotation, response.get_json()["id"]).comment == "blurry"


def test_skip_of_a_task_that_may_not_be_skipped_is_400(db, api, make_project):
    project = make_project(1, allow_skip=False)
    alice = api("annotator")
    task_id = take(alice, project)
    body = assert_envelope(alice.post(f"/api/tasks/{task_id}/annotations", json={"was_cancelled": True}), 400)
    assert body["validation_errors"] == {"non_field_errors": ["This task cannot be skipped."]}


@pytest.mark.parametrize(("item", "message"), [
    ({**CHOICE, "from_name": "nope"},
     'Result 1 ("nope"): from_name "nope" names no control of the labeling configuration (sentiment)'),
    ({**CHOICE, "value": {"choices": ["Maybe"]}},
     'Result 1 ("sentiment"): "Maybe" is not an option of "sentiment" (options: Positive, Negative, Neutral)'),
])
def test_a_result_that_does_not_fit_the_configuration_is_400(db, api, make_project, item, message):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    body = assert_envelope(submit(alice, task_id, [item]), 400, "Validation error")
    assert body["validation_errors"] == {"result": [message]}
    assert not db.session.scalars(select(Annotation).where(Annotation.task_id == task_id)).all()


def test_every_problem_of_a_result_is_listed(db, api, make_project):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    body = assert_envelope(submit(alice, task_id, [{**CHOICE, "from_name": "nope"},
                                                   {**CHOICE, "value": {"choices": ["Maybe"]}}]), 400)
    assert len(body["validation_errors"]["result"]) == 2


def test_an_empty_body_is_400(db, api, make_project):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    body = assert_envelope(alice.post(f"/api/tasks/{task_id}/annotations/", json={}), 400)
    assert body["validation_errors"] == {"result": ["This field is required."]}


def test_a_second_annotation_by_the_same_person_is_400(db, api, make_project):
    project = make_project(1, overlap=2)
    alice = api("annotator")
    task_id = take(alice, project)
    assert submit(alice, task_id).status_code == 201
    body = assert_envelope(submit(alice, task_id, [NEGATIVE]), 400)
    assert body["validation_errors"] == {
        "non_field_errors": ["You have already annotated this task: update your annotation instead."]}
    assert len(db.session.scalars(select(Annotation).where(Annotation.task_id == task_id)).all()) == 1


def test_ground_truth_is_set_only_by_people_who_manage_the_project(db, api, make_project):
    project = make_project(2)
    first, second = task_ids(db, project)
    alice = api("annotator")
    take(alice, project)
    assert submit(alice, first, ground_truth=True).get_json()["ground_truth"] is False
    assert submit(api("manager"), second, ground_truth=True).get_json()["ground_truth"] is True


def test_completed_by_is_ignored(db, api, people, make_project):
    project = make_project(1)
    (task_id,) = task_ids(db, project)
    body = submit(api("manager"), task_id, completed_by=people["annotator"].id).get_json()
    assert body["completed_by"] == people["manager"].id


def test_submitting_removes_the_draft_and_remembers_when_it_began(db, api, make_project):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    draft = alice.post(f"/api/tasks/{task_id}/drafts/", json={"result": [CHOICE]}).get_json()
    body = submit(alice, task_id, draft_id=draft["id"]).get_json()
    assert body["draft_created_at"] == draft["created_at"]
    assert db.session.get(AnnotationDraft, draft["id"]) is None
    assert alice.get(f"/api/tasks/{task_id}/drafts").get_json() == []


# Reading, changing and deleting annotations -----------------------------------------------------------------

@pytest.fixture
def answered(db, api, people, make_project, annotator):
    """One task answered by the Annotator and by a second annotator (overlap 2)."""
    project = make_project(1, overlap=2)
    (task_id,) = task_ids(db, project)
    other = annotator(project)
    mine = submit(api("annotator"), take(api("annotator"), project)).get_json()["id"]
    theirs = submit(api(other), take(api(other), project)).get_json()["id"]
    return {"project": project, "task_id": task_id, "mine": mine, "theirs": theirs, "other": other}


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_list_shows_managers_everything_and_others_their_own(db, api, people, answered, suffix):
    url = f"/api/tasks/{answered['task_id']}/annotations{suffix}"
    response = api("annotator").get(url)
    assert response.status_code == 200 and [a["id"] for a in response.get_json()] == [answered["mine"]]
    assert [a["id"] for a in api(answered["other"]).get(url).get_json()] == [answered["theirs"]]
    assert api("reviewer").get(url).get_json() == []  # Reviewers see their own annotations here too
    assert [a["id"] for a in api("manager").get(url).get_json()] == [answered["mine"], answered["theirs"]]
    assert ANNOTATION_KEYS <= api("owner").get(url).get_json()[0].keys()


@pytest.mark.parametrize("suffix", ["", "/"])
def test_an_annotation_is_read_by_its_author_and_managers(db, api, answered, suffix):
    mine = f"/api/annotations/{answered['mine']}{suffix}"
    response = api("annotator").get(mine)
    assert response.status_code == 200 and response.get_json()["id"] == answered["mine"]
    assert_envelope(api("annotator").get(f"/api/annotations/{answered['theirs']}{suffix}"), 403)
    assert_envelope(api("reviewer").get(mine), 403)
    assert api("manager").get(mine).status_code == 200


def test_patch_replaces_the_result(db, api, people, answered):
    before = api("annotator").get(f"/api/annotations/{answered['mine']}").get_json()
    response = api("annotator").patch(f"/api/annotations/{answered['mine']}/", json={"result": [NEGATIVE],
                                                                                      "lead_time": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"][0]["value"] == NEGATIVE["value"] and body["updated_at"] >= before["updated_at"]
    assert db.session.get(Annotation, answered["mine"]).result[0]["value"] == NEGATIVE["value"]
    assert body["last_action"] == "updated"


def test_patch_is_validated(db, api, answered):
    response = api("annotator").patch(f"/api/annotations/{answered['mine']}",
                                      json={"result": [{**CHOICE, "value": {"choices": ["Maybe"]}}]})
    body = assert_envelope(response, 400)
    assert body["validation_errors"]["result"][0].endswith('"Maybe" is not an option of "sentiment" '
                                                           "(options: Positive, Negative, Neutral)")
    assert_envelope(api("annotator").patch(f"/api/annotations/{answered['mine']}", json={}), 400)
    assert db.session.get(Annotation, answered["mine"]).result[0]["value"] == CHOICE["value"]


def test_someone_elses_annotation_is_changed_only_by_managers(db, api, people, answered):
    theirs = f"/api/annotations/{answered['theirs']}"
    assert_envelope(api("annotator").patch(theirs, json={"result": [NEGATIVE]}), 403)
    assert db.session.get(Annotation, answered["theirs"]).result[0]["value"] == CHOICE["value"]
    response = api("manager").patch(theirs, json={"result": [NEGATIVE]})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["completed_by"], body["updated_by"]) == (answered["other"].id, people["manager"].id)


def test_delete_own_or_as_a_manager(db, api, answered):
    assert_envelope(api("annotator").delete(f"/api/annotations/{answered['theirs']}/"), 403)
    assert db.session.get(Annotation, answered["theirs"]) is not None
    assert api("annotator").delete(f"/api/annotations/{answered['mine']}/").status_code == 204
    assert db.session.get(Annotation, answered["mine"]) is None
    assert api("manager").delete(f"/api/annotations/{answered['theirs']}").status_code == 204
    assert db.session.get(Annotation, answered["theirs"]) is None
    assert db.session.get(Task, answered["task_id"]).total_annotations == 0
    assert_envelope(api("manager").get(f"/api/annotations/{answered['theirs']}"), 404)


# Drafts -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/"])
def test_drafts_create_read_change_delete(db, api, people, make_project, suffix):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    assert alice.get(f"/api/tasks/{task_id}/drafts{suffix}").get_json() == []

    response = alice.post(f"/api/tasks/{task_id}/drafts{suffix}", json={"result": [CHOICE], "lead_time": 4.5})
    assert response.status_code == 201
    draft = response.get_json()
    assert DRAFT_KEYS <= draft.keys()
    assert (draft["user"], draft["task"], draft["annotation"], draft["result"], draft["lead_time"],
            draft["was_postponed"]) == (people["annotator"].id, task_id, None, [CHOICE], 4.5, False)
    assert [d["id"] for d in alice.get(f"/api/tasks/{task_id}/drafts{suffix}").get_json()] == [draft["id"]]

    response = alice.patch(f"/api/drafts/{draft['id']}{suffix}", json={"result": [NEGATIVE]})
    assert response.status_code == 200
    assert (response.get_json()["result"], response.get_json()["lead_time"]) == ([NEGATIVE], 4.5)

    assert alice.delete(f"/api/drafts/{draft['id']}{suffix}").status_code == 204
    assert db.session.get(AnnotationDraft, draft["id"]) is None
    assert alice.get(f"/api/tasks/{task_id}/drafts{suffix}").get_json() == []


def test_a_draft_is_not_checked_against_the_configuration_but_must_be_a_list(db, api, make_project):
    project = make_project(1)
    alice = api("annotator")
    task_id = take(alice, project)
    unfinished = {**CHOICE, "from_name": "nope"}
    assert alice.post(f"/api/tasks/{task_id}/drafts", json={"result": [unfinished]}).status_code == 201
    body = assert_envelope(alice.post(f"/api/tasks/{task_id}/drafts", json={"result": "no"}), 400)
    assert body["validation_errors"] == {"result": ["A draft's result must be a list of result objects."]}
    assert_envelope(alice.post(f"/api/tasks/{task_id}/drafts", json={}), 400)


def test_a_draft_of_an_annotation_names_one_of_this_task(db, api, answered, make_project):
    alice = api("annotator")
    task_id = answered["task_id"]
    response = alice.post(f"/api/tasks/{task_id}/drafts", json={"result": [NEGATIVE], "annotation": answered["mine"]})
    assert response.status_code == 201 and response.get_json()["annotation"] == answered["mine"]
    # someone else's annotation: only people who manage the project edit it
    assert_envelope(alice.post(f"/api/tasks/{task_id}/drafts", json={"result": [], "annotation": answered["theirs"]}),
                    403)
    other = make_project(1)
    (other_task,) = task_ids(db, other)
    manager = api("manager")
    body = assert_envelope(manager.post(f"/api/tasks/{other_task}/drafts",
                                        json={"result": [], "annotation": answered["mine"]}), 400)
    assert list(body["validation_errors"]) == ["annotation"]


def test_a_draft_is_private_to_its_author(db, api, people, make_project, annotator):
    project = make_project(1, overlap=2)
    alice, manager = api("annotator"), api("manager")
    task_id = take(alice, project)
    draft = alice.post(f"/api/tasks/{task_id}/drafts", json={"result": [CHOICE]}).get_json()
    assert manager.get(f"/api/tasks/{task_id}/drafts").get_json() == []  # not even a Manager reads it
    assert_envelope(manager.patch(f"/api/drafts/{draft['id']}/", json={"result": []}), 404)
    assert_envelope(manager.delete(f"/api/drafts/{draft['id']}/"), 404)
    assert_envelope(api("outsider").patch(f"/api/drafts/{draft['id']}", json={"result": []}), 404)
    assert_envelope(api("outsider").delete(f"/api/drafts/{draft['id']}"), 404)
    assert db.session.get(AnnotationDraft, draft["id"]).result == [CHOICE]


# Tenancy and unknown ids ------------------------------------------------------------------------------------

def test_another_organizations_rows_are_not_found(db, api, people, make_project):
    theirs = make_project(1, org=people["other_org"], actor=people["outsider"])
    (task_id,) = task_ids(db, theirs)
    annotation = services.submit_annotation(people["outsider"], theirs, db.session.get(Task, task_id), [CHOICE])
    draft = services.save_draft(people["outsider"], theirs, db.session.get(Task, task_id), [CHOICE])
    db.session.commit()
    owner = api("owner")
    assert_envelope(owner.get(f"/api/tasks/{task_id}/annotations/"), 404)
    assert_envelope(submit(owner, task_id), 404)
    assert_envelope(owner.get(f"/api/tasks/{task_id}/drafts"), 404)
    assert_envelope(owner.post(f"/api/tasks/{task_id}/drafts", json={"result": []}), 404)
    assert_envelope(owner.get(f"/api/annotations/{annotation.id}/"), 404)
    assert_envelope(owner.patch(f"/api/annotations/{annotation.id}/", json={"result": [NEGATIVE]}), 404)
    assert_envelope(owner.delete(f"/api/annotations/{annotation.id}/"), 404)
    assert_envelope(owner.patch(f"/api/drafts/{draft.id}/", json={"result": []}), 404)
    assert_envelope(owner.delete(f"/api/drafts/{draft.id}/"), 404)
    assert db.session.get(Annotation, annotation.id).result[0]["value"] == CHOICE["value"]
    assert db.session.get(AnnotationDraft, draft.id) is not None


def test_a_project_the_caller_cannot_see_is_not_found(db, api, people, create_project, dummy_org):
    hidden = create_project(dummy_org, people["owner"], is_published=True)  # the team is not in its workspace
    import_tasks(people["owner"], hidden, io.BytesIO(b'[{"text": "x"}]'), fmt="json")
    db.session.commit()
    (task_id,) = task_ids(db, hidden)
    assert_envelope(submit(api("annotator"), task_id), 404)
    assert_envelope(api("annotator").get(f"/api/tasks/{task_id}/drafts"), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/projects/999999/next/"), ("POST", "/api/tasks/999999/annotations/"),
    ("GET", "/api/tasks/999999/annotations"), ("GET", "/api/annotations/999999"),
    ("PATCH", "/api/annotations/999999/"), ("DELETE", "/api/annotations/999999"),
    ("GET", "/api/tasks/999999/drafts"), ("POST", "/api/tasks/999999/drafts/"),
    ("PATCH", "/api/drafts/999999"), ("DELETE", "/api/drafts/999999/"),
])
def test_unknown_ids_are_404(db, api, people, method, path):
    assert_envelope(api("owner").open(path, method, json={"result": [CHOICE]}), 404)


def test_unknown_ids_without_credentials_are_401(client):
    response = client.get("/api/annotations/999999")
    assert response.status_code == 401 and response.get_json()["status_code"] == 401
