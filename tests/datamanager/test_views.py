"""The Data Manager pages: rendering, remembered views, filters, keyset pages, bulk actions and who sees what."""
import json
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.projects.services import add_project_member
from app.tasks.models import Annotation, Task, TaskAssignment
from tests.conftest import hx
from tests.datamanager import add_tasks, annotate


def url(project, suffix=""):
    return f"/o/acme/projects/{project.id}/data{suffix}"


def shown(response):
    return [int(i) for i in re.findall(r'data-task="(\d+)"', response.get_data(as_text=True))]


def headings(response):
    head = response.get_data(as_text=True).split("<thead>")[1].split("</thead>")[0]
    return [h.strip() for h in re.findall(r">([^<>]*?)(?: [↑↓])?</a>", head)]


def audits(action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).scalars().all()


@pytest.fixture
def tasks(dummy_project, people):
    made = add_tasks(dummy_project, people["owner"], [{"text": f"item {i} <b>bold</b>"} for i in range(6)])
    annotate(made[0], people["annotator"], "Positive")
    annotate(made[1], people["reviewer"], "Negative")
    annotate(made[1], people["annotator"], cancelled=True)
    db.session.commit()
    return made


def test_page_renders_for_the_owner(owner_client, dummy_project, tasks):
    response = owner_client.get(url(dummy_project))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body and 'aria-current="page">Data</a>' in body
    assert shown(response) == [t.id for t in tasks]
    # Task data is escaped, never trusted.
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "<b>bold</b>" not in body


def test_count_comes_after_the_table(owner_client, annotator_client, dummy_project, tasks):
    page = owner_client.get(url(dummy_project, "?apply=1&label=Negative")).get_data(as_text=True)
    count_url = re.search(r'id="dm-total" hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = owner_client.get(count_url, headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 task matches the filters." in body
    assert '<span id="dm-all-count" hx-swap-oob="true">1</span>' in body
    assert "6 tasks." in owner_client.get(url(dummy_project, "/count?apply=1"), headers=hx()).get_data(as_text=True)
    assert owner_client.get(url(dummy_project, "/count?apply=1&skipped=x"), headers=hx()).status_code == 422


def test_htmx_gets_the_table_only(owner_client, dummy_project, tasks):
    response = owner_client.get(url(dummy_project, "?apply=1&label=Positive"), headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<div id="dm">')
    assert "HX-Request" in response.headers["Vary"]
    assert shown(response) == [tasks[0].id]


def test_columns_filters_and_sort_are_remembered_per_person(owner_client, org_admin_client, dummy_project, tasks):
    owner_client.get(url(dummy_project, "?apply=1&columns=id&columns=completed&completed=1&completed_op=gte"
                                        "&sort=id&desc=1"))
    again = owner_client.get(url(dummy_project))
    assert shown(again) == [tasks[1].id, tasks[0].id]
    assert headings(again) == ["ID", "Completed"]
    assert 'aria-sort="descending"' in again.get_data(as_text=True)
    other = org_admin_client.get(url(dummy_project))
    assert shown(other) == [t.id for t in tasks]
    assert headings(other) == ["ID", "Completed", "Skipped", "Predictions", "Last update"]


def test_clearing_filters_keeps_the_columns(owner_client, dummy_project, tasks):
    owner_client.get(url(dummy_project, "?apply=1&columns=id&columns=skipped&skipped=1"))
    response = owner_client.get(url(dummy_project, "?apply=1"), headers=hx())
    assert shown(response) == [t.id for t in tasks]
    assert headings(response) == ["ID", "Skipped"]


def test_bad_filter_is_422_with_a_message_and_the_table_unchanged(owner_client, dummy_project, tasks):
    owner_client.get(url(dummy_project, "?apply=1&label=Negative"))
    response = owner_client.get(url(dummy_project, "?apply=1&completed=lots&updated_from=2020-02-31"), headers=hx())
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="dm-completed-msg">Enter a whole number' in body
    assert 'id="dm-updated_from-msg">Enter a date' in body
    assert shown(response) == [tasks[1].id]
    # The bad filters were not saved.
    assert shown(owner_client.get(url(dummy_project))) == [tasks[1].id]


def test_load_more_pages_with_a_cursor(owner_client, dummy_project, people):
    made = add_tasks(dummy_project, people["owner"], [{"text": f"t{i}"} for i in range(120)])
    db.session.commit()
    first = owner_client.get(url(dummy_project, "?apply=1&sort=id&desc=1"))
    assert shown(first) == [t.id for t in reversed(made)][:50]
    seen = shown(first)
    body = first.get_data(as_text=True)
    while True:
        match = re.search(r'hx-get="([^"]*after=[^"]*)"', body)
        if not match:
            break
        more = owner_client.get(match.group(1).replace("&amp;", "&"), headers=hx())
        body = more.get_data(as_text=True)
        assert more.status_code == 200 and body.lstrip().startswith("<tr")
        seen += shown(more)
    assert seen == [t.id for t in reversed(made)]


def test_bulk_delete_tasks(owner_client, dummy_project, tasks):
    first, third = tasks[0].id, tasks[2].id
    data = {"task_ids": [str(first), str(third)]}
    response = owner_client.post(url(dummy_project, "/delete"), data=data, headers=hx())
    assert response.status_code == 200
    assert "Deleted 2 tasks." in response.get_data(as_text=True)
    left = db.session.execute(select(Task.id).where(Task.project_id == dummy_project.id).order_by(Task.id)).scalars().all()
    assert first not in left and third not in left and len(left) == 4
    entry = audits("tasks.deleted")[-1]
    assert entry.data["count"] == 2 and sorted(entry.data["ids"]) == [first, third]


def test_bulk_delete_every_matching_task(owner_client, dummy_project, tasks):
    every = [t.id for t in tasks]
    response = owner_client.post(url(dummy_project, "/delete"), data={"all_matching": "1", "label": "Negative"})
    assert response.status_code == 303
    left = db.session.execute(select(Task.id).where(Task.project_id == dummy_project.id).order_by(Task.id)).scalars().all()
    assert left == every[:1] + every[2:]
    assert audits("tasks.deleted")[-1].data["all"] is True


def test_bulk_delete_annotations_recounts(owner_client, dummy_project, tasks):
    data = {"task_ids": [str(tasks[1].id), str(tasks[3].id)]}
    response = owner_client.post(url(dummy_project, "/delete-annotations"), data=data, headers=hx())
    assert response.status_code == 200
    assert "Deleted 2 annotations of 2 tasks." in response.get_data(as_text=True)
    db.session.expire_all()
    task = db.session.get(Task, tasks[1].id)
    assert (task.total_annotations, task.cancelled_annotations) == (0, 0)
    assert db.session.get(Task, tasks[0].id).total_annotations == 1
    assert db.session.execute(select(func.count(Annotation.id))).scalar() == 1
    entry = audits("annotations.deleted")[-1]
    assert entry.data["count"] == 2 and entry.data["tasks"] == 2


def test_bulk_assign_is_idempotent(owner_client, dummy_project, tasks, people):
    data = {"task_ids": [str(tasks[2].id), str(tasks[3].id)],
            "annotators": [str(people["annotator"].id), str(people["reviewer"].id)]}
    first = owner_client.post(url(dummy_project, "/assign"), data=data, headers=hx())
    assert first.status_code == 200 and "Assigned 2 tasks (4 new assignments)." in first.get_data(as_text=True)
    again = owner_client.post(url(dummy_project, "/assign"), data=data, headers=hx())
    assert "(0 new assignments)" in again.get_data(as_text=True)
    assert db.session.execute(select(func.count(TaskAssignment.id))).scalar() == 4
    entries = audits("tasks.assigned")
    assert [e.data["count"] for e in entries] == [2, 2] and entries[0].data["created"] == 4


@pytest.mark.parametrize("who", ["outsider", "pending"])
def test_assign_refuses_people_outside_the_working_members(owner_client, dummy_project, tasks, people, who):
    data = {"task_ids": [str(tasks[0].id)], "annotators": [str(people[who].id)]}
    response = owner_client.post(url(dummy_project, "/assign"), data=data, headers=hx())
    assert response.status_code == 422
    assert "working members" in response.get_data(as_text=True)


def test_bulk_export_streams_the_selection(owner_client, dummy_project, tasks):
    data = {"task_ids": [str(tasks[4].id), str(tasks[5].id)], "format": "JSON"}
    response = owner_client.post(url(dummy_project, "/export"), data=data)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert sorted(item["id"] for item in json.loads(response.get_data(as_text=True))) == [tasks[4].id, tasks[5].id]
    entry = audits("tasks.exported")[-1]
    assert entry.data["count"] == 2 and entry.data["only_annotated"] is False


@pytest.mark.parametrize("action", ["/delete", "/delete-annotations", "/assign", "/export"])
def test_nothing_selected_is_422(owner_client, people, dummy_project, tasks, action):
    data = {"annotators": [str(people["annotator"].id)], "format": "JSON"}
    response = owner_client.post(url(dummy_project, action), data=data, headers=hx())
    assert response.status_code == 422
    assert "Select at least one task." in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Task.id))).scalar() == 6


