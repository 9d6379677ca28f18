"""Checking an annotation's result (Label Studio's format) against the labeling configuration and the task's data."""
import json
import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from app.errors import Refused
from app.labeling_config.model import Control, DataObject, LabelingConfig
from app.labeling_config.preview import as_text
from app.labeling_config.tags import VARIABLE

EMPTY_REFUSED = "This project does not accept empty annotations: answer at least one question."
# Keys Label Studio's editor and SDK put on result items besides from_name, to_name, type and value.
ITEM_KEYS = frozenset({"from_name", "to_name", "type", "value", "id", "origin", "score", "readonly", "hidden", "meta",
                       "parentID", "original_width", "original_height", "image_rotation", "item_index"})
# Where each result type keeps its answer inside ``value``.
ANSWER_KEYS = {"choices": "choices", "labels": "labels", "rectanglelabels": "rectanglelabels", "textarea": "text",
               "rating": "rating", "number": "number", "datetime": "datetime", "taxonomy": "taxonomy"}
REGION_TYPES = frozenset({"labels", "rectanglelabels", "rectangle"})
# Boxes are in percent of the image; the editor's float arithmetic overshoots the edges by a hair.
TOLERANCE = 0.01
DATETIME_FORMATS = {"date": ("%Y-%m-%d",), "date,time": ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                                                         "%Y-%m-%d %H:%M:%S"),
                    "time": ("%H:%M", "%H:%M:%S"), "month": ("%Y-%m",), "year": ("%Y",)}
DATETIME_HINTS = {"date": "YYYY-MM-DD", "date,time": "YYYY-MM-DDTHH:MM", "time": "HH:MM", "month": "YYYY-MM",
                  "year": "YYYY", "": "YYYY-MM-DD, YYYY-MM-DDTHH:MM, HH:MM, YYYY-MM or YYYY"}
LIST_LIMIT = 10


class ResultInvalid(Refused):
    """errors: list[str], each a complete sentence naming the result item and control."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors), field="result")

    def as_validation_errors(self):
        return {"result": list(self.errors)}


@dataclass
class _Item:
    """One result item whose shape is right, with what its type's checker needs."""

    control: Control
    obj: DataObject
    value: dict  # a copy: checkers may normalise it
    task_data: dict
    cfg: LabelingConfig


# --- small helpers ----------------------------------------------------------------------------------------------------

def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _true(attrs, key):
    return attrs.get(key, "").strip().lower() == "true"


def _int_attr(attrs, key):
    value = attrs.get(key, "").strip()
    return int(value) if value.isdigit() else None


def _float_attr(attrs, key):
    try:
        return float(attrs[key])
    except (KeyError, ValueError):
        return None


def _show(value, limit=80):
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _listing(values):
    values = [str(v) for v in values]
    shown = ", ".join(values[:LIST_LIMIT])
    return shown + (f" and {len(values) - LIST_LIMIT} more" if len(values) > LIST_LIMIT else "")


def _filled(value):
    """Whether an answer holds something: 0 and False do, blank strings and empty lists do not."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return any(_filled(v) for v in value)
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    return True


def _answer(item):
    """The answer an item carries: its type's key, or (for a plain region) the region itself."""
    value = item.get("value") if isinstance(item, dict) else None
    if not isinstance(value, dict):
        return None
    key = ANSWER_KEYS.get(item.get("type"))
    return value.get(key) if key else value


def is_empty(result) -> bool:
    """True when no item of ``result`` carries an answer (an empty list, or only items with empty values)."""
    return not isinstance(result, list) or not any(_filled(_answer(item)) for item in result)


# --- one checker per result type; each returns problems as phrases, the caller names the item ----------------------------

def _options(control, task_data):
    """What a Choices/Labels control offers: its own tags, or the task's list when value="$field"."""
    match = VARIABLE.match(control.attrs.get("value", ""))
    if not match:
        return list(control.labels)
    listed = task_data.get(match.group(1))
    if not isinstance(listed, list):
        return []
    return [as_text(o.get("value") if isinstance(o, dict) else o) for o in listed]


