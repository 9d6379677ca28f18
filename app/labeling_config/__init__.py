"""Label Studio labeling configurations: safe parsing, validation, preview rendering and a template catalogue."""
from .changes import removed_in_use
from .model import ConfigError, ConfigInvalid, Control, DataObject, LabelingConfig, Node
from .parser import parse_config
from .preview import render_preview
from .templates import TEMPLATES, Template

__all__ = ["TEMPLATES", "ConfigError", "ConfigInvalid", "Control", "DataObject", "LabelingConfig", "Node", "Template",
           "parse_config", "removed_in_use", "render_preview"]