def test_ids_of_another_project_are_ignored(owner_client, create_project, dummy_org, dummy_project, people, tasks):
    other = create_project(dummy_org, people["owner"])
    theirs = add_tasks(other, people["owner"], [{"text": "not yours"}])
    db.session.commit()
    response = owner_client.post(url(dummy_project, "/delete"), data={"task_ids": [str(theirs[0].id)]}, headers=hx())
    assert response.status_code == 422
    assert db.session.get(Task, theirs[0].id) is not None


def test_reviewer_sees_every_task_but_cannot_act(reviewer_client, dummy_project, tasks, people):
    add_project_member(people["owner"], dummy_project, people["reviewer"])
    db.session.commit()
    response = reviewer_client.get(url(dummy_project))
    assert shown(response) == [t.id for t in tasks]
    assert 'name="task_ids"' not in response.get_data(as_text=True)
    denied = reviewer_client.post(url(dummy_project, "/delete"), data={"task_ids": [str(tasks[0].id)]})
    assert denied.status_code == 403


def test_annotator_is_refused_unless_the_project_allows_it(annotator_client, dummy_project, tasks, people):
    add_project_member(people["owner"], dummy_project, people["annotator"])
    db.session.commit()
    assert annotator_client.get(url(dummy_project)).status_code == 403
    dummy_project.show_dm_to_annotators = True
    db.session.add(TaskAssignment(task_id=tasks[5].id, project_id=dummy_project.id, user_id=people["annotator"].id))
    db.session.commit()
    response = annotator_client.get(url(dummy_project))
    assert response.status_code == 200
    assert shown(response) == [tasks[0].id, tasks[1].id, tasks[5].id]
    body = response.get_data(as_text=True)
    assert 'name="task_ids"' not in body and people["reviewer"].email not in body.split('id="dm"')[1].split("<table")[0]