def _pick(item, key, noun):
    """Problems with value[key] as a non-empty list of strings the control offers."""
    values = item.value.get(key)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        return [f"value.{key} must be a non-empty list of strings, not {_show(values)}"]
    options = _options(item.control, item.task_data)
    offered = f"{noun}s: {_listing(options)}" if options else f"the task offers no {noun}s"
    article = "an" if noun[0] in "aeiou" else "a"
    return [f'{_show(v)} is not {article} {noun} of "{item.control.name}" ({offered})' for v in values if v not in options]


def _check_choices(item):
    problems = _pick(item, "choices", "option")
    chosen = item.value.get("choices")
    if not problems and len(chosen) > 1 and item.control.attrs.get("choice", "single") != "multiple":
        problems.append(f'"{item.control.name}" takes a single choice, not {len(chosen)}')
    return problems


def _taxonomy_tree(item):
    """{choice: subtree} for the Taxonomy, from its nested <Choice> tags or the task's list when value="$field"."""
    def from_nodes(parent):
        return {c.attrs.get("value"): from_nodes(c) for c in parent.children if c.tag == "Choice"}

    def from_data(entries):
        entries = entries if isinstance(entries, list) else []
        return {as_text(e.get("value") if isinstance(e, dict) else e):
                from_data(e.get("children") if isinstance(e, dict) else None) for e in entries}

    match = VARIABLE.match(item.control.attrs.get("value", ""))
    if match:
        return from_data(item.task_data.get(match.group(1)))
    node = next(n for n in item.cfg.root.iter() if n.tag == "Taxonomy" and n.attrs.get("name") == item.control.name)
    return from_nodes(node)


def _check_taxonomy(item):
    paths = item.value.get("taxonomy")
    if not isinstance(paths, list) or not paths:
        return [f"value.taxonomy must be a non-empty list of paths (lists of choices), not {_show(paths)}"]
    tree, name = _taxonomy_tree(item), item.control.name
    problems = []
    for path in paths:
        if not isinstance(path, list) or not path or not all(isinstance(step, str) for step in path):
            problems.append(f"each path in value.taxonomy must be a non-empty list of strings, not {_show(path)}")
            continue
        shown, branch = " / ".join(path), tree
        for depth, step in enumerate(path):
            if step not in branch:
                where = f"under {_show(path[depth - 1])}" if depth else "at the top"
                problems.append(f'the path "{shown}" is not in the taxonomy of "{name}": {_show(step)} is not a choice '
                                f"{where} (choices there: {_listing(branch) or 'none'})")
                break
            branch = branch[step]
        else:
            if branch and _true(item.control.attrs, "leafsOnly"):
                problems.append(f'the path "{shown}" stops at a category, but "{name}" only accepts leaves '
                                f"(under it: {_listing(branch)})")
    limit = _int_attr(item.control.attrs, "maxUsages")
    if limit and len(paths) > limit:
        problems.append(f'"{name}" allows at most {limit} selections, not {len(paths)}')
    return problems


