"""Parsing and validating labeling configurations: valid ones, located errors, attacks, shapes and safe changes."""
import pytest

from app.labeling_config import ConfigError, ConfigInvalid, parse_config, removed_in_use
from app.labeling_config.source import MAX_BYTES

TEXT = '<Text name="text" value="$text"/>'
IMAGE = '<Image name="img" value="$image"/>'


def _view(*lines):
    return "<View>\n" + "\n".join(lines) + "\n</View>"


VALID = {
    "choices": _view(TEXT, '<Choices name="s" toName="text"><Choice value="A"/><Choice value="B"/></Choices>'),
    "choices multiple inline": _view(TEXT, '<Choices name="s" toName="text" choice="multiple" showInline="true">',
                                     '<Choice value="A" hotkey="a" background="#ff0000"/><Choice value="B" alias="b"/>',
                                     "</Choices>"),
    "single-radio required": _view(TEXT, '<Choices name="s" toName="text" choice="single-radio" required="true" '
                                         'requiredMessage="Pick one"><Choice value="A"/></Choices>'),
    "labels": _view('<Labels name="l" toName="text" maxUsages="3"><Label value="PER" background="red" maxUsages="1"/>'
                    '<Label value="ORG" background="rgb(10, 20, 30)"/></Labels>', TEXT),
    "labels on hypertext": _view('<HyperText name="html" value="$html"/>',
                                 '<Labels name="l" toName="html"><Label value="X"/></Labels>'),
    "rectangle labels": _view(IMAGE, '<RectangleLabels name="box" toName="img" strokeWidth="2">'
                                     '<Label value="Car" background="#00ff0080"/></RectangleLabels>'),
    "rectangle": _view(IMAGE, '<Rectangle name="r" toName="img" canRotate="false"/>'),
    "textarea": _view('<Audio name="audio" value="$audio"/>', '<TextArea name="t" toName="audio" rows="3" '
                      'placeholder="Say" editable="true" perRegion="false" maxSubmissions="2" required="true"/>'),
    "rating": _view(TEXT, '<Rating name="r" toName="text" maxRating="10" icon="heart" size="large" required="true"/>'),
    "number": _view(TEXT, '<Number name="n" toName="text" min="-5" max="5.5" step="0.5" required="true"/>'),
    "datetime date,time": _view(TEXT, '<DateTime name="d" toName="text" only="date,time" required="true"/>'),
    "datetime date bounds": _view(TEXT, '<DateTime name="d" toName="text" only="date" min="2020-01-01" max="2021-01-01"/>'),
    "datetime time": _view(TEXT, '<DateTime name="d" toName="text" only="time"/>'),
    "taxonomy": _view(TEXT, '<Taxonomy name="tx" toName="text" leafsOnly="true" showFullPath="true">',
                      '<Choice value="A"><Choice value="A1"/><Choice value="A2"><Choice value="deep"/></Choice></Choice>',
                      '<Choice value="B"><Choice value="A1"/></Choice>', "</Taxonomy>"),
    "no controls": _view('<Header value="Just look"/>', TEXT),
    "header text": _view("<Header>Hello</Header>", TEXT),
    "style and nested views": _view("<Style>.x { color: red }</Style>",
                                    '<View style="display: flex" className="row"><View>' + TEXT + "</View></View>",
                                    '<Choices name="c" toName="text"><Choice value="A"/></Choices>'),
    "control before object": _view('<Choices name="c" toName="text"><Choice value="A"/></Choices>', TEXT),
    "multiple toName": _view(TEXT, '<Text name="t2" value="$other"/>',
                             '<Choices name="c" toName="text, t2"><Choice value="A"/></Choices>'),
    "conditional": _view(TEXT, '<Choices name="c" toName="text"><Choice value="Yes"/><Choice value="No"/></Choices>',
                         '<View visibleWhen="choice-selected" whenTagName="c" whenChoiceValue="Yes">',
                         '<TextArea name="why" toName="text"/></View>'),
    "region visibility on an object": _view(TEXT, '<Labels name="l" toName="text"><Label value="X"/></Labels>',
                                            '<View visibleWhen="region-selected" whenTagName="text"/>'),
    "per-region textarea": _view(TEXT, '<Labels name="l" toName="text"><Label value="X"/></Labels>',
                                 '<TextArea name="note" toName="text" perRegion="true" visibleWhen="region-selected"/>'),
    "dynamic choices": _view(TEXT, '<Choices name="c" toName="text" value="$options"/>'),
    "xml declaration and comment": '<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment -->\n' + _view(TEXT),
    "static text value": _view('<Text name="t" value="Read carefully"/>', '<Rating name="r" toName="t"/>'),
    "image attributes": _view('<Image name="img" value="$image" zoom="true" zoomControl="true" rotateControl="true" '
                              'maxWidth="100%"/>', '<Choices name="c" toName="img"><Choice value="A"/></Choices>'),
}

