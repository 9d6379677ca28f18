"""Exporting tasks: every format, filters, streaming in batches, and import/export round trips."""
import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.errors import Refused
from app.tasks import exporting
from app.tasks.exporting import export_formats, export_stream
from app.tasks.importing import import_tasks
from app.tasks.models import Annotation, Prediction, Task
from tests.tasks import stream

CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}
NEGATIVE = {**CHOICE, "value": {"choices": ["Negative"]}}


@pytest.fixture
def owner(people):
    return people["owner"]


@pytest.fixture
def filled(dummy_project, owner, people):
    """Three tasks: one annotated twice with a prediction, one with a prediction only, one bare."""
    items = [
        {"data": {"text": "good", "extra": 1}, "meta": {"m": 1},
         "annotations": [{"result": [CHOICE], "completed_by": people["annotator"].id, "lead_time": 2.0},
                         {"result": [NEGATIVE], "completed_by": people["manager"].id, "lead_time": 1.0}],
         "predictions": [{"model_version": "v1", "score": 0.5, "result": [CHOICE]}]},
        {"data": {"text": "predicted"}, "predictions": [{"model_version": "v1", "result": [NEGATIVE]}]},
        {"data": {"text": "bare, with a comma"}},
    ]
    import_tasks(owner, dummy_project, stream(json.dumps(items)))
    return dummy_project


def body(project, fmt, **kwargs):
    chunks, content_type, filename = export_stream(project, fmt, **kwargs)
    return "".join(chunks), content_type, filename


def test_json_export_shape_and_only_annotated_default(db, filled, people):
    text, content_type, filename = body(filled, "JSON")
    assert content_type == "application/json"
    assert re.fullmatch(rf"project-{filled.id}-at-\d{{4}}-\d\d-\d\d-\d\d-\d\d-[0-9a-f]{{8}}\.json", filename)
    tasks = json.loads(text)
    assert [t["data"]["text"] for t in tasks] == ["good"]
    task = tasks[0]
    assert task["inner_id"] == 1 and task["project"] == filled.id and task["meta"] == {"m": 1}
    assert task["total_annotations"] == 2 and task["total_predictions"] == 1
    prediction_id = db.session.execute(select(Prediction.id).where(Prediction.task_id == task["id"])).scalar()
    assert task["predictions"] == [prediction_id]
    first = task["annotations"][0]
    assert first["completed_by"] == people["annotator"].id and first["result"] == [CHOICE]
    assert {"id", "was_cancelled", "ground_truth", "created_at", "updated_at", "lead_time", "unique_id"} <= first.keys()


def test_download_all_and_ids(db, filled):
    assert len(json.loads(body(filled, "JSON", only_annotated=False)[0])) == 3
    ids = db.session.execute(select(Task.id).where(Task.project_id == filled.id).order_by(Task.id)).scalars().all()
    picked = json.loads(body(filled, "JSON", task_ids=[ids[2]], only_annotated=False)[0])
    assert [t["id"] for t in picked] == [ids[2]]


def test_json_min_is_one_row_per_annotation(db, filled, people):
    rows = json.loads(body(filled, "JSON_MIN")[0])
    assert [(r["text"], r["sentiment"], r["annotator"]) for r in rows] == [
        ("good", "Positive", people["annotator"].id), ("good", "Negative", people["manager"].id)]
    assert {"id", "annotation_id", "created_at", "updated_at", "lead_time", "extra"} <= rows[0].keys()


@pytest.mark.parametrize("fmt,delimiter", [("CSV", ","), ("TSV", "\t")])
def test_tables_have_a_row_per_task(db, filled, people, fmt, delimiter):
    text, content_type, filename = body(filled, fmt, only_annotated=False)
    assert filename.endswith("." + fmt.lower())
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    assert list(rows[0]) == ["annotation_id", "annotator", "created_at", "extra", "id", "lead_time", "sentiment",
                             "text", "updated_at"]
    assert [r["text"] for r in rows] == ["good", "predicted", "bare, with a comma"]
    assert json.loads(rows[0]["sentiment"]) == ["Positive", "Negative"]
    assert rows[0]["annotator"] == f"{people['annotator'].id},{people['manager'].id}"
    assert rows[0]["lead_time"] == "3.0" and rows[1]["sentiment"] == "" and rows[1]["extra"] == ""


def test_one_annotation_gives_plain_values(db, dummy_project, owner):
    items = [{"data": {"text": "a"}, "annotations": [{"result": [CHOICE]}]}]
    import_tasks(owner, dummy_project, stream(json.dumps(items)))
    rows = list(csv.DictReader(io.StringIO(body(dummy_project, "CSV")[0])))
    assert rows[0]["sentiment"] == "Positive"


