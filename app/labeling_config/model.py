"""The parsed configuration: errors, the node tree, objects, controls and the config itself."""
from dataclasses import dataclass, field

# Result types that carry label/choice values (the ones whose removal can orphan annotations).
LABELLED_TYPES = {"choices", "labels", "rectanglelabels", "taxonomy"}


@dataclass(frozen=True)
class ConfigError:
    """One problem in a configuration, located when the parser knows where."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self):
        if self.line is None:
            return self.message
        if self.column is None:
            return f"Line {self.line}: {self.message}"
        return f"Line {self.line}, column {self.column}: {self.message}"


class ConfigInvalid(ValueError):
    """The configuration has at least one error; ``errors`` lists them all, in source order."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


@dataclass
class Node:
    """One element of the configuration, stripped of everything lxml-specific."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)
    text: str = ""
    line: int | None = None
    column: int | None = None

    def iter(self):
        """This node and its descendants, in document order."""
        yield self
        for child in self.children:
            yield from child.iter()


@dataclass
class DataObject:
    """An object tag: what the annotator looks at (Text, HyperText, Image, Audio)."""

    name: str
    type: str
    value: str
    variable: str | None
    attrs: dict[str, str]
    line: int | None
    column: int | None = None


@dataclass
class Control:
    """A control tag: what the annotator answers with (Choices, Labels, TextArea...)."""

    name: str
    type: str
    to_name: list[str]
    labels: list[str]
    attrs: dict[str, str]
    line: int | None
    column: int | None = None
    labels_attrs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def result_type(self):
        """The type stored in annotation results ("choices", "rectanglelabels"...)."""
        return self.type.lower()


@dataclass
class LabelingConfig:
    """A configuration that parsed and validated cleanly."""

    xml: str
    root: Node
    objects: dict[str, DataObject]
    controls: dict[str, Control]
    variables: set[str]

    def control_types(self):
        """{control name: result type as stored in annotations}."""
        return {name: control.result_type for name, control in self.controls.items()}

    def as_parsed_label_config(self):
        """The shape Label Studio's API calls ``parsed_label_config``."""
        parsed = {}
        for name, control in self.controls.items():
            inputs = []
            for target in control.to_name:
                obj = self.objects[target]
                inputs.append({"type": obj.type, "valueType": obj.attrs.get("valueType"),
                               "value": obj.variable if obj.variable is not None else obj.value})
            parsed[name] = {"type": control.type, "to_name": list(control.to_name), "inputs": inputs,
                            "labels": list(control.labels),
                            "labels_attrs": {k: dict(v) for k, v in control.labels_attrs.items()}}
        return parsed