INVALID = [
    # (config, expected message substring, line)
    (_view(TEXT, '<Chioces name="c" toName="text"><Choice value="A"/></Chioces>'), "Unknown tag <Chioces>", 3),
    (_view(TEXT, '<Choices name="c" toName="text" colour="red"><Choice value="A"/></Choices>'),
     'Unknown attribute "colour" on <Choices>', 3),
    (_view(TEXT, '<Choices toName="text"><Choice value="A"/></Choices>'), 'missing the required attribute "name"', 3),
    (_view(TEXT, '<Choices name="c"><Choice value="A"/></Choices>'), 'missing the required attribute "toName"', 3),
    (_view('<Text name="text"/>'), 'missing the required attribute "value"', 2),
    (_view(TEXT, '<Choices name="c" toName="txt"><Choice value="A"/></Choices>'),
     '<Choices name="c"> points toName="txt" at nothing: no object tag is named "txt"', 3),
    (_view(TEXT, '<Labels name="text" toName="text"><Label value="A"/></Labels>'),
     'Duplicate name "text": names must be unique', 3),
    (_view(IMAGE, '<Labels name="l" toName="img"><Label value="A"/></Labels>'),
     '<Labels> can only label Text or HyperText, not Image "img"', 3),
    (_view(TEXT, '<RectangleLabels name="l" toName="text"><Label value="A"/></RectangleLabels>'),
     '<RectangleLabels> can only label Image, not Text "text"', 3),
    (_view(TEXT, '<Choices name="c" toName="text">', "</Choices>"), '<Choices name="c"> has no <Choice> tags', 3),
    (_view(TEXT, '<Labels name="l" toName="text"/>'), '<Labels name="l"> has no <Label> tags', 3),
    (_view(TEXT, '<Taxonomy name="t" toName="text"></Taxonomy>'), '<Taxonomy name="t"> has no <Choice> tags', 3),
    (_view(TEXT, '<Choices name="c" toName="text">', '<Choice value="A"/>', '<Choice value="A"/>', "</Choices>"),
     'Duplicate value "A" in <Choices name="c">', 5),
    (_view(TEXT, '<Rating name="r" toName="text" maxRating="0"/>'), 'maxRating="0" on <Rating name="r"> must be a positive', 3),
    (_view(TEXT, '<Rating name="r" toName="text" maxRating="2.5"/>'), "must be a positive whole number", 3),
    (_view(TEXT, '<Number name="n" toName="text" min="10" max="1"/>'), 'min="10" is greater than max="1"', 3),
    (_view(TEXT, '<Number name="n" toName="text" step="0"/>'), 'step="0" on <Number name="n"> must be greater than 0', 3),
    (_view(TEXT, '<Number name="n" toName="text" min="low"/>'), 'min="low" on <Number name="n"> is not a number', 3),
    (_view(TEXT, '<Labels name="l" toName="text" maxUsages="-1"><Label value="A"/></Labels>'),
     'maxUsages="-1" on <Labels name="l"> must be a positive whole number', 3),
    (_view(TEXT, '<Labels name="l" toName="text">', '<Label value="A" maxUsages="0"/></Labels>'),
     'maxUsages="0" on <Label> must be a positive', 4),
    (_view(TEXT, '<Choices name="c" toName="text" choice="many"><Choice value="A"/></Choices>'),
     'choice="many" on <Choices name="c"> is not valid: use single, single-radio, multiple', 3),
    (_view(TEXT, '<Labels name="l" toName="text">', '  <Label value="A" background="blurple"/>', "</Labels>"),
     'background="blurple" on <Label> is not a colour', 4),
    (_view(TEXT, '<DateTime name="d" toName="text" only="week"/>'), 'only="week" on <DateTime name="d"> is not valid', 3),
    (_view(TEXT, '<DateTime name="d" toName="text" only="date" min="2021-01-01" max="2020-01-01"/>'),
     "is later than max", 3),
    (_view(TEXT, '<Choices name="c" toName="text" required="yes"><Choice value="A"/></Choices>'),
     'required="yes" on <Choices name="c"> must be true or false', 3),
    ("<Document>\n" + TEXT + "\n</Document>", "The root tag must be <View>, not <Document>", 1),
    (_view(TEXT, '<Choice value="A"/>'), "<Choice> must be inside <Choices> or <Taxonomy>", 3),
    (_view(TEXT, '<Choices name="c" toName="text"><Label value="A"/></Choices>'),
     "<Choices> can only contain <Choice> tags, not <Label>", 3),
    (_view(TEXT, '<Choices name="c" toName="text"><Choice value="A"><Choice value="B"/></Choice></Choices>'),
     "<Choice> cannot contain other tags", 3),
    (_view('<Text name="t" value="$text">', '<Header value="x"/>', "</Text>"), "<Text> cannot contain other tags", 3),
    (_view(TEXT, '<Choices name=c toName="text"><Choice value="A"/></Choices>'), "not well-formed XML", 3),
    (_view(TEXT, '<TextArea name="c" toName="text" rows="0"/>'), 'rows="0" on <TextArea name="c"> must be a positive', 3),
    (_view(TEXT, '<Labels name="l" toName="text"><Label value="A"/></Labels>',
           '<TextArea name="t" toName="l"/>'), 'points toName="l" at a control', 4),
    (_view(TEXT, '<View visibleWhen="choice-selected" whenTagName="nope"/>'), 'whenTagName="nope" on <View> names no tag', 3),
    (_view(TEXT, '<Choices name="c" toName="text"><Choice value="Yes"/></Choices>',
           '<View visibleWhen="choice-selected" whenTagName="c" whenChoiceValue="Maybe"/>'),
     '"Maybe" (in <View>\'s condition) is not a value of "c"', 4),
    (_view(TEXT, '<Rating name="r" toName="text" maxRating="1000"/>'), "must be at most 100", 3),
    ("<View>" * 51 + TEXT + "</View>" * 51, "nested more than 50 levels deep", 1),
    ("<View>" * 300 + TEXT + "</View>" * 300, "nested more than 50 levels deep", 1),
    (_view(TEXT, '<View visibleWhen="sometimes"/>'), 'visibleWhen="sometimes" on <View> is not valid', 3),
    (_view("<Header/>", TEXT), '<Header> needs a value="..." or some text', 2),
    (_view('<Text name="t" value="$my var"/>'), "is not a valid $variable", 2),
]