def test_export_is_audited_before_streaming(db, filled, owner):
    chunks, _, _ = export_stream(filled, "JSONL", only_annotated=False, actor=owner)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "tasks.exported")).scalar_one()
    assert entry.actor_id == owner.id and entry.data["format"] == "JSONL" and entry.data["count"] == 3
    assert len("".join(chunks).splitlines()) == 3


@pytest.mark.parametrize("fmt,message", [("COCO", "not available"), ("XML", "Unknown export format")])
def test_unknown_or_unavailable_format(db, filled, fmt, message):
    with pytest.raises(Refused, match=message):
        export_stream(filled, fmt)


def test_formats_list():
    formats = {f["name"]: f for f in export_formats(None)}
    assert {"JSON", "JSON_MIN", "JSONL", "CSV", "TSV"} <= formats.keys()
    assert formats["JSON"]["disabled"] is False and formats["COCO"]["disabled"] is True
    assert all({"name", "title", "description", "disabled"} <= f.keys() for f in formats.values())


def test_jsonl_round_trip_keeps_data_and_predictions(db, filled, owner, create_project, dummy_org):
    text = body(filled, "JSONL", only_annotated=False)[0]
    copy = create_project(dummy_org, owner)
    result = import_tasks(owner, copy, stream(text), filename="export.jsonl")
    assert (result.task_count, result.prediction_count, result.annotation_count) == (3, 2, 2)
    again = [json.loads(line) for line in body(copy, "JSONL", only_annotated=False)[0].splitlines()]
    before = [json.loads(line) for line in text.splitlines()]
    assert [t["data"] for t in again] == [t["data"] for t in before]
    assert [t["meta"] for t in again] == [t["meta"] for t in before]
    strip = [[(p["result"], p["model_version"], p["score"]) for p in t["predictions"]] for t in before]
    assert [[(p["result"], p["model_version"], p["score"]) for p in t["predictions"]] for t in again] == strip
    assert [[a["result"] for a in t["annotations"]] for t in again] == [[a["result"] for a in t["annotations"]]
                                                                         for t in before]
    assert copy.model_version == "v1"


def test_json_round_trip_keeps_data_and_annotations(db, filled, owner, people, create_project, dummy_org):
    text = body(filled, "JSON", only_annotated=False)[0]
    copy = create_project(dummy_org, owner)
    result = import_tasks(owner, copy, stream(text), filename="export.json")
    # the JSON export lists predictions by id: those are skipped, not refused
    assert (result.task_count, result.annotation_count, result.prediction_count) == (3, 2, 0)
    tasks = json.loads(body(copy, "JSON", only_annotated=False)[0])
    assert [t["data"] for t in tasks] == [t["data"] for t in json.loads(text)]
    annotations = db.session.execute(select(Annotation).where(Annotation.project_id == copy.id)
                                     .order_by(Annotation.id)).scalars().all()
    assert [(a.result, a.completed_by_id) for a in annotations] == [
        ([CHOICE], people["annotator"].id), ([NEGATIVE], people["manager"].id)]


def test_csv_round_trip_keeps_the_data(db, owner, dummy_project, create_project, dummy_org):
    original = 'text,title\n"multi\nline, with comma",A\nplain,"quoted ""x"""\n'
    import_tasks(owner, dummy_project, stream(original), filename="in.csv")
    text = body(dummy_project, "CSV", only_annotated=False)[0]
    copy = create_project(dummy_org, owner)
    import_tasks(owner, copy, stream(text), filename="out.csv")
    data = db.session.execute(select(Task.data).where(Task.project_id == copy.id).order_by(Task.id)).scalars().all()
    assert [(d["text"], d["title"]) for d in data] == [("multi\nline, with comma", "A"), ("plain", 'quoted "x"')]


def test_streams_thousands_of_tasks_in_batches(db, owner, dummy_project, monkeypatch):
    lines = "\n".join(json.dumps({"text": f"task {n}"}) for n in range(3500))
    import_tasks(owner, dummy_project, stream(lines), filename="many.jsonl")
    monkeypatch.setattr(exporting, "BATCH", 1000)
    chunks = list(export_stream(dummy_project, "JSON", only_annotated=False)[0])
    # "[", four batches, "]": each batch becomes its own chunk, so memory holds one batch at a time
    assert len(chunks) == 6
    tasks = json.loads("".join(chunks))
    assert len(tasks) == 3500 and tasks[-1]["data"] == {"text": "task 3499"}
    assert [t["inner_id"] for t in tasks] == list(range(1, 3501))
    lines = list(export_stream(dummy_project, "CSV", only_annotated=False)[0])
    assert len(lines) == 4 and sum(chunk.count("\n") for chunk in lines) == 3501
