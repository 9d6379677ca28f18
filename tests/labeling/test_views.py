"""The labeling page's routes: the stream, saves, refusals that keep the work, drafts and history."""
import json
import re

from sqlalchemy import select

from app.labeling.models import AnnotationDraft, AnnotationVersion
from app.tasks.models import Annotation, Task
from tests.conftest import hx

from .conftest import CHOICE, answer

STATE = re.compile(r'<script type="application/json" id="lsf-state">(.*?)</script>', re.S)


def state_of(response):
    return json.loads(STATE.search(response.get_data(as_text=True)).group(1))


def label_url(project, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/o/acme/projects/{project.id}/label" + (f"?{query}" if query else "")


def task_ids(db, project):
    return db.session.scalars(select(Task.id).where(Task.project_id == project.id).order_by(Task.id)).all()


def test_the_stream_opens_the_next_task_at_a_url_that_names_it(db, make_project, annotator_client):
    project = make_project(2)
    first = task_ids(db, project)[0]
    page = annotator_client.get(label_url(project))
    assert page.status_code == 200
    state = state_of(page)
    assert state["task"]["id"] == first and state["stream"] is True
    assert state["urls"]["self"].endswith(f"label?task={first}")
    assert state_of(annotator_client.get(state["urls"]["self"]))["task"]["id"] == first
    assert state["project"]["parsed_label_config"]["sentiment"]["labels"] == ["Positive", "Negative", "Neutral"]
    assert state["urls"]["submit"].endswith(f"/label/tasks/{first}/annotations")


def test_submitting_in_the_stream_swaps_in_the_next_task_and_pushes_its_url(db, make_project, annotator_client):
    project = make_project(2)
    first, second = task_ids(db, project)
    annotator_client.get(label_url(project))
    response = annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{first}/annotations", headers=hx(),
                                     data={"result": json.dumps(CHOICE), "lead_time": "4.5", "stream": "1"})
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"].endswith(f"label?task={second}")
    assert state_of(response)["task"]["id"] == second
    assert "<html" not in response.get_data(as_text=True)
    saved = db.session.scalar(select(Annotation).where(Annotation.task_id == first))
    assert saved.lead_time == 4.5 and saved.result[0]["value"] == {"choices": ["Positive"]}
    assert saved.result[0]["id"]


def test_a_refused_submit_answers_422_into_the_messages_and_keeps_the_work_as_a_draft(
        db, make_project, annotator_client, people):
    project = make_project(1, label_config="""<View><Text name="text" value="$text"/>
      <Choices name="sentiment" toName="text" required="true"><Choice value="Positive"/></Choices>
      <TextArea name="note" toName="text"/></View>""")
    task_id, = task_ids(db, project)
    annotator_client.get(label_url(project))
    work = [{"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["half done"]}}]
    response = annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/annotations",
                                     headers=hx(), data={"result": json.dumps(work), "stream": "1"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#lsf-messages"
    assert "sentiment" in response.get_data(as_text=True)
    assert db.session.scalar(select(Annotation).where(Annotation.task_id == task_id)) is None
    draft = db.session.scalar(select(AnnotationDraft).where(AnnotationDraft.task_id == task_id))
    assert draft.user_id == people["annotator"].id and draft.result == work


def test_an_empty_annotation_is_refused_unless_the_project_allows_it(db, make_project, annotator_client):
    project = make_project(1, allow_empty_annotations=False)
    task_id, = task_ids(db, project)
    annotator_client.get(label_url(project))
    response = annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/annotations",
                                     headers=hx(), data={"result": "[]"})
    assert response.status_code == 422 and "empty annotations" in response.get_data(as_text=True)


def test_a_draft_is_restored_for_its_author_only(db, make_project, annotator_client, manager_client, people):
    project = make_project(1)
    task_id, = task_ids(db, project)
    annotator_client.get(label_url(project))
    saved = annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/draft",
                                  data={"result": json.dumps(CHOICE), "lead_time": "7"})
    assert saved.status_code == 200 and saved.get_json()["id"]
    mine = state_of(annotator_client.get(label_url(project, task=task_id)))
    assert mine["draft"]["result"] == CHOICE and mine["draft"]["lead_time"] == 7
    theirs = state_of(manager_client.get(label_url(project, task=task_id)))
    assert theirs["draft"] is None


def test_skip_needs_the_comment_the_project_asks_for(db, make_project, annotator_client):
    project = make_project(2, require_skip_comment=True)
    first, second = task_ids(db, project)
    annotator_client.get(label_url(project))
    url = f"/o/acme/projects/{project.id}/label/tasks/{first}/skip"
    refused = annotator_client.post(url, headers=hx(), data={"comment": " ", "stream": "1"})
    assert refused.status_code == 422 and "comment" in refused.get_data(as_text=True)
    skipped = annotator_client.post(url, headers=hx(), data={"comment": "Blurry", "stream": "1"})
    assert skipped.status_code == 200 and state_of(skipped)["task"]["id"] == second
    annotation = db.session.scalar(select(Annotation).where(Annotation.task_id == first))
    assert annotation.was_cancelled and annotation.comment == "Blurry"


def test_a_task_that_cannot_be_skipped_has_no_skip_for_annotators(db, make_project, annotator_client):
    project = make_project(1, allow_skip=False)
    task_id, = task_ids(db, project)
    annotator_client.get(label_url(project))
    assert state_of(annotator_client.get(label_url(project, task=task_id)))["project"]["allow_skip"] is False
    refused = annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/skip", headers=hx(),
                                    data={"comment": "no"})
    assert refused.status_code == 422


