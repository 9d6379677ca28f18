"""Checking a Node tree against Label Studio's tag rules, collecting located errors."""
import math
import re

from . import tags as T
from .model import ConfigError, Control, DataObject

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
DATETIME_FORMATS = {"date": _DATE, "time": _TIME, "date,time": _DATETIME, "month": _MONTH, "year": _YEAR}
# Each point of a rating is an input on the page; LS configs use 3 to 10.
MAX_RATING = 100
ITEM_HOMES = {"Choice": "<Choices> or <Taxonomy>", "Label": "<Labels> or <RectangleLabels>"}


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _positive_int(value):
    return value.strip().isdigit() and int(value) > 0


def _describe(node):
    name = node.attrs.get("name")
    return f'<{node.tag} name="{name}">' if name else f"<{node.tag}>"


class Checker:
    """One validation pass: walk the tree, then resolve the names tags refer to."""

    def __init__(self, data_keys=None):
        self.data_keys = None if data_keys is None else set(data_keys)
        self.errors = []
        self.objects = {}
        self.controls = {}
        self.variables = set()
        self.names = set()
        self.control_nodes = {}
        self.conditional_nodes = []

    def error(self, node, message):
        self.errors.append(ConfigError(message, node.line, node.column))

    def run(self, root):
        """Validate the tree under ``root``; returns (objects, controls, variables, errors in source order)."""
        if root.tag != "View":
            self.error(root, f"The root tag must be <View>, not <{root.tag}>")
        else:
            self.walk(root)
            self.link()
        errors = sorted(self.errors, key=lambda e: (e.line or 0, e.column or 0))
        return self.objects, self.controls, self.variables, errors

    # --- the walk -------------------------------------------------------------------------------------------------

    def walk(self, node):
        spec = T.TAGS.get(node.tag)
        if spec is None:
            # Its children would only add noise: a misspelt <Chioces> makes every <Choice> look misplaced.
            self.error(node, f"Unknown tag <{node.tag}>")
            return
        if spec.kind == "item":
            self.error(node, f"<{node.tag}> must be inside {ITEM_HOMES[node.tag]}")
            return
        self.check_attrs(node, spec)
        if any(k in node.attrs for k in T.CONDITIONAL):
            self.conditional_nodes.append(node)
        if spec.kind == "layout":
            self.layout(node)
        elif spec.kind == "object":
            self.no_children(node)
            self.data_object(node)
        else:
            self.control(node, spec)

    def check_attrs(self, node, spec):
        """Unknown, missing and malformed attributes, and name uniqueness."""
        for attr, value in node.attrs.items():
            if attr not in spec.allowed and attr not in T.PRESENTATIONAL:
                self.error(node, f'Unknown attribute "{attr}" on <{node.tag}>')
            elif attr in T.BOOLEAN_ATTRS and value.strip().lower() not in ("true", "false"):
                self.error(node, f'{attr}="{value}" on {_describe(node)} must be true or false')
            elif attr in T.COLOUR_ATTRS and not T.is_colour(value):
                self.error(node, f'{attr}="{value}" on {_describe(node)} is not a colour (use #rrggbb, rgb(...) or a name)')
        for attr in spec.required:
            if not node.attrs.get(attr, "").strip():
                self.error(node, f'{_describe(node)} is missing the required attribute "{attr}"')
        self.check_choice_of(node, "visibleWhen", T.VISIBLE_WHEN)
        if spec.kind in ("object", "control") and node.attrs.get("name", "").strip():
            name = node.attrs["name"]
            if name in self.names:
                self.error(node, f'Duplicate name "{name}": names must be unique')
            self.names.add(name)

    def check_choice_of(self, node, attr, options):
        value = node.attrs.get(attr)
        if value is not None and value not in options:
            self.error(node, f'{attr}="{value}" on {_describe(node)} is not valid: use {", ".join(options)}')
            return False
        return True

    def no_children(self, node):
        for child in node.children:
            self.error(child, f"<{node.tag}> cannot contain other tags (found <{child.tag}>)")

    def variable(self, node, value):
        """Record the $variable ``value`` reads (None for a static value), checking it against the tasks' data."""
        if not value.startswith("$"):
            return None
        match = T.VARIABLE.match(value)
        if not match:
            self.error(node, f'value="{value}" on {_describe(node)} is not a valid $variable (letters, digits, _)')
            return None
        variable = match.group(1)
        self.variables.add(variable)
        if self.data_keys is not None and variable not in self.data_keys:
            keys = ", ".join(sorted(self.data_keys)) or "none"
            self.error(node, f'"{value}" is not in the imported tasks\' data (keys: {keys})')
        return variable

    def layout(self, node):
        if node.tag == "View":
            for child in node.children:
                self.walk(child)
            return
        self.no_children(node)
        if node.tag == "Header":
            if "value" in node.attrs:
                self.variable(node, node.attrs["value"])
            elif not node.text.strip():
                self.error(node, '<Header> needs a value="..." or some text')

    def data_object(self, node):
        attrs = node.attrs
        self.check_choice_of(node, "granularity", T.GRANULARITIES)
        if node.tag in ("Text", "HyperText"):
            self.check_choice_of(node, "valueType", ("text", "url"))
        name, value = attrs.get("name", "").strip(), attrs.get("value", "").strip()
        if not name or not value:
            return
        variable = self.variable(node, value)
        self.objects.setdefault(name, DataObject(name=name, type=node.tag, value=value, variable=variable,
                                                 attrs=dict(attrs), line=node.line, column=node.column))

    # --- controls -------------------------------------------------------------------------------------------------

    def control(self, node, spec):
        attrs = node.attrs
        labels, labels_attrs = [], {}
        if spec.items:
            labels, labels_attrs = self.items(node, spec)
        else:
            self.no_children(node)
        getattr(self, f"check_{node.tag.lower()}", lambda _node: None)(node)
        for attr in ("maxUsages", "maxSubmissions", "rows"):
            if attr in attrs and not _positive_int(attrs[attr]):
                self.error(node, f'{attr}="{attrs[attr]}" on {_describe(node)} must be a positive whole number')
        name = attrs.get("name", "").strip()
        to_name = [part.strip() for part in attrs.get("toName", "").split(",") if part.strip()]
        if not name or not to_name or name in self.controls:
            return
        self.controls[name] = Control(name=name, type=node.tag, to_name=to_name, labels=labels, attrs=dict(attrs),
                                      line=node.line, column=node.column, labels_attrs=labels_attrs)
        self.control_nodes[name] = node

    def items(self, node, spec):
        """Check the <Choice>/<Label> children of ``node``; returns (values, {value: attrs})."""
        modes = T.CHOICE_MODES if node.tag == "Choices" else T.LABEL_MODES
        if node.tag != "Taxonomy":
            self.check_choice_of(node, "choice", modes)
        dynamic = "value" in node.attrs
        if dynamic and not T.VARIABLE.match(node.attrs["value"]):
            self.error(node, f'value="{node.attrs["value"]}" on {_describe(node)} must be a $variable holding the options')
        elif dynamic:
            self.variable(node, node.attrs["value"])
        labels, labels_attrs = [], {}
        self.item_level(node, node, spec, labels, labels_attrs)
        if not labels and not dynamic and not any(c.tag == spec.items for c in node.children):
            self.error(node, f"{_describe(node)} has no <{spec.items}> tags: add at least one")
        return labels, labels_attrs

    def item_level(self, control, parent, spec, labels, labels_attrs):
        seen = set()
        for child in parent.children:
            if child.tag != spec.items:
                self.error(child, f"<{parent.tag}> can only contain <{spec.items}> tags, not <{child.tag}>")
                continue
            self.check_attrs(child, T.TAGS[child.tag])
            if "maxUsages" in child.attrs and not _positive_int(child.attrs["maxUsages"]):
                self.error(child, f'maxUsages="{child.attrs["maxUsages"]}" on <{child.tag}> must be a positive whole number')
            value = child.attrs.get("value", "")
            if value:
                if value in seen:
                    owner = _describe(control) if parent is control else f'<Choice value="{parent.attrs.get("value")}">'
                    self.error(child, f'Duplicate value "{value}" in {owner}: values must be unique')
                seen.add(value)
                if value not in labels_attrs:
                    labels.append(value)
                    labels_attrs[value] = dict(child.attrs)
            if child.children:
                # Only a taxonomy is a tree; elsewhere nesting is a mistake.
                if control.tag == "Taxonomy":
                    self.item_level(control, child, spec, labels, labels_attrs)
                else:
                    self.no_children(child)

    def check_rating(self, node):
        value = node.attrs.get("maxRating")
        if value is not None and not _positive_int(value):
            self.error(node, f'maxRating="{value}" on {_describe(node)} must be a positive whole number')
        elif value is not None and int(value) > MAX_RATING:
            self.error(node, f'maxRating="{value}" on {_describe(node)} must be at most {MAX_RATING}')
        self.check_choice_of(node, "icon", T.RATING_ICONS)
        self.check_choice_of(node, "size", T.RATING_SIZES)

    def check_number(self, node):
        numbers = {}
        for attr in ("min", "max", "step", "defaultValue"):
            if attr in node.attrs:
                numbers[attr] = _number(node.attrs[attr])
                if numbers[attr] is None:
                    self.error(node, f'{attr}="{node.attrs[attr]}" on {_describe(node)} is not a number')
        if numbers.get("step") is not None and numbers["step"] <= 0:
            self.error(node, f'step="{node.attrs["step"]}" on {_describe(node)} must be greater than 0')
        low, high = numbers.get("min"), numbers.get("max")
        if low is not None and high is not None and low > high:
            self.error(node, f'min="{node.attrs["min"]}" is greater than max="{node.attrs["max"]}" on {_describe(node)}')

    def check_datetime(self, node):
        only = node.attrs.get("only", "date,time").replace(" ", "")
        if not self.check_choice_of(node, "only", T.DATETIME_ONLY):
            return
        pattern = DATETIME_FORMATS[only]
        bounds = {}
        for attr in ("min", "max"):
            if attr in node.attrs:
                if pattern.match(node.attrs[attr]):
                    bounds[attr] = node.attrs[attr].replace(" ", "T")
                else:
                    self.error(node, f'{attr}="{node.attrs[attr]}" on {_describe(node)} does not match only="{only}"')
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            self.error(node, f'min="{node.attrs["min"]}" is later than max="{node.attrs["max"]}" on {_describe(node)}')

    # --- references, resolved once every name is known --------------------------------------------------------------

    def link(self):
        for name, control in self.controls.items():
            node = self.control_nodes[name]
            for target in control.to_name:
                obj = self.objects.get(target)
                if obj is None and target in self.controls:
                    self.error(node, f'{_describe(node)} points toName="{target}" at a control: toName must name an '
                                     "object tag (Text, Image...)")
                elif obj is None:
                    self.error(node, f'{_describe(node)} points toName="{target}" at nothing: no object tag is named '
                                     f'"{target}"')
                elif control.type in T.COMPATIBLE and obj.type not in T.COMPATIBLE[control.type]:
                    allowed = " or ".join(T.COMPATIBLE[control.type])
                    self.error(node, f'<{control.type}> can only label {allowed}, not {obj.type} "{target}"')
        for node in self.conditional_nodes:
            self.conditions(node)

    def conditions(self, node):
        tag_name = node.attrs.get("whenTagName")
        if tag_name is None:
            return
        # Label Studio points whenTagName at a control for choices and at an object for regions.
        if tag_name not in self.controls and tag_name not in self.objects:
            self.error(node, f'whenTagName="{tag_name}" on {_describe(node)} names no tag')
            return
        target = self.controls.get(tag_name)
        wanted = node.attrs.get("whenChoiceValue") or node.attrs.get("whenLabelValue")
        if wanted and target is not None and target.labels and "value" not in target.attrs:
            for value in (v.strip() for v in wanted.split(",")):
                if value and value not in target.labels:
                    self.error(node, f'"{value}" (in {_describe(node)}\'s condition) is not a value of "{tag_name}"')
