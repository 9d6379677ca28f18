"""Exporting a project's tasks: generators that fetch in keyset batches, so memory stays flat however large."""
import csv
import io
import json
import secrets
from datetime import UTC, datetime

import orjson
from sqlalchemy import exists, func, select

from app.api.serializers import iso
from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.projects.access import project_org
from app.tasks.models import Annotation, Prediction, Task

BATCH = 1000

#: name -> (title, description, file extension, content type)
FORMATS = {
    "JSON": ("JSON", "List of items in raw JSON format stored in one JSON file: the data and the annotations.",
             "json", "application/json"),
    "JSON_MIN": ("JSON-MIN", "List of flat items with the data and the answers of each control; one per annotation.",
                 "json", "application/json"),
    "JSONL": ("JSON lines", "One task per line with its annotations and predictions; re-imports as it is.",
              "jsonl", "application/x-ndjson"),
    "CSV": ("CSV", "One row per task: its data, then one column per control holding the answers.",
            "csv", "text/csv"),
    "TSV": ("TSV", "Like CSV, separated by tabs.", "tsv", "text/tab-separated-values"),
}
#: formats of the model product that need converters Tessera does not have
UNAVAILABLE = {
    "CONLL2003": "Popular format used for the CoNLL-2003 named entity recognition challenge.",
    "COCO": "Popular machine learning format used by the COCO dataset for object detection.",
    "VOC": "Popular XML format used for object detection and polygon image segmentation tasks.",
    "YOLO": "Popular TXT format with a text file per image for object detection.",
}
BOOKKEEPING = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time")
#: result type -> the key of ``value`` holding a plain answer; other types export their whole values
SCALAR_KEYS = {"choices": "choices", "textarea": "text", "rating": "rating", "number": "number",
               "datetime": "datetime"}


def export_formats(project):
    """The formats the export endpoint offers, the unavailable ones marked ``disabled``."""
    found = [{"name": name, "title": title, "description": text, "disabled": False}
             for name, (title, text, _, _) in FORMATS.items()]
    found += [{"name": name, "title": name, "description": text, "disabled": True} for name, text in UNAVAILABLE.items()]
    return found


def _filters(project_id, task_ids, only_annotated):
    where = [Task.project_id == project_id]
    if task_ids is not None:
        where.append(Task.id.in_(list(task_ids)))
    if only_annotated:
        # Skips count as annotations here, as in the model product.
        where.append(exists().where(Annotation.task_id == Task.id))
    return where


def count_tasks(project, task_ids=None, only_annotated=True):
    return db.session.execute(select(func.count(Task.id)).where(*_filters(project.id, task_ids, only_annotated))).scalar()


def iter_batches(project_id, task_ids=None, only_annotated=True, with_predictions=True):
    """Yield lists of ``(task row, [annotation rows], [prediction rows])``, ``BATCH`` tasks at a time by id.

    It takes the project's id, not the project: the export streams after the request's commit has expired
    every ORM object, and reading one then would need a session the response no longer has.
    """
    table = Task.__table__
    where = _filters(project_id, task_ids, only_annotated)
    last = 0
    while True:
        # Core rows, not ORM objects: nothing piles up in the session's identity map.
        tasks = db.session.execute(
            select(table).where(*where, table.c.id > last).order_by(table.c.id).limit(BATCH)).mappings().all()
        if not tasks:
            return
        ids = [t["id"] for t in tasks]
        last = ids[-1]
        annotations, predictions = {}, {}
        for row in db.session.execute(select(Annotation.__table__).where(Annotation.task_id.in_(ids))
                                      .order_by(Annotation.id)).mappings():
            annotations.setdefault(row["task_id"], []).append(row)
        if with_predictions:
            for row in db.session.execute(select(Prediction.__table__).where(Prediction.task_id.in_(ids))
                                          .order_by(Prediction.id)).mappings():
                predictions.setdefault(row["task_id"], []).append(row)
        yield [(t, annotations.get(t["id"], []), predictions.get(t["id"], [])) for t in tasks]


def annotation_dict(row):
    return {
        "id": row["id"], "completed_by": row["completed_by_id"], "result": row["result"],
        "was_cancelled": row["was_cancelled"], "ground_truth": row["ground_truth"],
        "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
        "draft_created_at": iso(row["draft_created_at"]), "lead_time": row["lead_time"], "prediction": {},
        "result_count": len(row["result"] or []), "unique_id": row["unique_id"], "import_id": row["import_id"],
        "last_action": row["last_action"], "bulk_created": False, "task": row["task_id"],
        "project": row["project_id"], "updated_by": row["updated_by_id"],
        "parent_prediction": row["parent_prediction_id"], "parent_annotation": row["parent_annotation_id"],
        "last_created_by": None,
    }