@pytest.mark.parametrize("xml", VALID.values(), ids=VALID.keys())
def test_valid_configs_parse(xml):
    cfg = parse_config(xml)
    assert cfg.root.tag == "View"
    for control in cfg.controls.values():
        assert all(target in cfg.objects for target in control.to_name)


@pytest.mark.parametrize("xml,message,line", INVALID, ids=[m for _, m, _ in INVALID])
def test_invalid_configs_report_located_errors(xml, message, line):
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    matching = [e for e in caught.value.errors if message in e.message]
    assert matching, [str(e) for e in caught.value.errors]
    assert matching[0].line == line
    assert matching[0].column is not None


def test_column_points_at_the_offending_start_tag():
    xml = '<View>\n  <Text name="t" value="$t"/> <Bogus/>\n</View>'
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    (error,) = caught.value.errors
    assert (error.line, error.column) == (2, 31)
    assert str(error) == "Line 2, column 31: Unknown tag <Bogus>"


def test_multiline_start_tag_is_located_where_it_begins():
    xml = _view(TEXT, "<Choices", '  name="c" toName="nowhere">', '<Choice value="A"/></Choices>')
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, 1)]


def test_every_error_is_reported_in_source_order():
    xml = _view('<Bad1/>', TEXT, '<Choices name="c" toName="zzz"><Choice value="A"/></Choices>', "<Bad2/>")
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    assert [e.line for e in caught.value.errors] == [2, 4, 5]
    assert "Line 2, column 1: Unknown tag <Bad1>" in str(caught.value)