def _utf16_slice(text, start, end):
    """text[start:end] counting UTF-16 code units as JavaScript does; None when out of bounds or inside a pair."""
    units = text.encode("utf-16-le")
    if 2 * end > len(units):
        return None
    try:
        return units[2 * start:2 * end].decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def _check_span(item):
    value, obj = item.value, item.obj
    if obj.type == "HyperText" or obj.attrs.get("valueType") == "url":
        # The server never sees the rendered document (HTML, or text behind a URL): only the shape can be checked.
        problems = [f"value.{key} is missing (a number or an XPath string)" for key in ("start", "end")
                    if not (_is_int(value.get(key)) or isinstance(value.get(key), str))]
        if "text" in value and not isinstance(value["text"], str):
            problems.append("value.text must be a string")
        return problems
    start, end = value.get("start"), value.get("end")
    if not _is_int(start) or not _is_int(end):
        return [f"value.start and value.end must be whole numbers, not {_show(start)} and {_show(end)}"]
    if not 0 <= start < end:
        return [f"the span {start}–{end} is empty or reversed: start must be 0 or more and less than end"]
    text = as_text(item.task_data.get(obj.variable)) if obj.variable else obj.value
    # The editor counts in UTF-16 code units (JavaScript), Python clients in code points: either reading may be meant.
    readings = [s for s in (text[start:end] if end <= len(text) else None, _utf16_slice(text, start, end)) if s is not None]
    if not readings:
        units = len(text.encode("utf-16-le")) // 2
        size = f"{len(text)} characters" + (f", {units} UTF-16 code units" if units != len(text) else "")
        return [f"the span {start}–{end} is outside the text ({size})"]
    given = value.get("text")
    if given is not None and not isinstance(given, str):
        return ["value.text must be a string"]
    if given is not None and given not in readings:
        held = _show(readings[0])
        if len(set(readings)) > 1:
            held += f" (or {_show(readings[1])} counting UTF-16 code units)"
        return [f"the span {start}–{end} holds {held}, not value.text {_show(given)}"]
    return []


def _check_labels(item):
    return _pick(item, "labels", "label") + _check_span(item)


def _check_box(item):
    value = item.value
    keys = ["x", "y", "width", "height", *(["rotation"] if "rotation" in value else [])]
    bad = [f"value.{key}" for key in keys if not _is_number(value.get(key))]
    if bad:
        return [f"{', '.join(bad)} must be {'a number' if len(bad) == 1 else 'numbers'} (percent of the image)"]
    x, y, width, height = (value[key] for key in ("x", "y", "width", "height"))
    problems = []
    if width <= 0 or height <= 0:
        problems.append(f"the rectangle must have a positive width and height, not {width:g} × {height:g}")
    if x < -TOLERANCE or y < -TOLERANCE:
        problems.append(f"the rectangle starts outside the image (x = {x:g}, y = {y:g}; both must be 0 or more)")
    # A rotated box turns about its top-left corner, so its unrotated extent may pass the edge while the box fits.
    if not value.get("rotation") and (x + width > 100 + TOLERANCE or y + height > 100 + TOLERANCE):
        problems.append(f"the rectangle goes past the edge of the image (x + width = {x + width:g}, y + height = "
                        f"{y + height:g}; both must be at most 100, in percent of the image)")
    return problems


def _check_rectanglelabels(item):
    return _pick(item, "rectanglelabels", "label") + _check_box(item)


def _check_textarea(item):
    text = item.value.get("text")
    if isinstance(text, str):
        text = item.value["text"] = [text]
    if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
        return [f"value.text must be a list of strings, not {_show(text)}"]
    limit = _int_attr(item.control.attrs, "maxSubmissions")
    if limit and len(text) > limit:
        return [f'"{item.control.name}" accepts at most {limit} entries, not {len(text)}']
    return []


def _check_rating(item):
    top = _int_attr(item.control.attrs, "maxRating") or 5
    rating = item.value.get("rating")
    if not _is_int(rating) or not 1 <= rating <= top:
        return [f"value.rating must be a whole number from 1 to {top}, not {_show(rating)}"]
    return []


def _check_number(item):
    number, attrs = item.value.get("number"), item.control.attrs
    if not _is_number(number):
        return [f"value.number must be a number, not {_show(number)}"]
    low, high = _float_attr(attrs, "min"), _float_attr(attrs, "max")
    if low is not None and number < low:
        return [f"value.number {number:g} is below the minimum of {low:g}"]
    if high is not None and number > high:
        return [f"value.number {number:g} is above the maximum of {high:g}"]
    return []


