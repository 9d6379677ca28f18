"""Importing tasks (with their annotations and predictions): all or nothing, streamed, inserted in bulk.

Formats: a JSON list or one JSON object (parsed whole: the text of the file is held in memory, each item is
decoded on its own so that errors name the item and its line), JSON lines, CSV and TSV (read line by line).
"""
import csv
import io
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from app.audit.services import record
from app.errors import Refused
from app.extensions import db
from app.orgs.models import OrgMember
from app.projects.access import project_org
from app.tasks.models import Annotation, Prediction, Task, TaskImport, required_annotations

BATCH = 2000
FORMATS = ("json", "jsonl", "csv", "tsv")
EXTENSIONS = {"json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv", "tsv": "tsv"}
#: regions that relate two other regions name no control
RELATION_TYPES = frozenset({"relation"})


class ImportRefused(Refused):
    """A bad item: nothing was imported; ``line`` is the file's 1-based line, ``item`` the list item (JSON lists)."""

    def __init__(self, message, line=None, item=None):
        super().__init__(message)
        self.line = line
        self.item = item


@dataclass
class ImportResult:
    task_count: int = 0
    annotation_count: int = 0
    prediction_count: int = 0
    duration: float = 0.0
    task_ids: list = field(default_factory=list)
    task_import: TaskImport | None = None


def _where(line, item):
    return f"Line {line} (item {item})" if item is not None else f"Line {line}"


def _refuse(message, line, item=None):
    raise ImportRefused(f"{_where(line, item)}: {message}", line, item)


# Reading ---------------------------------------------------------------------------------------------------

def detect_format(filename, head):
    """The format from the file name's extension, else from the first non-blank byte (``[`` or ``{``)."""
    if filename and "." in filename:
        found = EXTENSIONS.get(filename.rsplit(".", 1)[1].lower())
        if found:
            return found
    first = head.lstrip()[:1]
    if first == b"[":
        return "json"
    if first == b"{":
        return "jsonl?"
    return "csv"


def _text(stream, newline=None):
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=newline)


