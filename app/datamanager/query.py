"""The Data Manager's query: columns, filters parsed from request arguments, sorting and keyset pages."""
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Text, and_, cast, exists, func, or_, select

from app.extensions import db
from app.tasks.models import Annotation, Task, TaskAssignment

PAGE_SIZE = 50
#: the table counts matching tasks up to this many
COUNT_LIMIT = 10000

#: column key -> heading, in display order
COLUMNS = {
    "id": "ID",
    "data": "Data",
    "completed": "Completed",
    "skipped": "Skipped",
    "predictions": "Predictions",
    "annotators": "Annotators",
    "updated": "Last update",
}
DEFAULT_COLUMNS = list(COLUMNS)

#: sort key -> column; every sort ends on the id so equal values keep one order
SORTS = {
    "id": Task.id,
    "completed": Task.total_annotations,
    "skipped": Task.cancelled_annotations,
    "predictions": Task.total_predictions,
    "updated": Task.updated_at,
}
DEFAULT_ORDERING = {"key": "id", "desc": False}

COUNT_OPS = {"eq": "=", "gte": "≥", "lte": "≤"}
#: filter form field -> the Task counter it compares
COUNT_FIELDS = {"completed": Task.total_annotations, "skipped": Task.cancelled_annotations}
DATE_FIELDS = {"updated": Task.updated_at, "created": Task.created_at}
#: every request argument of the filter form (also repeated in the bulk form for "all matching")
FILTER_ARGS = ("data_key", "data_text", "completed_op", "completed", "skipped_op", "skipped", "predictions",
               "annotator", "label", "updated_from", "updated_to", "created_from", "created_to")
DATA_KEY = re.compile(r"^[\w\- .]{1,100}$")


@dataclass
class Filters:
    """The parsed filter form: ``values`` echo the input, ``errors`` name the field they belong to."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @property
    def active(self):
        return {k: v for k, v in self.values.items() if v not in ("", None) and not k.endswith("_op")}


def parse_filters(args):
    """Read and check the filter form's arguments (a MultiDict or dict of strings)."""
    values = {name: (args.get(name) or "").strip() for name in FILTER_ARGS}
    errors = {}
    if values["data_text"] and not values["data_key"]:
        errors["data_key"] = "Name the data field to search in."
    elif values["data_key"] and not DATA_KEY.match(values["data_key"]):
        errors["data_key"] = "A data field name has letters, digits, spaces, dots, dashes or underscores."
    for name in COUNT_FIELDS:
        values[f"{name}_op"] = values[f"{name}_op"] or "eq"
        if values[f"{name}_op"] not in COUNT_OPS:
            errors[name] = "Choose =, ≥ or ≤."
        elif values[name] and not (values[name].isdigit() and len(values[name]) < 10):
            errors[name] = "Enter a whole number, 0 or more."
    if values["predictions"] not in ("", "yes", "no"):
        errors["predictions"] = "Choose yes or no."
    if values["annotator"] and not values["annotator"].isdigit():
        errors["annotator"] = "Choose a person from the list."
    if len(values["label"]) > 200:
        errors["label"] = "A label value has at most 200 characters."
    for name in DATE_FIELDS:
        for end in ("from", "to"):
            key = f"{name}_{end}"
            if values[key]:
                try:
                    date.fromisoformat(values[key])
                except ValueError:
                    errors[key] = "Enter a date as YYYY-MM-DD."
    return Filters(values, errors)


def filters_from_saved(saved):
    """A saved view's ``[{field, op, value}]`` back into form values (unknown entries are ignored)."""
    args = {}
    for item in saved or []:
        name, op, value = item.get("field"), item.get("op"), item.get("value")
        if name in FILTER_ARGS and isinstance(value, str):
            args[name] = value
            if name in COUNT_FIELDS and op in COUNT_OPS:
                args[f"{name}_op"] = op
    return parse_filters(args)


def filters_to_saved(filters):
    """The form values as the ``[{field, op, value}]`` stored in a DataManagerView."""
    return [{"field": name, "op": filters.values.get(f"{name}_op", "eq") if name in COUNT_FIELDS else "eq",
             "value": value} for name, value in filters.active.items()]


def _day_start(text):
    return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)


def label_pattern(value):
    """The JSON text of ``value`` as stored in a result, e.g. ``"Positive"`` with its quotes."""
    return json.dumps(value, ensure_ascii=False)  # as the JSON columns are written (orjson: UTF-8, unescaped)