def test_error_without_location_prints_just_the_message():
    assert str(ConfigError("Too big")) == "Too big"
    assert str(ConfigError("Bad", 3, 5)) == "Line 3, column 5: Bad"


def test_malformed_xml_is_one_error_with_lxml_location():
    with pytest.raises(ConfigInvalid) as caught:
        parse_config("<View>\n  <Text name='t' value='$t'>\n</View>")
    (error,) = caught.value.errors
    assert "not well-formed XML" in error.message and error.line == 3 and error.column


@pytest.mark.parametrize("xml", ["", "   ", "\n"])
def test_empty_config_is_refused(xml):
    with pytest.raises(ConfigInvalid, match="empty"):
        parse_config(xml)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<View><Header value="&lol3;"/></View>"""
EXTERNAL_ENTITY = """<!DOCTYPE View [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<View><Header value="&xxe;"/></View>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY, '<!doctype View SYSTEM "http://evil/x.dtd"><View/>'],
                         ids=["billion laughs", "external entity", "external dtd"])
def test_dtds_and_entities_are_refused(xml):
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    (error,) = caught.value.errors
    assert "DOCTYPE" in error.message and "not allowed" in error.message
    assert error.line is not None


def test_undeclared_entity_is_malformed_not_expanded():
    with pytest.raises(ConfigInvalid, match="not well-formed XML"):
        parse_config('<View><Header value="&xxe;"/></View>')


def test_oversize_config_is_refused():
    padding = "<!--" + "x" * MAX_BYTES + "-->"
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(_view(TEXT) + padding)
    assert [e.message for e in caught.value.errors] == ["The configuration is larger than 256 KiB"]


def test_variables_objects_and_controls():
    cfg = parse_config(_view('<Header value="$title"/>', TEXT, IMAGE, '<Text name="static" value="No data"/>',
                             '<Choices name="c" toName="text,img" choice="multiple"><Choice value="A"/>'
                             '<Choice value="B"/></Choices>'))
    assert cfg.variables == {"title", "text", "image"}
    assert cfg.objects["text"].variable == "text" and cfg.objects["text"].value == "$text"
    assert cfg.objects["static"].variable is None
    control = cfg.controls["c"]
    assert (control.type, control.to_name, control.labels, control.line) == ("Choices", ["text", "img"], ["A", "B"], 6)
    assert control.attrs["choice"] == "multiple"


def test_no_controls_is_valid_and_empty():
    cfg = parse_config(_view(TEXT))
    assert cfg.controls == {} and cfg.as_parsed_label_config() == {} and cfg.control_types() == {}


def test_as_parsed_label_config_shape():
    cfg = parse_config(_view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Positive"/>'
                                   '<Choice value="Negative" background="red"/></Choices>'))
    assert cfg.as_parsed_label_config() == {"sentiment": {
        "type": "Choices", "to_name": ["text"], "inputs": [{"type": "Text", "valueType": None, "value": "text"}],
        "labels": ["Positive", "Negative"],
        "labels_attrs": {"Positive": {"value": "Positive"}, "Negative": {"value": "Negative", "background": "red"}}}}


def test_taxonomy_labels_are_flattened_and_value_type_reported():
    cfg = parse_config(_view('<Text name="text" value="$url" valueType="url"/>',
                             '<Taxonomy name="t" toName="text"><Choice value="A"><Choice value="A1"/></Choice>'
                             '<Choice value="B"><Choice value="A1"/></Choice></Taxonomy>'))
    parsed = cfg.as_parsed_label_config()["t"]
    assert parsed["labels"] == ["A", "A1", "B"]
    assert parsed["inputs"] == [{"type": "Text", "valueType": "url", "value": "url"}]