def read_json(text):
    """Yield ``(line, item number, object)`` from a JSON list or a single JSON object held in ``text``."""
    decoder = json.JSONDecoder()
    pos, line, size = 0, 1, len(text)

    def skip(at):
        nonlocal line
        end = at
        while end < size and text[end] in " \t\r\n":
            end += 1
        line += text.count("\n", at, end)
        return end

    def decode(at, item=None):
        try:
            return decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            _refuse(f"not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno, item)

    pos = skip(pos)
    if pos == size:
        return
    if text[pos] != "[":
        start_line = line
        obj, end = decode(pos)
        if skip(end) != size:
            _refuse("not valid JSON (extra data after the object)", line)
        yield start_line, None, obj
        return
    pos, number = skip(pos + 1), 0
    if pos < size and text[pos] == "]":
        pos = skip(pos + 1)
    else:
        while True:
            number += 1
            start_line = line
            obj, end = decode(pos, number)
            line += text.count("\n", pos, end)
            yield start_line, number, obj
            pos = skip(end)
            if pos < size and text[pos] == ",":
                pos = skip(pos + 1)
                continue
            if pos < size and text[pos] == "]":
                pos = skip(pos + 1)
                break
            _refuse("not valid JSON (expected ',' or ']' after the item)", line, number)
    if pos != size:
        _refuse("not valid JSON (extra data after the list)", line)


def read_json_lines(lines, first_line=1):
    """Yield ``(line, None, object)`` per non-blank line."""
    for number, raw in enumerate(lines, first_line):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            _refuse(f"not valid JSON ({exc.msg}, column {exc.colno})", number)
        yield number, None, obj


def read_delimited(text_stream, delimiter):
    """Yield ``(line, None, row dict)`` from CSV/TSV with a header row; a column named ``id`` is left out."""
    reader = csv.reader(text_stream, delimiter=delimiter)
    header, previous = None, 0
    try:
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [name.strip() for name in row]
                if len(set(header)) != len(header):
                    _refuse("the header names a column twice", start)
                continue
            if len(row) != len(header):
                _refuse(f"the row has {len(row)} values but the header has {len(header)} columns", start)
            yield start, None, {k: v for k, v in zip(header, row, strict=True) if k != "id"}
    except csv.Error as exc:
        _refuse(f"not valid {'TSV' if delimiter == chr(9) else 'CSV'} ({exc})", reader.line_num)


def read_items(stream, fmt):
    """``(format, iterator of (line, item, object))`` for a binary stream in ``fmt`` (``jsonl?``: sniff)."""
    if fmt == "csv":
        return "csv", read_delimited(_text(stream, newline=""), ",")
    if fmt == "tsv":
        return "tsv", read_delimited(_text(stream, newline=""), "\t")
    text = _text(stream)
    if fmt == "jsonl":
        return "jsonl", read_json_lines(text)
    if fmt == "jsonl?":
        # One object per line, unless the first object spans lines: then the file is one (pretty) object.
        head = []
        for raw in text:
            head.append(raw)
            if raw.strip():
                break
        try:
            json.loads(head[-1])
        except (json.JSONDecodeError, IndexError):
            return "json", read_json("".join(head) + text.read())
        return "jsonl", read_json_lines(itertools.chain(head, text))
    return "json", read_json(text.read())


# Checking --------------------------------------------------------------------------------------------------

class Checker:
    """Checks items against the project's labeling configuration and the organization's members."""

    def __init__(self, project):
        from app.labeling_config import parse_config

        cfg = parse_config(project.label_config)
        self.variables = sorted(cfg.variables)
        self.types = {name: str(kind).lower() for name, kind in cfg.control_types().items()}
        self.members = set(db.session.execute(
            select(OrgMember.user_id).where(OrgMember.org_id == project.org_id)).scalars())

    def data(self, data, where):
        if not isinstance(data, dict):
            _refuse("task data must be a JSON object", *where)
        missing = [key for key in self.variables if key not in data]
        if missing:
            names = ", ".join(f'"{key}"' for key in missing)
            found = ", ".join(sorted(str(k) for k in data)) or "nothing"
            verb = "key is" if len(missing) == 1 else "keys are"
            _refuse(f"{names} {verb} expected in task data (found: {found})", *where)

    def result(self, result, what, where):
        if not isinstance(result, list):
            _refuse(f"{what}: result must be a list", *where)
        for number, region in enumerate(result, 1):
            if not isinstance(region, dict):
                _refuse(f"{what}, region {number}: a region must be a JSON object", *where)
            kind = str(region.get("type") or "").lower()
            if kind in RELATION_TYPES:
                continue
            name = region.get("from_name")
            if name not in self.types:
                known = ", ".join(sorted(self.types)) or "none"
                _refuse(f'{what}, region {number}: from_name "{name}" is not a control of the labeling '
                        f"configuration (controls: {known})", *where)
            if kind != self.types[name]:
                _refuse(f'{what}, region {number}: type "{region.get("type")}" does not match control '
                        f'"{name}" (expected "{self.types[name]}")', *where)
            if not isinstance(region.get("value", {}), dict):
                _refuse(f"{what}, region {number}: value must be a JSON object", *where)

    def prediction(self, raw, number, where):
        what = f"prediction {number}"
        if not isinstance(raw, dict):
            _refuse(f"{what} must be a JSON object", *where)
        self.result(raw.get("result", []), what, where)
        version = raw.get("model_version") or ""
        if not isinstance(version, str) or len(version) > 200:
            _refuse(f"{what}: model_version must be text of up to 200 characters", *where)
        score = raw.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            _refuse(f"{what}: score must be a number", *where)
        return {"result": raw.get("result", []), "model_version": version, "score": score}

    def annotation(self, raw, number, where):
        what = f"annotation {number}"
        if not isinstance(raw, dict):
            _refuse(f"{what} must be a JSON object", *where)
        self.result(raw.get("result", []), what, where)
        user = raw.get("completed_by")
        if isinstance(user, dict):
            user = user.get("id")
        lead_time = raw.get("lead_time")
        if lead_time is not None and (isinstance(lead_time, bool) or not isinstance(lead_time, (int, float))):
            _refuse(f"{what}: lead_time must be a number of seconds", *where)
        return {"result": raw.get("result", []), "completed_by_id": user if user in self.members else None,
                "was_cancelled": bool(raw.get("was_cancelled", False)), "lead_time": lead_time,
                "ground_truth": bool(raw.get("ground_truth", False))}

    def item(self, obj, line, item):
        """``(data, meta, predictions, annotations)`` of one item, or a refusal naming its line."""
        where = (line, item)
        if not isinstance(obj, dict):
            _refuse("a task must be a JSON object", *where)
        if "data" not in obj:
            data, meta, predictions, annotations = obj, {}, [], []
        else:
            data, meta = obj["data"], obj.get("meta") or {}
            predictions, annotations = obj.get("predictions") or [], obj.get("annotations") or []
            if not isinstance(meta, dict):
                _refuse("meta must be a JSON object", *where)
            if not isinstance(predictions, list):
                _refuse("predictions must be a list", *where)
            if not isinstance(annotations, list):
                _refuse("annotations must be a list", *where)
        self.data(data, where)
        # The JSON export lists predictions by id; those are not predictions to create.
        predictions = [self.prediction(p, n, where) for n, p in enumerate(predictions, 1) if not isinstance(p, int)]
        annotations = [self.annotation(a, n, where) for n, a in enumerate(annotations, 1)]
        return data, meta, predictions, annotations


# Writing ---------------------------------------------------------------------------------------------------

def _next_inner_id(project):
    return (db.session.execute(select(func.max(Task.inner_id)).where(Task.project_id == project.id)).scalar() or 0) + 1


class _Writer:
    """Collects checked items and inserts them a batch at a time."""

    def __init__(self, project, task_import, actor):
        self.project, self.import_id, self.actor_id = project, task_import.id, getattr(actor, "id", None)
        self.inner_id = _next_inner_id(project)
        self.pending = []
        self.result = ImportResult(task_import=task_import)
        self.model_version = None

    def add(self, data, meta, predictions, annotations):
        self.pending.append((data, meta, predictions, annotations))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self):
        if not self.pending:
            return
        now, project = datetime.now(UTC), self.project
        rows = []
        for data, meta, predictions, annotations in self.pending:
            done = sum(1 for a in annotations if not a["was_cancelled"])
            rows.append({
                "project_id": self.project.id, "inner_id": self.inner_id, "data": data, "meta": meta,
                "allow_skip": True, "import_id": self.import_id, "created_at": now, "updated_at": now,
                "total_annotations": done, "cancelled_annotations": len(annotations) - done,
                "total_predictions": len(predictions),
                "is_labeled": done >= required_annotations(self.inner_id, project.overlap, project.overlap_percentage),
            })
            self.inner_id += 1
        # A plain executemany (RETURNING in parameter order goes row by row on SQLite); the ids come back by
        # the batch's inner_ids, which are unique in the project.
        db.session.execute(insert(Task.__table__), rows)
        ids = db.session.execute(select(Task.id).where(
            Task.project_id == self.project.id, Task.inner_id >= rows[0]["inner_id"],
            Task.inner_id <= rows[-1]["inner_id"]).order_by(Task.inner_id)).scalars().all()
        self.result.task_ids.extend(ids)
        self.result.task_count += len(ids)
        self._children(ids, now)
        self.pending = []

    def _children(self, ids, now):
        predictions, annotations = [], []
        for task_id, (_, _, preds, anns) in zip(ids, self.pending, strict=True):
            for p in preds:
                predictions.append({**p, "task_id": task_id, "project_id": self.project.id,
                                    "created_at": now, "updated_at": now})
                if self.model_version is None and p["model_version"]:
                    self.model_version = p["model_version"]
            for a in anns:
                annotations.append({**a, "task_id": task_id, "project_id": self.project.id, "created_at": now,
                                    "updated_at": now, "import_id": self.import_id, "last_action": "imported",
                                    "updated_by_id": a["completed_by_id"]})
        if predictions:
            db.session.execute(insert(Prediction.__table__), predictions)
            self.result.prediction_count += len(predictions)
        if annotations:
            for a in annotations:
                a["unique_id"] = str(uuid.uuid4())
            db.session.execute(insert(Annotation.__table__), annotations)
            self.result.annotation_count += len(annotations)


