"""parse_config: safe parsing followed by validation."""
from .model import ConfigInvalid, LabelingConfig
from .source import load
from .validate import Checker


def parse_config(xml, data_keys=None):
    """Parse and validate a labeling configuration; raises ConfigInvalid listing every located error."""
    root = load(xml)
    objects, controls, variables, errors = Checker(data_keys).run(root)
    if errors:
        raise ConfigInvalid(errors)
    return LabelingConfig(xml=xml, root=root, objects=objects, controls=controls, variables=variables)