def prediction_dict(row):
    return {
        "id": row["id"], "task": row["task_id"], "project": row["project_id"], "model_version": row["model_version"],
        "score": row["score"], "result": row["result"], "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def task_dict(task, annotations, predictions, full_predictions=False):
    """A task in the JSON export's shape; ``full_predictions`` writes predictions whole instead of their ids."""
    return {
        "id": task["id"], "inner_id": task["inner_id"], "project": task["project_id"], "data": task["data"],
        "meta": task["meta"] or {}, "annotations": [annotation_dict(a) for a in annotations], "drafts": [],
        "predictions": [prediction_dict(p) if full_predictions else p["id"] for p in predictions],
        "created_at": iso(task["created_at"]), "updated_at": iso(task["updated_at"]), "allow_skip": task["allow_skip"],
        "total_annotations": task["total_annotations"], "cancelled_annotations": task["cancelled_annotations"],
        "total_predictions": task["total_predictions"], "comment_count": 0, "unresolved_comment_count": 0,
        "last_comment_updated_at": None, "updated_by": task["updated_by_id"], "comment_authors": [],
    }


def _control_values(result, types):
    """``{control: answer}`` of one annotation: choices as a list, one text as text, other types their values."""
    found = {}
    for region in result or ():
        name = region.get("from_name") if isinstance(region, dict) else None
        if name not in types:
            continue
        value = region.get("value") or {}
        key = SCALAR_KEYS.get(types[name])
        if key is None:
            found.setdefault(name, []).append(value)
        elif key in ("choices", "text"):
            items = value.get(key) or []
            found.setdefault(name, []).extend(items if isinstance(items, list) else [items])
        else:
            found[name] = value.get(key)
    for name, value in found.items():
        if types[name] in ("choices", "textarea") and len(value) == 1:
            found[name] = value[0]
    return found


def _min_rows(task, annotations, types):
    """JSON_MIN: one flat row per annotation (a task without one gives one row with its data)."""
    base = {"id": task["id"], **(task["data"] or {})}
    if not annotations:
        yield base
    for a in annotations:
        yield {**base, **_control_values(a["result"], types), "annotator": a["completed_by_id"],
               "annotation_id": a["id"], "created_at": iso(a["created_at"]), "updated_at": iso(a["updated_at"]),
               "lead_time": a["lead_time"]}


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, ensure_ascii=False)


def _table_row(task, annotations, types, columns):
    """CSV/TSV: one row per task; with several annotations each control holds the list of their answers."""
    row = {key: _cell(value) for key, value in (task["data"] or {}).items()}
    done = [a for a in annotations if not a["was_cancelled"]]
    answers = [_control_values(a["result"], types) for a in done]
    for name in types:
        if name in row:
            continue
        values = [answer[name] for answer in answers if name in answer]
        row[name] = _cell(values[0]) if len(values) == 1 else (json.dumps(values, ensure_ascii=False) if values else "")
    row.update({
        "id": str(task["id"]),
        "annotator": ",".join(str(a["completed_by_id"]) for a in done if a["completed_by_id"] is not None),
        "annotation_id": ",".join(str(a["id"]) for a in done),
        "created_at": iso(task["created_at"]), "updated_at": iso(task["updated_at"]),
        "lead_time": _cell(sum(a["lead_time"] or 0 for a in done) if any(a["lead_time"] for a in done) else None),
    })
    return [row.get(column, "") for column in columns]


def _data_keys(project, task_ids, only_annotated):
    """Every data key of the exported tasks (a first pass over the data only, in batches)."""
    keys, last = set(), 0
    where = _filters(project.id, task_ids, only_annotated)
    while True:
        rows = db.session.execute(select(Task.id, Task.data).where(*where, Task.id > last)
                                  .order_by(Task.id).limit(BATCH)).all()
        if not rows:
            return keys
        for _, data in rows:
            keys.update(data or {})
        last = rows[-1][0]


def _control_types(project):
    from app.labeling_config import parse_config

    return {name: str(kind).lower() for name, kind in parse_config(project.label_config).control_types().items()}


def _json(project, batches, types):
    yield "["
    first = True
    for batch in batches:
        parts = [orjson.dumps(task_dict(*entry)).decode() for entry in batch]
        yield ("" if first else ",") + ",".join(parts)
        first = False
    yield "]"


def _json_min(project, batches, types):
    yield "["
    first = True
    for batch in batches:
        parts = [orjson.dumps(row).decode() for t, a, _ in batch for row in _min_rows(t, a, types)]
        if parts:
            yield ("" if first else ",") + ",".join(parts)
            first = False
    yield "]"


def _jsonl(project, batches, types):
    for batch in batches:
        yield b"".join(orjson.dumps(task_dict(*entry, full_predictions=True)) + b"\n" for entry in batch).decode()


def _table(delimiter):
    def write(project, batches, types, columns):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow(columns)
        for batch in batches:
            for task, annotations, _ in batch:
                writer.writerow(_table_row(task, annotations, types, columns))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    return write


WRITERS = {"JSON": _json, "JSON_MIN": _json_min, "JSONL": _jsonl, "CSV": _table(","), "TSV": _table("\t")}


def export_filename(project, extension, now=None):
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d-%H-%M")
    return f"project-{project.id}-at-{stamp}-{secrets.token_hex(4)}.{extension}"


def export_stream(project, fmt, task_ids=None, only_annotated=True, actor=None):
    """``(chunks, content type, file name)``; the export is audited now, before the first chunk is made."""
    fmt = (fmt or "JSON").upper()
    if fmt in UNAVAILABLE:
        raise Refused(f"{fmt} export is not available in Tessera; use one of {', '.join(FORMATS)}.", "exportType")
    if fmt not in FORMATS:
        raise Refused(f"Unknown export format {fmt}; use one of {', '.join(FORMATS)}.", "exportType")
    _, _, extension, content_type = FORMATS[fmt]
    types = _control_types(project)
    count = count_tasks(project, task_ids, only_annotated)
    record(actor, project_org(project), "tasks.exported", target=project,
           data={"format": fmt, "count": count, "only_annotated": only_annotated})
    task_ids = None if task_ids is None else list(task_ids)
    batches = iter_batches(project.id, task_ids, only_annotated, with_predictions=fmt in ("JSON", "JSONL"))
    if fmt in ("CSV", "TSV"):
        keys = _data_keys(project, task_ids, only_annotated)
        columns = sorted(keys | {n for n in types if n not in keys} | set(BOOKKEEPING))
        chunks = WRITERS[fmt](project, batches, types, columns)
    else:
        chunks = WRITERS[fmt](project, batches, types)
    return chunks, content_type, export_filename(project, extension)