def import_tasks(actor, project, stream, filename=None, fmt=None, commit_to_project=True):
    """Import every task of ``stream`` (binary) into ``project``, or none: a bad item raises ``ImportRefused``.

    ``commit_to_project=False`` checks and counts without inserting anything.
    """
    started = time.perf_counter()
    if fmt is None:
        head = stream.peek(64) if hasattr(stream, "peek") else _peek(stream)
        fmt = detect_format(filename, head)
    elif fmt not in FORMATS:
        raise ImportRefused(f"{fmt} is not a format tasks can be imported from ({', '.join(FORMATS)}).")
    fmt, items = read_items(stream, fmt)
    checker = Checker(project)
    savepoint = db.session.begin_nested()
    try:
        task_import = TaskImport(project_id=project.id, created_by_id=getattr(actor, "id", None),
                                 filename=(filename or "")[:300] or None, format=fmt)
        db.session.add(task_import)
        db.session.flush()
        writer = _Writer(project, task_import, actor)
        counted = ImportResult(task_import=task_import)
        for line, item, obj in _utf8(items):
            data, meta, predictions, annotations = checker.item(obj, line, item)
            if commit_to_project:
                writer.add(data, meta, predictions, annotations)
            else:
                counted.task_count += 1
                counted.prediction_count += len(predictions)
                counted.annotation_count += len(annotations)
        writer.flush()
        result = writer.result if commit_to_project else counted
        if result.task_count == 0:
            raise ImportRefused("The file holds no tasks.")
        if not commit_to_project:
            savepoint.rollback()
            result.task_import = None
            result.duration = round(time.perf_counter() - started, 4)
            return result
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()
    if writer.model_version and not project.model_version:
        project.model_version = writer.model_version
    result.duration = round(time.perf_counter() - started, 4)
    task_import.task_count, task_import.annotation_count = result.task_count, result.annotation_count
    task_import.prediction_count, task_import.duration = result.prediction_count, result.duration
    db.session.flush()
    record(actor, project_org(project), "tasks.imported", target=project,
           data={"file": filename, "format": fmt, "tasks": result.task_count,
                 "annotations": result.annotation_count, "predictions": result.prediction_count})
    return result


def _utf8(items):
    try:
        yield from items
    except UnicodeDecodeError:
        raise ImportRefused("The file is not UTF-8 text.") from None


def _peek(stream):
    """The first bytes of a seekable stream without ``peek``, rewound."""
    at = stream.tell()
    head = stream.read(64)
    stream.seek(at)
    return head