def test_update_keeps_versions_and_managers_see_every_annotation(db, make_project, annotator_client,
                                                                  manager_client, people):
    project = make_project(1)
    task_id, = task_ids(db, project)
    annotation = answer(db, people["annotator"], project, db.session.get(Task, task_id))
    negative = [{**CHOICE[0], "value": {"choices": ["Negative"]}}]
    response = annotator_client.post(f"/o/acme/projects/{project.id}/label/annotations/{annotation.id}",
                                     headers=hx(), data={"result": json.dumps(negative), "lead_time": "2"})
    assert response.status_code == 200
    assert state_of(response)["selected"] == annotation.id
    actions = db.session.scalars(select(AnnotationVersion.action).where(AnnotationVersion.annotation_id == annotation.id)
                                 .order_by(AnnotationVersion.id)).all()
    assert actions == ["submitted", "updated"]
    history = annotator_client.get(f"/o/acme/projects/{project.id}/label/annotations/{annotation.id}/history")
    assert history.status_code == 200 and "Negative" in history.get_data(as_text=True)
    seen = state_of(manager_client.get(label_url(project, task=task_id)))
    assert [a["id"] for a in seen["annotations"]] == [annotation.id]
    assert seen["annotations"][0]["editable"] is True


def test_annotators_cannot_edit_or_open_what_is_not_theirs(db, make_project, annotators, client_for, people):
    project = make_project(2)
    first, second = task_ids(db, project)
    alice, bob = annotators(2)
    annotation = answer(db, alice, project, db.session.get(Task, first))
    bob_client = client_for(bob)
    assert bob_client.get(label_url(project, task=second)).status_code == 403
    refused = bob_client.post(f"/o/acme/projects/{project.id}/label/annotations/{annotation.id}",
                              data={"result": "[]"})
    assert refused.status_code == 403
    assert bob_client.get(f"/o/acme/projects/{project.id}/label/annotations/{annotation.id}/history").status_code == 403


def test_another_organizations_task_is_not_found(db, make_project, create_project, people, owner_client):
    import io

    from app.tasks.importing import import_tasks

    theirs = create_project(people["other_org"], people["outsider"], is_published=True)
    import_tasks(people["outsider"], theirs, io.BytesIO(b'[{"text": "secret"}]'), fmt="json")
    db.session.commit()
    ours = make_project(1)
    their_task, = task_ids(db, theirs)
    assert owner_client.get(label_url(ours, task=their_task)).status_code == 404
    assert owner_client.get(f"/o/acme/projects/{theirs.id}/label").status_code == 404


def test_predictions_reach_the_editor_and_task_data_stays_inert(db, make_project, annotator_client):
    hostile = '<script>alert(1)</script><b hx-get="/logout" hx-trigger="load">x</b>'
    project = make_project(tasks=[{"data": {"text": hostile}, "predictions": [
        {"model_version": "v1", "score": 0.4, "result": CHOICE}]}], reveal_preannotations=True)
    task_id, = task_ids(db, project)
    page = annotator_client.get(label_url(project))
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'hx-get="/logout"' not in html
    state = state_of(page)
    assert state["task"]["data"]["text"] == hostile
    assert state["predictions"][0]["result"][0]["value"] == {"choices": ["Positive"]}
    assert state["project"]["reveal_predictions"] is True


def test_the_limit_message_is_shown_instead_of_a_task(db, make_project, annotator_client, people):
    project = make_project(3, limit_count=1)
    first = task_ids(db, project)[0]
    answer(db, people["annotator"], project, db.session.get(Task, first))
    page = annotator_client.get(label_url(project))
    assert page.status_code == 200
    state = state_of(page)
    assert state["task"] is None and "limit of 1 tasks" in state["message"]


def test_a_draft_of_someone_elses_annotation_is_refused(db, make_project, annotators, client_for, people):
    project = make_project(1)
    task_id, = task_ids(db, project)
    alice, = annotators(1)
    theirs = answer(db, alice, project, db.session.get(Task, task_id))
    refused = client_for(people["reviewer"]).post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/draft",
                                                  data={"result": "[]", "annotation_id": theirs.id})
    assert refused.status_code == 403


def test_the_draft_start_is_kept_on_the_annotation_that_replaces_it(db, make_project, annotator_client):
    project = make_project(1)
    task_id, = task_ids(db, project)
    annotator_client.get(label_url(project))
    annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/draft", data={"result": "[]"})
    started = db.session.scalar(select(AnnotationDraft.created_at).where(AnnotationDraft.task_id == task_id))
    annotator_client.post(f"/o/acme/projects/{project.id}/label/tasks/{task_id}/annotations", headers=hx(),
                          data={"result": json.dumps(CHOICE)})
    annotation = db.session.scalar(select(Annotation).where(Annotation.task_id == task_id))
    assert annotation.draft_created_at == started
    assert db.session.scalar(select(AnnotationDraft).where(AnnotationDraft.task_id == task_id)) is None