def filter_clauses(filters):
    """WHERE clauses for valid ``filters`` (combined with AND by the caller)."""
    v = filters.values
    # Counters and dates first: SQLite tests the terms in the order written, so JSON is parsed for fewer rows.
    where = []
    for name, column in COUNT_FIELDS.items():
        if v[name]:
            number, op = int(v[name]), v[f"{name}_op"]
            where.append(column == number if op == "eq" else column >= number if op == "gte" else column <= number)
    if v["predictions"] == "yes":
        where.append(Task.total_predictions > 0)
    elif v["predictions"] == "no":
        where.append(Task.total_predictions == 0)
    if v["annotator"]:
        where.append(exists().where(Annotation.task_id == Task.id, Annotation.completed_by_id == int(v["annotator"])))
    for name, column in DATE_FIELDS.items():
        if v[f"{name}_from"]:
            where.append(column >= _day_start(v[f"{name}_from"]))
        if v[f"{name}_to"]:
            where.append(column < _day_start(v[f"{name}_to"]) + timedelta(days=1))
    if v["data_key"] and v["data_text"]:
        # JSON_EXTRACT(data, '$."key"') on SQLite, data ->> 'key' on PostgreSQL; the path is a bound parameter.
        text = Task.data[v["data_key"]].as_string()
        where.append(func.lower(text).contains(v["data_text"].lower(), autoescape=True))
    if v["label"]:
        # A LIKE on the stored JSON text of the result for the quoted value: it matches any string of the result
        # equal to the value (a choice, a label, a text answer), in the database and without loading results.
        result_text = cast(Annotation.result, Text)
        where.append(exists().where(Annotation.task_id == Task.id, Annotation.was_cancelled.is_(False),
                                    result_text.contains(label_pattern(v["label"]), autoescape=True)))
    return where


def scope_clause(user):
    """Only the tasks ``user`` annotated or was assigned (the Annotator's view)."""
    return or_(
        exists().where(Annotation.task_id == Task.id, Annotation.completed_by_id == user.id),
        exists().where(TaskAssignment.task_id == Task.id, TaskAssignment.user_id == user.id),
    )


def base_where(project, filters, only_for=None):
    """Every clause of the matching tasks: the project, the filters, and the Annotator's scope."""
    where = [Task.project_id == project.id, *filter_clauses(filters)]
    if only_for is not None:
        where.append(scope_clause(only_for))
    return where


def normalize_ordering(ordering):
    ordering = ordering or {}
    key = ordering.get("key") if ordering.get("key") in SORTS else DEFAULT_ORDERING["key"]
    return {"key": key, "desc": bool(ordering.get("desc"))}


def encode_cursor(ordering, task):
    """``<sort value>_<id>`` of the page's last row (just the id when sorting by id)."""
    if ordering["key"] == "id":
        return str(task.id)
    value = getattr(task, SORTS[ordering["key"]].key)
    return f"{value.isoformat() if isinstance(value, datetime) else value}_{task.id}"


def decode_cursor(ordering, text):
    """``(sort value, id)`` from a cursor; ValueError when it was not made by ``encode_cursor``."""
    if ordering["key"] == "id":
        return None, int(text)
    value, _, ident = text.rpartition("_")
    if ordering["key"] == "updated":
        parsed = datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), int(ident)
    return int(value), int(ident)


def _after(ordering, cursor):
    column = SORTS[ordering["key"]]
    value, ident = cursor
    if ordering["key"] == "id":
        return Task.id < ident if ordering["desc"] else Task.id > ident
    if ordering["desc"]:
        return or_(column < value, and_(column == value, Task.id < ident))
    return or_(column > value, and_(column == value, Task.id > ident))


def page(project, filters, ordering, after=None, only_for=None, size=PAGE_SIZE):
    """``(tasks, next cursor or None)``: one keyset page of the matching tasks, no OFFSET."""
    ordering = normalize_ordering(ordering)
    column = SORTS[ordering["key"]]
    where = base_where(project, filters, only_for)
    if after is not None:
        where.append(_after(ordering, decode_cursor(ordering, after)))
    order = [column.desc(), Task.id.desc()] if ordering["desc"] else [column.asc(), Task.id.asc()]
    if ordering["key"] == "id":
        order = order[1:]
    rows = db.session.execute(select(Task).where(*where).order_by(*order).limit(size + 1)).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(ordering, rows[-1]) if more else None)


def count(project, filters, only_for=None, limit=None):
    """How many tasks match; with ``limit``, counting stops there (the page shows "10000+")."""
    matching = select(Task.id).where(*base_where(project, filters, only_for))
    if limit is not None:
        # Counting a text filter scans every task; stopping early keeps the page fast on large projects.
        matching = matching.limit(limit + 1)
    return db.session.execute(select(func.count()).select_from(matching.subquery())).scalar()


def matching_ids(project, filters, only_for=None):
    """A select of the matching tasks' ids (for acting on "all matching" without listing them)."""
    return select(Task.id).where(*base_where(project, filters, only_for))


def annotators_of(task_ids):
    """``{task id: [user, ...]}``: who annotated each task of the page, in one query."""
    from app.auth.models import User

    if not task_ids:
        return {}
    rows = db.session.execute(
        select(Annotation.task_id, User).join(User, User.id == Annotation.completed_by_id)
        .where(Annotation.task_id.in_(task_ids)).distinct().order_by(Annotation.task_id, User.id)
    ).all()
    found = {}
    for task_id, user in rows:
        found.setdefault(task_id, []).append(user)
    return found


def preview(data, limit=80):
    """The first values of a task's data as one short line of plain text (the template escapes it)."""
    parts = []
    for key, value in (data or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {text}")
        if sum(len(p) for p in parts) > limit:
            break
    line = " · ".join(parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"
