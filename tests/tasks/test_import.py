"""Importing tasks: every format, good and bad files, all or nothing."""
import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.errors import Refused
from app.tasks import importing
from app.tasks.editing import import_predictions
from app.tasks.importing import ImportRefused, import_tasks
from app.tasks.models import Annotation, Prediction, Task, TaskImport
from tests.tasks import count_tasks, stream

CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}


@pytest.fixture
def project(dummy_project):
    return dummy_project


@pytest.fixture
def owner(people):
    return people["owner"]


def run(owner, project, content, filename=None, **kwargs):
    return import_tasks(owner, project, stream(content), filename=filename, **kwargs)


def refused(owner, project, content, filename=None):
    with pytest.raises(ImportRefused) as caught:
        run(owner, project, content, filename)
    return caught.value


def tasks_of(db, project):
    return db.session.execute(select(Task).where(Task.project_id == project.id).order_by(Task.id)).scalars().all()


def test_json_list_with_every_item_form(db, owner, project):
    items = [
        {"text": "I love it"},
        {"data": {"text": "wrapped form"}, "meta": {"src": "x"}},
        {"data": {"text": "with preds"},
         "predictions": [{"model_version": "v1", "score": 0.9, "result": [CHOICE]}]},
        {"data": {"text": "with annotation"}, "annotations": [{"result": [CHOICE], "lead_time": 2.5}]},
    ]
    result = run(owner, project, json.dumps(items), "tasks.json")
    assert (result.task_count, result.annotation_count, result.prediction_count) == (4, 1, 1)
    tasks = tasks_of(db, project)
    assert result.task_ids == [t.id for t in tasks]
    assert [t.inner_id for t in tasks] == [1, 2, 3, 4]
    assert [t.data for t in tasks] == [{"text": "I love it"}, {"text": "wrapped form"}, {"text": "with preds"},
                                       {"text": "with annotation"}]
    assert tasks[1].meta == {"src": "x"}
    assert (tasks[2].total_predictions, tasks[3].total_annotations, tasks[3].is_labeled) == (1, 1, True)
    assert not tasks[0].is_labeled
    assert project.model_version == "v1"
    prediction = db.session.execute(select(Prediction)).scalar_one()
    assert (prediction.task_id, prediction.score, prediction.result) == (tasks[2].id, 0.9, [CHOICE])
    annotation = db.session.execute(select(Annotation)).scalar_one()
    assert annotation.lead_time == 2.5 and annotation.last_action == "imported" and annotation.completed_by_id is None
    row = db.session.execute(select(TaskImport)).scalar_one()
    assert (row.filename, row.format, row.task_count, row.created_by_id) == ("tasks.json", "json", 4, owner.id)
    assert all(t.import_id == row.id for t in tasks)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "tasks.imported")).scalar_one()
    assert entry.data == {"file": "tasks.json", "format": "json", "tasks": 4, "annotations": 1, "predictions": 1}


def test_one_json_object_and_inner_ids_continue(db, owner, project):
    run(owner, project, '[{"text": "a"}, {"text": "b"}]')
    result = run(owner, project, '{\n  "data": {"text": "c"}\n}', "one.json")
    assert result.task_count == 1
    assert [t.inner_id for t in tasks_of(db, project)] == [1, 2, 3]


def test_json_lines_skip_blank_lines(db, owner, project):
    result = run(owner, project, '{"text": "a"}\n\n{"data": {"text": "b"}}\n', "tasks.ndjson")
    assert result.task_count == 2 and result.task_import.format == "jsonl"


@pytest.mark.parametrize("content,fmt", [('{"text": "a"}\n{"text": "b"}\n', "jsonl"),
                                         ('{\n "text": "pretty"\n}\n', "json"),
                                         ('  [{"text": "a"}]', "json"),
                                         ("text\nhello\n", "csv")])
def test_format_is_sniffed_without_a_name(db, owner, project, content, fmt):
    assert run(owner, project, content).task_import.format == fmt


def test_broken_line_7_of_json_lines_imports_nothing(db, owner, project):
    lines = [json.dumps({"text": f"t{n}"}) for n in range(1, 11)]
    lines[6] = '{"text": "t7" "oops": 1}'
    error = refused(owner, project, "\n".join(lines), "tasks.jsonl")
    assert error.line == 7
    assert error.message == "Line 7: not valid JSON (Expecting ',' delimiter, column 15)"
    assert count_tasks(db, project) == 0
    assert db.session.execute(select(TaskImport)).first() is None