def test_control_types_are_annotation_result_types():
    cfg = parse_config(_view(TEXT, IMAGE, '<Labels name="a" toName="text"><Label value="X"/></Labels>',
                             '<RectangleLabels name="b" toName="img"><Label value="X"/></RectangleLabels>',
                             '<TextArea name="c" toName="text"/>', '<Rating name="d" toName="text"/>',
                             '<Number name="e" toName="text"/>', '<DateTime name="f" toName="text"/>',
                             '<Taxonomy name="g" toName="text"><Choice value="X"/></Taxonomy>',
                             '<Choices name="h" toName="text"><Choice value="X"/></Choices>'))
    assert cfg.control_types() == {"a": "labels", "b": "rectanglelabels", "c": "textarea", "d": "rating", "e": "number",
                                   "f": "datetime", "g": "taxonomy", "h": "choices"}


def test_variables_are_checked_against_imported_keys():
    xml = _view('<Text name="text" value="$text"/>', '<Text name="b" value="$body"/>')
    assert parse_config(xml, data_keys={"text", "body"}).variables == {"text", "body"}
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml, data_keys={"text", "title"})
    (error,) = caught.value.errors
    assert error.message == "\"$body\" is not in the imported tasks' data (keys: text, title)"
    assert error.line == 3


# --- removed_in_use ---------------------------------------------------------------------------------------------------

OLD = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>',
            '<TextArea name="comment" toName="text"/>')


def test_change_allowed_when_nothing_used_is_dropped():
    new = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/>'
                      '<Choice value="Neutral"/></Choices>')
    assert removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive"}}) == []


def test_removing_an_unused_label_or_control_is_allowed():
    new = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Positive"/></Choices>')
    assert removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive"}}) == []


def test_removing_a_used_control_is_refused():
    new = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>')
    assert removed_in_use(parse_config(OLD), parse_config(new), {"comment": set()}) == [
        'Control "comment" is used by existing annotations and cannot be removed']


def test_removing_a_used_label_is_refused():
    new = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Negative"/></Choices>',
                '<TextArea name="comment" toName="text"/>')
    assert removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive", "Negative"}}) == [
        'Label "Positive" of "sentiment" is used by existing annotations and cannot be removed']


def test_changing_a_used_controls_type_is_refused():
    new = _view(TEXT, '<Labels name="sentiment" toName="text"><Label value="Positive"/></Labels>')
    problems = removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive"}})
    assert problems == ['Control "sentiment" is used by existing annotations and cannot change from <Choices> to <Labels>']


def test_retargeting_a_used_control_is_refused():
    new = _view(TEXT, '<Text name="other" value="$other"/>',
                '<Choices name="sentiment" toName="other"><Choice value="Positive"/><Choice value="Negative"/></Choices>')
    problems = removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive"}})
    assert problems == ['Control "sentiment" is used by existing annotations on "text" and must keep toName="text"']


def test_several_problems_are_all_listed():
    new = _view(TEXT, '<Choices name="sentiment" toName="text"><Choice value="Other"/></Choices>')
    problems = removed_in_use(parse_config(OLD), parse_config(new), {"sentiment": {"Positive", "Negative"}, "comment": set()})
    assert len(problems) == 3


def test_bytes_and_byte_order_mark_are_accepted_with_locations_intact():
    xml = "\ufeff" + _view(TEXT, "<Nope/>")
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml.encode("utf-8"))
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, 1)]
    assert parse_config(_view(TEXT).encode("utf-8")).variables == {"text"}


def test_cdata_comments_and_instructions_do_not_shift_columns():
    xml = '<View><!-- <Fake/> --><Style><![CDATA[.a{}]]></Style><?pi <x?><Oops/></View>'
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(xml)
    (error,) = caught.value.errors
    assert (error.line, error.column, error.message) == (1, xml.index("<Oops") + 1, "Unknown tag <Oops>")