def _parses(text, formats):
    for fmt in formats:
        try:
            datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False


def _check_datetime(item):
    moment, attrs = item.value.get("datetime"), item.control.attrs
    only = attrs.get("only", "").replace(" ", "")
    formats = DATETIME_FORMATS.get(only) or [f for group in DATETIME_FORMATS.values() for f in group]
    if not isinstance(moment, str) or not _parses(moment, formats):
        hint = DATETIME_HINTS.get(only, DATETIME_HINTS[""])
        return [f"value.datetime must be a date or time written as {hint}, not {_show(moment)}"]
    # Same-format ISO strings order like the moments they name.
    moment = moment.replace(" ", "T")
    if "min" in attrs and moment < attrs["min"].replace(" ", "T"):
        return [f"value.datetime {moment} is earlier than the minimum {attrs['min']}"]
    if "max" in attrs and moment > attrs["max"].replace(" ", "T"):
        return [f"value.datetime {moment} is later than the maximum {attrs['max']}"]
    return []


CHECKERS = {
    "choices": _check_choices,
    "taxonomy": _check_taxonomy,
    "labels": _check_labels,
    "rectanglelabels": _check_rectanglelabels,
    "rectangle": _check_box,
    "textarea": _check_textarea,
    "rating": _check_rating,
    "number": _check_number,
    "datetime": _check_datetime,
}


# --- the item, the whole result ---------------------------------------------------------------------------------------

def _check_item(cfg, task_data, item, regions):
    """Problems with one item (a shallow copy, whose value the checkers may normalise), as phrases."""
    control = cfg.controls.get(item.get("from_name")) if isinstance(item.get("from_name"), str) else None
    if control is None:
        controls = _listing(cfg.controls)
        return [f'from_name {_show(item.get("from_name"))} names no control of the labeling configuration ({controls})']
    problems = [f"unknown key {_show(key)}" for key in item if key not in ITEM_KEYS]
    if "id" in item and not isinstance(item["id"], str):
        problems.append(f"id must be a string, not {_show(item['id'])}")
    for key in ("original_width", "original_height"):
        if key in item and not (_is_int(item[key]) and item[key] > 0):
            problems.append(f"{key} must be a positive whole number, not {_show(item[key])}")
    if item.get("to_name") not in control.to_name:
        problems.append(f'to_name {_show(item.get("to_name"))} is not what "{control.name}" labels '
                        f"(expected {_listing(control.to_name)})")
    if item.get("type") != control.result_type:
        problems.append(f'type {_show(item.get("type"))} does not match "{control.name}", which stores '
                        f'"{control.result_type}"')
    if not isinstance(item.get("value"), dict):
        problems.append(f"value must be an object, not {_show(item.get('value'))}")
    if problems:
        return problems
    if _true(control.attrs, "perRegion"):
        region_id = item.get("id")
        if region_id not in regions:
            found = "it has no id" if region_id is None else f"no region has the id {_show(region_id)}"
            problems.append(f'"{control.name}" is answered per region, so the item needs the id of a region '
                            f"(labels, rectanglelabels or rectangle) in this result: {found}")
        elif regions[region_id] != item["to_name"]:
            problems.append(f"the region {_show(region_id)} is on {_show(regions[region_id])}, not {_show(item['to_name'])}")
    item["value"] = dict(item["value"])
    checked = _Item(control, cfg.objects[item["to_name"]], item["value"], task_data, cfg)
    return problems + CHECKERS.get(control.result_type, lambda _item: [])(checked)