def test_json_list_errors_name_the_item_and_its_line(db, owner, project):
    content = '[\n  {"text": "a"},\n  {"text": "b"},\n  {"body": "c",\n   "title": "d"}\n]'
    error = refused(owner, project, content)
    assert (error.line, error.item) == (4, 3)
    assert error.message == 'Line 4 (item 3): "text" key is expected in task data (found: body, title)'
    error = refused(owner, project, '[\n{"text": "a"},\n{"text": "b"}\n{"text": "c"}]')
    assert error.message.startswith("Line 4 (item 2): not valid JSON (expected ',' or ']' after the item")
    error = refused(owner, project, '[\n{"text": "a"},\n{"text": }]')
    assert error.message.startswith("Line 3 (item 2): not valid JSON (Expecting value")


def test_csv_with_header_quoted_newlines_and_id_column(db, owner, project):
    content = 'id,text,title\n1,"first\nline two",A\n2,second,B\n'
    result = run(owner, project, content, "tasks.csv")
    assert result.task_count == 2
    assert [t.data for t in tasks_of(db, project)] == [{"text": "first\nline two", "title": "A"},
                                                        {"text": "second", "title": "B"}]


def test_csv_short_row_names_its_physical_line(db, owner, project):
    error = refused(owner, project, 'text,title\n"multi\nline",A\nonly-one\n', "tasks.csv")
    assert error.message == "Line 4: the row has 1 values but the header has 2 columns"
    error = refused(owner, project, "text,title\na,b,c\n", "tasks.csv")
    assert error.message == "Line 2: the row has 3 values but the header has 2 columns"
    assert count_tasks(db, project) == 0


def test_tsv(db, owner, project):
    result = run(owner, project, "text\tscore\nhello, world\t5\n", "tasks.tsv")
    assert result.task_count == 1 and tasks_of(db, project)[0].data == {"text": "hello, world", "score": "5"}


def test_unknown_data_key(db, owner, project):
    content = '{"text": "ok"}\n{"text": "ok"}\n{"body": "x", "title": "y"}\n'
    error = refused(owner, project, content, "t.jsonl")
    assert error.message == 'Line 3: "text" key is expected in task data (found: body, title)'
    error = refused(owner, project, "body\nhello\n", "t.csv")
    assert error.message == 'Line 2: "text" key is expected in task data (found: body)'


@pytest.mark.parametrize("bad,message", [
    ({"from_name": "nope", "to_name": "text", "type": "choices", "value": {}},
     'prediction 1, region 1: from_name "nope" is not a control of the labeling configuration (controls: sentiment)'),
    ({"from_name": "sentiment", "to_name": "text", "type": "labels", "value": {}},
     'prediction 1, region 1: type "labels" does not match control "sentiment" (expected "choices")'),
    ("region", "prediction 1, region 1: a region must be a JSON object"),
])
def test_bad_prediction_regions(db, owner, project, bad, message):
    second = {"data": {"text": "b"}, "predictions": [{"result": [bad]}]}
    content = '{"text": "a"}\n' + json.dumps(second) + "\n"
    error = refused(owner, project, content, "t.jsonl")
    assert error.message == f"Line 2: {message}"
    assert count_tasks(db, project) == 0


def test_bad_annotation_region_and_shapes(db, owner, project):
    bad = {"from_name": "x", "type": "choices"}
    lines = ['{"text": "a"}'] * 3 + [json.dumps({"data": {"text": "b"}, "predictions": {"result": []}})]
    assert refused(owner, project, "\n".join(lines), "t.jsonl").message == "Line 4: predictions must be a list"
    lines[3] = json.dumps({"data": {"text": "b"}, "annotations": [{"result": [bad]}]})
    assert refused(owner, project, "\n".join(lines), "t.jsonl").message.startswith("Line 4: annotation 1, region 1:")
    lines[3] = json.dumps({"data": {"text": "b"}, "annotations": "x"})
    assert refused(owner, project, "\n".join(lines), "t.jsonl").message == "Line 4: annotations must be a list"
    lines[3] = "[1, 2]"
    assert refused(owner, project, "\n".join(lines), "t.jsonl").message == "Line 4: a task must be a JSON object"


@pytest.mark.parametrize("content,filename", [("", "t.json"), ("  \n\n", "t.jsonl"), ("[]", "t.json"),
                                              ("text\n", "t.csv"), ("", None), ("\n\n", "t.tsv")])
