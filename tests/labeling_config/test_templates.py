"""The template catalogue: every entry parses cleanly and its sample task feeds every variable."""
import pytest

from app.labeling_config import TEMPLATES, parse_config

REQUIRED_CONTROLS = {"choices", "labels", "rectanglelabels", "textarea", "rating", "taxonomy"}


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.key for t in TEMPLATES])
def test_template_parses_against_its_sample_task(template):
    cfg = parse_config(template.config_xml, data_keys=set(template.sample_task))
    assert cfg.variables and cfg.variables <= set(template.sample_task)
    assert cfg.controls
    assert template.title and template.group and template.description


def test_keys_are_unique():
    keys = [t.key for t in TEMPLATES]
    assert len(keys) == len(set(keys))


def test_catalogue_covers_the_main_tasks():
    types = set()
    objects = set()
    for template in TEMPLATES:
        cfg = parse_config(template.config_xml)
        types |= set(cfg.control_types().values())
        objects |= {o.type for o in cfg.objects.values()}
    assert REQUIRED_CONTROLS <= types
    assert {"Text", "Image", "Audio", "HyperText"} <= objects