def _overused(cfg, items, numbers):
    """maxUsages on Labels/RectangleLabels (regions of the control) and on each Label (regions with that label)."""
    problems = []
    for control in cfg.controls.values():
        key = ANSWER_KEYS.get(control.result_type)
        if control.result_type not in REGION_TYPES or key is None:
            continue
        mine = [(n, item) for n, item in zip(numbers, items, strict=True) if item.get("from_name") == control.name]
        limits = [(None, _int_attr(control.attrs, "maxUsages"), mine)]
        for label, attrs in control.labels_attrs.items():
            labelled = [(n, item) for n, item in mine if label in (item["value"].get(key) or [])]
            limits.append((label, _int_attr(attrs, "maxUsages"), labelled))
        for label, limit, used in limits:
            if limit and len(used) > limit:
                what = "regions" if label is None else f"regions labelled {label}"
                problems.append(f'Result {used[limit][0]} ("{control.name}"): "{control.name}" allows at most {limit} '
                                f"{what}, and this is number {limit + 1}")
    return problems


def _guards(root):
    """{control name: attrs of itself and enclosing Views that carry a visibleWhen condition}."""
    guards = {}

    def walk(node, inherited):
        own = [*inherited, node.attrs] if "visibleWhen" in node.attrs else inherited
        if "toName" in node.attrs and "name" in node.attrs:
            guards[node.attrs["name"]] = own
        for child in node.children:
            walk(child, own)

    walk(root, [])
    return guards


def _met(condition, chosen):
    """Whether a visibility condition holds for the choices in the result."""
    kind, tag = condition["visibleWhen"], condition.get("whenTagName")
    # Region conditions follow what the annotator has selected on the page, which a saved result does not record.
    if kind not in ("choice-selected", "choice-unselected") or not tag:
        return True
    picked = chosen.get(tag, set())
    wanted = {v.strip() for v in condition.get("whenChoiceValue", "").split(",") if v.strip()}
    selected = bool(picked & wanted) if wanted else bool(picked)
    return selected if kind == "choice-selected" else not selected


def _missing(cfg, items):
    """Required controls (outside per-region ones and those hidden by an unmet condition) without an answer."""
    chosen, answered = {}, set()
    for item in items:
        if _filled(_answer(item)):
            answered.add(item.get("from_name"))
        if item.get("type") == "choices" and isinstance(item["value"].get("choices"), list):
            chosen.setdefault(item["from_name"], set()).update(c for c in item["value"]["choices"] if isinstance(c, str))
    guards = _guards(cfg.root)
    problems = []
    for name, control in cfg.controls.items():
        if (not _true(control.attrs, "required") or _true(control.attrs, "perRegion") or name in answered
                or not all(_met(condition, chosen) for condition in guards.get(name, []))):
            continue
        problems.append(control.attrs.get("requiredMessage") or f'"{name}" is required')
    return problems


def check_result(cfg, task_data, result, *, allow_empty=True, enforce_required=True):
    """Return the result (a list of dicts, unchanged except that an item missing an "id" gets a short random
    string id) when it fits the configuration; raise ResultInvalid listing every problem otherwise."""
    if not isinstance(result, list):
        raise ResultInvalid([f"The result must be a list of objects, not {_show(result)}."])
    task_data = task_data if isinstance(task_data, dict) else {}
    problems, valid, numbers = [], [], []
    items = [dict(item) if isinstance(item, dict) else item for item in result]
    regions = {item["id"]: item.get("to_name") for item in items
               if isinstance(item, dict) and item.get("type") in REGION_TYPES and isinstance(item.get("id"), str)}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"Result {n}: must be an object with from_name, to_name, type and value, not {_show(item)}")
            continue
        name = f' ({_show(item["from_name"])})' if "from_name" in item else ""
        found = _check_item(cfg, task_data, item, regions)
        problems += [f"Result {n}{name}: {problem}" for problem in found]
        if not found:
            valid.append(item)
            numbers.append(n)
    problems += _overused(cfg, valid, numbers)
    if not allow_empty and is_empty(items):
        problems.append(EMPTY_REFUSED)
    if enforce_required:
        problems += _missing(cfg, valid)
    if problems:
        raise ResultInvalid(problems)
    for item in items:
        item.setdefault("id", secrets.token_urlsafe(6))
    return items