def test_empty_file(db, owner, project, content, filename):
    error = refused(owner, project, content, filename)
    assert error.message == "The file holds no tasks."
    assert db.session.execute(select(TaskImport)).first() is None


def test_a_refusal_in_a_later_batch_leaves_nothing(db, owner, project, monkeypatch):
    run(owner, project, '[{"text": "existing"}]')
    monkeypatch.setattr(importing, "BATCH", 3)
    lines = [json.dumps({"data": {"text": f"t{n}"}, "predictions": [{"result": [CHOICE]}],
                         "annotations": [{"result": [CHOICE]}]}) for n in range(10)]
    lines.append('{"nope": 1}')
    error = refused(owner, project, "\n".join(lines), "t.jsonl")
    assert error.line == 11
    assert count_tasks(db, project) == 1
    assert db.session.execute(select(Prediction)).first() is None
    assert db.session.execute(select(Annotation)).first() is None
    assert project.model_version == ""
    assert len(db.session.execute(select(TaskImport)).scalars().all()) == 1
    # the session is still usable, and the next import continues the numbering
    run(owner, project, "\n".join(lines[:10]), "t.jsonl")
    assert [t.inner_id for t in tasks_of(db, project)] == list(range(1, 12))


def test_annotations_keep_members_counters_and_flags(db, owner, project, people, create_user):
    stranger = create_user()
    annotations = [
        {"result": [CHOICE], "completed_by": people["annotator"].id, "ground_truth": True},
        {"result": [CHOICE], "completed_by": {"id": stranger.id}},
        {"result": [], "was_cancelled": True, "completed_by": people["manager"].id},
    ]
    run(owner, project, json.dumps([{"data": {"text": "a"}, "annotations": annotations}]))
    task = tasks_of(db, project)[0]
    assert (task.total_annotations, task.cancelled_annotations, task.is_labeled) == (2, 1, True)
    rows = db.session.execute(select(Annotation).order_by(Annotation.id)).scalars().all()
    assert [a.completed_by_id for a in rows] == [people["annotator"].id, None, people["manager"].id]
    assert [a.ground_truth for a in rows] == [True, False, False]
    assert [a.was_cancelled for a in rows] == [False, False, True]


def test_overlap_decides_is_labeled(db, owner, create_project, dummy_org):
    project = create_project(dummy_org, owner, overlap=2)
    run(owner, project, json.dumps([{"data": {"text": "a"}, "annotations": [{"result": [CHOICE]}]}]))
    assert tasks_of(db, project)[0].is_labeled is False


def test_commit_to_project_false_counts_only(db, owner, project):
    result = run(owner, project, '{"text": "a"}\n{"text": "b"}\n', "t.jsonl", commit_to_project=False)
    assert result.task_count == 2 and result.task_ids == []
    assert count_tasks(db, project) == 0
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "tasks.imported")).first() is None


def test_existing_model_version_is_kept(db, owner, create_project, dummy_org):
    project = create_project(dummy_org, owner, model_version="v0")
    run(owner, project, json.dumps([{"data": {"text": "a"}, "predictions": [{"model_version": "v9", "result": []}]}]))
    assert project.model_version == "v0"


def test_bulk_predictions(db, owner, project):
    ids = run(owner, project, '[{"text": "a"}, {"text": "b"}]').task_ids
    created = import_predictions(owner, project, [{"task": ids[0], "model_version": "v3", "score": 0.7,
                                                   "result": [CHOICE]}, {"task": ids[1], "result": []}])
    assert created == 2
    assert [t.total_predictions for t in tasks_of(db, project)] == [1, 1]
    assert project.model_version == "v3"
    with pytest.raises(Refused, match="not tasks of this project"):
        import_predictions(owner, project, [{"task": 999999, "result": []}])
    with pytest.raises(Refused, match="Item 1: prediction 1, region 1"):
        import_predictions(owner, project, [{"task": ids[0], "result": [{"from_name": "x", "type": "choices"}]}])


def test_a_file_that_is_not_utf8_is_refused(db, owner, project):
    error = refused(owner, project, b"text\n\xff\xfe bad\n", "t.csv")
    assert error.message == "The file is not UTF-8 text."
    assert count_tasks(db, project) == 0


def test_one_pretty_object_names_the_line_it_starts_on(db, owner, project):
    assert refused(owner, project, '\n\n{\n  "body": 1\n}', "t.json").message.startswith("Line 3: ")
