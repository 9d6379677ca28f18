"""The Data Manager's query: each filter, combinations, sorting with keyset pages, the Annotator's scope."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.datamanager import query
from app.extensions import db
from app.tasks.models import Task, TaskAssignment
from tests.datamanager import add_tasks, annotate


@pytest.fixture
def tasks(dummy_project, people):
    owner = people["owner"]
    made = add_tasks(dummy_project, owner, [
        {"text": "The cat sat"},
        {"text": "A dog barked"},
        {"text": "Cats and dogs"},
        {"data": {"text": "Predicted one"}, "predictions": [{"result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Neutral"]}}]}]},
        {"text": "Nothing here"},
    ])
    annotate(made[0], people["annotator"], "Positive")
    annotate(made[0], people["reviewer"], "Negative")
    annotate(made[1], people["annotator"], cancelled=True)
    annotate(made[2], people["reviewer"], "Negative")
    db.session.commit()
    return made


def ids(project, args=None, ordering=None, only_for=None):
    filters = query.parse_filters(args or {})
    assert not filters.errors, filters.errors
    rows, _ = query.page(project, filters, ordering or {}, only_for=only_for, size=1000)
    return [t.id for t in rows]


def test_no_filter_lists_every_task_by_id(dummy_project, tasks):
    assert ids(dummy_project) == [t.id for t in tasks]


def test_data_text_contains_is_case_insensitive(dummy_project, tasks):
    assert ids(dummy_project, {"data_key": "text", "data_text": "CAT"}) == [tasks[0].id, tasks[2].id]
    assert ids(dummy_project, {"data_key": "other", "data_text": "cat"}) == []


def test_data_text_escapes_like_wildcards(dummy_project, tasks):
    assert ids(dummy_project, {"data_key": "text", "data_text": "%"}) == []


def test_completed_counts(dummy_project, tasks):
    assert ids(dummy_project, {"completed": "2", "completed_op": "eq"}) == [tasks[0].id]
    assert ids(dummy_project, {"completed": "1", "completed_op": "gte"}) == [tasks[0].id, tasks[2].id]
    assert ids(dummy_project, {"completed": "0", "completed_op": "lte"}) == [t.id for t in tasks[1:2] + tasks[3:]]


def test_skipped_counts(dummy_project, tasks):
    assert ids(dummy_project, {"skipped": "1", "skipped_op": "gte"}) == [tasks[1].id]


def test_has_predictions(dummy_project, tasks):
    assert ids(dummy_project, {"predictions": "yes"}) == [tasks[3].id]
    assert tasks[3].id not in ids(dummy_project, {"predictions": "no"})


def test_annotator(dummy_project, tasks, people):
    assert ids(dummy_project, {"annotator": str(people["reviewer"].id)}) == [tasks[0].id, tasks[2].id]
    assert ids(dummy_project, {"annotator": str(people["annotator"].id)}) == [tasks[0].id, tasks[1].id]


def test_label_value(dummy_project, tasks):
    assert ids(dummy_project, {"label": "Negative"}) == [tasks[0].id, tasks[2].id]
    assert ids(dummy_project, {"label": "Positive"}) == [tasks[0].id]
    # The whole value only, and predictions do not count.
    assert ids(dummy_project, {"label": "Neg"}) == []
    assert ids(dummy_project, {"label": "Neutral"}) == []


def test_date_ranges(dummy_project, tasks):
    old = datetime(2020, 5, 1, 12, tzinfo=UTC)
    db.session.execute(update(Task).where(Task.id == tasks[4].id).values(updated_at=old, created_at=old))
    db.session.commit()
    assert ids(dummy_project, {"updated_from": "2020-05-01", "updated_to": "2020-05-01"}) == [tasks[4].id]
    assert ids(dummy_project, {"created_to": "2020-05-02"}) == [tasks[4].id]
    today = datetime.now(UTC).date()
    assert tasks[4].id not in ids(dummy_project, {"created_from": str(today - timedelta(days=1))})


def test_filters_combine_with_and(dummy_project, tasks, people):
    args = {"data_key": "text", "data_text": "cat", "label": "Negative", "annotator": str(people["annotator"].id)}
    assert ids(dummy_project, args) == [tasks[0].id]
    args["completed"], args["completed_op"] = "1", "eq"
    assert ids(dummy_project, args) == []


@pytest.mark.parametrize("args, field", [
    ({"completed": "many"}, "completed"),
    ({"skipped": "-1"}, "skipped"),
    ({"completed": "1", "completed_op": "gt"}, "completed"),
    ({"updated_from": "2020-13-01"}, "updated_from"),
    ({"created_to": "yesterday"}, "created_to"),
    ({"data_text": "cat"}, "data_key"),
    ({"data_key": "a'b", "data_text": "x"}, "data_key"),
    ({"annotator": "me"}, "annotator"),
    ({"predictions": "maybe"}, "predictions"),
])
def test_bad_input_is_located(args, field):
    assert field in query.parse_filters(args).errors


def test_saved_filters_round_trip():
    filters = query.parse_filters({"completed": "2", "completed_op": "gte", "label": "Positive"})
    back = query.filters_from_saved(query.filters_to_saved(filters))
    assert back.values == filters.values


@pytest.mark.parametrize("key", sorted(query.SORTS))
@pytest.mark.parametrize("desc", [False, True])
def test_keyset_pages_reach_every_task_once(dummy_project, people, key, desc):
    made = add_tasks(dummy_project, people["owner"], [{"text": f"t{i}"} for i in range(23)])
    # Few distinct values, so the id tiebreak decides most of the order.
    for i, task in enumerate(made):
        db.session.execute(update(Task).where(Task.id == task.id).values(
            total_annotations=i % 3, cancelled_annotations=i % 2, total_predictions=i % 4,
            updated_at=datetime(2024, 1, 1 + i % 5, tzinfo=UTC)))
    db.session.commit()
    filters, ordering = query.parse_filters({}), {"key": key, "desc": desc}
    seen, cursor = [], None
    while True:
        rows, cursor = query.page(dummy_project, filters, ordering, after=cursor, size=5)
        seen += rows
        if cursor is None:
            break
    assert sorted(t.id for t in seen) == sorted(t.id for t in made)
    column = query.SORTS[key].key
    keys = [(getattr(t, column), t.id) for t in seen]
    assert keys == sorted(keys, reverse=desc)


def test_bad_cursor_is_refused(dummy_project, tasks):
    with pytest.raises(ValueError):
        query.page(dummy_project, query.parse_filters({}), {"key": "completed"}, after="x")


def test_annotator_sees_own_and_assigned_tasks(dummy_project, tasks, people):
    annotator = people["annotator"]
    db.session.add(TaskAssignment(task_id=tasks[4].id, project_id=dummy_project.id, user_id=annotator.id))
    db.session.commit()
    assert ids(dummy_project, only_for=annotator) == [tasks[0].id, tasks[1].id, tasks[4].id]
    assert query.count(dummy_project, query.parse_filters({}), annotator) == 3
    assert ids(dummy_project, only_for=people["manager"]) == []


def test_annotators_of_a_page_in_one_query(dummy_project, tasks, people):
    found = query.annotators_of([t.id for t in tasks])
    assert {u.id for u in found[tasks[0].id]} == {people["annotator"].id, people["reviewer"].id}
    assert tasks[4].id not in found


def test_preview_is_short_text():
    line = query.preview({"text": "x" * 200, "n": 3})
    assert len(line) == 80 and line.endswith("…")
    assert query.preview({"a": 1, "b": "<b>"}) == "a: 1 · b: <b>"
