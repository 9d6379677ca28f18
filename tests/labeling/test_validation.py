"""check_result: an annotation's result against the labeling configuration and the task's data."""
import json

import pytest

from app.errors import Refused
from app.labeling.validation import EMPTY_REFUSED, ResultInvalid, check_result, is_empty
from app.labeling_config import parse_config

SENTIMENT = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""

NER = """<View>
  <Labels name="label" toName="text">
    <Label value="PER"/><Label value="ORG"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""

BOXES = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="Cat"/><Label value="Dog"/></RectangleLabels>
</View>"""

TAXONOMY = """<View>
  <Text name="text" value="$text"/>
  <Taxonomy name="topic" toName="text" leafsOnly="true">
    <Choice value="Science"><Choice value="Physics"/><Choice value="Biology"/></Choice>
    <Choice value="Sports"/>
  </Taxonomy>
</View>"""

TEXT = {"text": "Alice works at Acme in Paris."}


def item(from_name, to_name, type_, value, **extra):
    return {"from_name": from_name, "to_name": to_name, "type": type_, "value": value, **extra}


def choice(*choices, **extra):
    return item("sentiment", "text", "choices", {"choices": list(choices)}, **extra)


def span(start, end, *labels, text=None, **extra):
    value = {"start": start, "end": end, "labels": list(labels or ["PER"])}
    if text is not None:
        value["text"] = text
    return item("label", "text", "labels", value, **extra)


def box(x=10, y=10, width=20, height=20, labels=("Cat",), **extra):
    value = {"x": x, "y": y, "width": width, "height": height, "rectanglelabels": list(labels)}
    return item("box", "image", "rectanglelabels", value, **extra)


def errors(xml, result, data=None, **kwargs):
    """The problems check_result reports (failing the test when it reports none)."""
    with pytest.raises(ResultInvalid) as caught:
        check_result(parse_config(xml), TEXT if data is None else data, result, **kwargs)
    return caught.value.errors


def ok(xml, result, data=None, **kwargs):
    return check_result(parse_config(xml), TEXT if data is None else data, result, **kwargs)


# --- the exception and the returned result -------------------------------------------------------------------------------

def test_result_invalid_is_a_refusal_on_the_result_field():
    exc = ResultInvalid(["first problem", "second problem"])
    assert isinstance(exc, Refused)
    assert exc.errors == ["first problem", "second problem"]
    assert exc.message == "first problem; second problem"
    assert exc.field == "result"
    assert exc.as_validation_errors() == {"result": ["first problem", "second problem"]}


def test_valid_result_comes_back_with_an_id_added_and_the_input_untouched():
    result = [choice("Positive")]
    checked = ok(SENTIMENT, result)
    assert "id" not in result[0]
    assert isinstance(checked[0]["id"], str) and 4 <= len(checked[0]["id"]) <= 12
    assert {k: v for k, v in checked[0].items() if k != "id"} == result[0]


def test_ids_are_kept_and_new_ones_differ():
    checked = ok(NER, [span(0, 5, id="keep-me"), span(15, 19, "ORG"), span(23, 28, "ORG")])
    assert checked[0]["id"] == "keep-me"
    assert checked[1]["id"] != checked[2]["id"]


def test_result_must_be_a_list():
    assert errors(SENTIMENT, {"choices": ["Positive"]}) == [
        'The result must be a list of objects, not {"choices": ["Positive"]}.']


def test_items_must_be_objects():
    assert errors(SENTIMENT, ["Positive"]) == [
        'Result 1: must be an object with from_name, to_name, type and value, not "Positive"']


# --- the item's shape ---------------------------------------------------------------------------------------------------

def test_unknown_control():
    assert errors(SENTIMENT, [item("mood", "text", "choices", {"choices": ["Positive"]})]) == [
        'Result 1 ("mood"): from_name "mood" names no control of the labeling configuration (sentiment)']


def test_wrong_to_name():
    assert errors(SENTIMENT, [item("sentiment", "image", "choices", {"choices": ["Positive"]})]) == [
        'Result 1 ("sentiment"): to_name "image" is not what "sentiment" labels (expected text)']


def test_wrong_type():
    assert errors(SENTIMENT, [item("sentiment", "text", "labels", {"choices": ["Positive"]})]) == [
        'Result 1 ("sentiment"): type "labels" does not match "sentiment", which stores "choices"']


def test_value_must_be_an_object():
    assert errors(SENTIMENT, [item("sentiment", "text", "choices", ["Positive"])]) == [
        'Result 1 ("sentiment"): value must be an object, not ["Positive"]']


def test_id_must_be_a_string():
    assert errors(SENTIMENT, [choice("Positive", id=7)]) == ['Result 1 ("sentiment"): id must be a string, not 7']


def test_label_studio_extra_keys_are_accepted_and_others_refused():
    extra = {"origin": "manual", "score": 0.9, "readonly": False, "hidden": False, "meta": {"text": ["n"]},
             "parentID": "p1", "image_rotation": 0, "id": "a1"}
    assert ok(SENTIMENT, [choice("Positive", **extra)])[0] == choice("Positive", **extra)
    assert errors(SENTIMENT, [choice("Positive", colour="red")]) == ['Result 1 ("sentiment"): unknown key "colour"']


# --- choices ------------------------------------------------------------------------------------------------------------

def test_unknown_choice_lists_the_options():
    assert errors(SENTIMENT, [choice("Happy")]) == [
        'Result 1 ("sentiment"): "Happy" is not an option of "sentiment" (options: Positive, Negative, Neutral)']


def test_long_option_lists_are_cut_to_ten():
    options = "".join(f'<Choice value="c{i}"/>' for i in range(14))
    xml = f'<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text">{options}</Choices></View>'
    (message,) = errors(xml, [choice("nope")])
    assert message.endswith("(options: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 4 more)")


@pytest.mark.parametrize("value", [[], "Positive", [1], None])
def test_choices_must_be_a_non_empty_list_of_strings(value):
    (message,) = errors(SENTIMENT, [item("sentiment", "text", "choices", {"choices": value})])
    assert message.startswith('Result 1 ("sentiment"): value.choices must be a non-empty list of strings')


@pytest.mark.parametrize("mode", [None, "single", "single-radio"])
def test_single_choice_controls_take_one(mode):
    xml = SENTIMENT if mode is None else SENTIMENT.replace('toName="text"', f'toName="text" choice="{mode}"')
    assert errors(xml, [choice("Positive", "Negative")]) == [
        'Result 1 ("sentiment"): "sentiment" takes a single choice, not 2']


def test_multiple_choice_controls_take_several():
    xml = SENTIMENT.replace('toName="text"', 'toName="text" choice="multiple"')
    assert ok(xml, [choice("Positive", "Negative")])[0]["value"] == {"choices": ["Positive", "Negative"]}


DYNAMIC = """<View><Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" value="$options" choice="multiple"/></View>"""


def test_dynamic_choices_come_from_the_task():
    data = {"text": "x", "options": ["Red", {"value": "Blue", "hint": "sky"}]}
    assert ok(DYNAMIC, [choice("Red", "Blue")], data=data)
    assert errors(DYNAMIC, [choice("Green")], data=data) == [
        'Result 1 ("sentiment"): "Green" is not an option of "sentiment" (options: Red, Blue)']


def test_dynamic_choices_without_task_options_accept_nothing():
    assert errors(DYNAMIC, [choice("Red")], data={"text": "x"}) == [
        'Result 1 ("sentiment"): "Red" is not an option of "sentiment" (the task offers no options)']


# --- taxonomy -----------------------------------------------------------------------------------------------------------

def taxonomy(*paths):
    return item("topic", "text", "taxonomy", {"taxonomy": [list(p) for p in paths]})


def test_taxonomy_paths_follow_the_tree():
    assert ok(TAXONOMY, [taxonomy(["Science", "Physics"], ["Sports"])])


def test_taxonomy_path_not_in_tree():
    assert errors(TAXONOMY, [taxonomy(["Sports", "Physics"]), taxonomy(["Art"])]) == [
        ('Result 1 ("topic"): the path "Sports / Physics" is not in the taxonomy of "topic": "Physics" is not a choice '
        'under "Sports" (choices there: none)'),
        ('Result 2 ("topic"): the path "Art" is not in the taxonomy of "topic": "Art" is not a choice at the top '
        "(choices there: Science, Sports)"),
    ]


def test_taxonomy_leafs_only():
    assert errors(TAXONOMY, [taxonomy(["Science"])]) == [
        ('Result 1 ("topic"): the path "Science" stops at a category, but "topic" only accepts leaves '
        "(under it: Physics, Biology)")]
    assert ok(TAXONOMY.replace(' leafsOnly="true"', ""), [taxonomy(["Science"])])


@pytest.mark.parametrize(("paths", "problem"), [
    ([], "value.taxonomy must be a non-empty list of paths (lists of choices), not []"),
    ("Science", 'value.taxonomy must be a non-empty list of paths (lists of choices), not "Science"'),
    ([[]], "each path in value.taxonomy must be a non-empty list of strings, not []"),
    (["Science"], 'each path in value.taxonomy must be a non-empty list of strings, not "Science"'),
    ([["Science", 3]], 'each path in value.taxonomy must be a non-empty list of strings, not ["Science", 3]'),
])
def test_taxonomy_paths_must_be_lists_of_strings(paths, problem):
    assert errors(TAXONOMY, [item("topic", "text", "taxonomy", {"taxonomy": paths})]) == [f'Result 1 ("topic"): {problem}']


def test_taxonomy_max_usages():
    xml = TAXONOMY.replace('leafsOnly="true"', 'leafsOnly="true" maxUsages="1"')
    assert ok(xml, [taxonomy(["Sports"])])
    assert errors(xml, [taxonomy(["Sports"], ["Science", "Physics"])]) == [
        'Result 1 ("topic"): "topic" allows at most 1 selections, not 2']


def test_dynamic_taxonomy_comes_from_the_task():
    xml = '<View><Text name="text" value="$text"/><Taxonomy name="topic" toName="text" value="$tree"/></View>'
    data = {"text": "x", "tree": [{"value": "A", "children": [{"value": "A1"}]}, "B"]}
    assert ok(xml, [taxonomy(["A", "A1"], ["B"])], data=data)
    (message,) = errors(xml, [taxonomy(["A", "B"])], data=data)
    assert message.endswith('"B" is not a choice under "A" (choices there: A1)')


# --- text spans ---------------------------------------------------------------------------------------------------------

def test_span_within_the_text_with_matching_text():
    assert ok(NER, [span(0, 5, text="Alice"), span(15, 19, "ORG", text="Acme")])


def test_span_out_of_bounds():
    data = {"text": "x" * 42}
    assert errors(NER, [span(0, 1), span(10, 60)], data=data) == [
        'Result 2 ("label"): the span 10–60 is outside the text (42 characters)']


@pytest.mark.parametrize(("start", "end"), [(5, 5), (6, 2), (-1, 3)])
def test_span_must_be_ordered(start, end):
    assert errors(NER, [span(start, end)]) == [
        f'Result 1 ("label"): the span {start}–{end} is empty or reversed: start must be 0 or more and less than end']


@pytest.mark.parametrize(("start", "end"), [("0", 5), (0, 5.0), (True, 5), (None, None)])
def test_span_offsets_must_be_whole_numbers(start, end):
    (message,) = errors(NER, [span(start, end)])
    assert "value.start and value.end must be whole numbers" in message


def test_span_text_mismatch():
    assert errors(NER, [span(0, 5, text="Alicia")]) == [
        'Result 1 ("label"): the span 0–5 holds "Alice", not value.text "Alicia"']


def test_span_text_must_be_a_string():
    assert errors(NER, [span(0, 5, text=5)]) == ['Result 1 ("label"): value.text must be a string']


def test_emoji_text_accepts_javascript_and_python_offsets():
    data = {"text": "I 😀 love Paris"}
    # "Paris" is at code points 9–14 and at UTF-16 code units 10–15 (the emoji is a surrogate pair).
    assert ok(NER, [span(10, 15, text="Paris")], data=data)
    assert ok(NER, [span(9, 14, text="Paris")], data=data)
    # The last code unit only exists in the UTF-16 reading.
    assert ok(NER, [span(10, 15)], data=data)
    assert errors(NER, [span(10, 15, text="aris")], data=data) == [
        'Result 1 ("label"): the span 10–15 holds "Paris", not value.text "aris"']
    assert errors(NER, [span(10, 14, text="love")], data=data) == [
        'Result 1 ("label"): the span 10–14 holds "aris" (or "Pari" counting UTF-16 code units), not value.text "love"']


def test_emoji_out_of_bounds_names_both_lengths():
    assert errors(NER, [span(0, 16)], data={"text": "I 😀 love Paris"}) == [
        'Result 1 ("label"): the span 0–16 is outside the text (14 characters, 15 UTF-16 code units)']


def test_span_that_splits_an_emoji_in_utf16_is_read_as_code_points():
    data = {"text": "😀😀"}
    assert ok(NER, [span(0, 1, text="😀")], data=data)
    assert errors(NER, [span(0, 3)], data=data) == [
        'Result 1 ("label"): the span 0–3 is outside the text (2 characters, 4 UTF-16 code units)']


def test_span_text_is_the_task_data_as_displayed():
    # Non-string task data is shown (and so selected) as JSON.
    assert ok(NER, [span(0, 4, text="[1, ")], data={"text": [1, 2]})


def test_unknown_label():
    assert errors(NER, [span(0, 5, "LOC")]) == [
        'Result 1 ("label"): "LOC" is not a label of "label" (labels: PER, ORG)']


def test_hypertext_spans_only_need_offsets():
    xml = NER.replace('<Text name="text" value="$text"/>', '<HyperText name="text" value="$html"/>')
    html = {"html": "<p>Alice</p>"}
    xpath = item("label", "text", "labels", {"start": "/p[1]/text()[1]", "end": "/p[1]/text()[1]", "startOffset": 0,
                                             "endOffset": 5, "text": "Alice", "labels": ["PER"]})
    assert ok(xml, [xpath, span(0, 500)], data=html)
    assert errors(xml, [item("label", "text", "labels", {"labels": ["PER"], "text": 3})], data=html) == [
        'Result 1 ("label"): value.start is missing (a number or an XPath string)',
        'Result 1 ("label"): value.end is missing (a number or an XPath string)',
        'Result 1 ("label"): value.text must be a string',
    ]


# --- maxUsages ----------------------------------------------------------------------------------------------------------

def test_max_usages_on_labels():
    xml = NER.replace('<Labels name="label" toName="text">', '<Labels name="label" toName="text" maxUsages="2">')
    assert ok(xml, [span(0, 5), span(15, 19, "ORG")])
    assert errors(xml, [span(0, 5), span(15, 19, "ORG"), span(23, 28, "ORG")]) == [
        'Result 3 ("label"): "label" allows at most 2 regions, and this is number 3']


def test_max_usages_on_a_label():
    xml = NER.replace('<Label value="PER"/>', '<Label value="PER" maxUsages="2"/>')
    assert ok(xml, [span(0, 5), span(6, 11), span(15, 19, "ORG"), span(23, 28, "ORG")])
    assert errors(xml, [span(0, 5), span(15, 19, "ORG"), span(6, 11), span(23, 28)]) == [
        'Result 4 ("label"): "label" allows at most 2 regions labelled PER, and this is number 3']


def test_max_usages_on_rectangle_labels():
    xml = BOXES.replace('<Label value="Cat"/>', '<Label value="Cat" maxUsages="1"/>')
    assert errors(xml, [box(), box(labels=["Dog"]), box(x=50, labels=["Cat"])], data={"image": "a.png"}) == [
        'Result 3 ("box"): "box" allows at most 1 regions labelled Cat, and this is number 2']


# --- rectangles ---------------------------------------------------------------------------------------------------------

IMAGE = {"image": "https://example.com/a.png"}


def test_rectangle_labels_in_bounds():
    assert ok(BOXES, [box(original_width=640, original_height=480, image_rotation=0), box(x=0, y=0, width=100, height=100)],
              data=IMAGE)


def test_rectangle_edges_have_a_small_tolerance():
    assert ok(BOXES, [box(x=80.005, width=20), box(x=-0.005, y=-0.005)], data=IMAGE)
    assert errors(BOXES, [box(x=80.05, width=20)], data=IMAGE) == [
        ('Result 1 ("box"): the rectangle goes past the edge of the image (x + width = 100.05, y + height = 30; both must '
        "be at most 100, in percent of the image)")]


def test_rectangle_out_of_bounds():
    assert errors(BOXES, [box(x=-5), box(y=90, height=20)], data=IMAGE) == [
        'Result 1 ("box"): the rectangle starts outside the image (x = -5, y = 10; both must be 0 or more)',
        ('Result 2 ("box"): the rectangle goes past the edge of the image (x + width = 30, y + height = 110; both must '
        "be at most 100, in percent of the image)"),
    ]


def test_rectangle_with_negative_width():
    assert errors(BOXES, [box(width=-5), box(height=0)], data=IMAGE) == [
        'Result 1 ("box"): the rectangle must have a positive width and height, not -5 × 20',
        'Result 2 ("box"): the rectangle must have a positive width and height, not 20 × 0',
    ]


def test_rotated_rectangle_may_extend_past_the_edge_unrotated():
    turned = box(x=90, width=20)
    turned["value"]["rotation"] = 90
    assert ok(BOXES, [turned], data=IMAGE)
    turned["value"]["rotation"] = "90"
    assert errors(BOXES, [turned], data=IMAGE) == [
        'Result 1 ("box"): value.rotation must be a number (percent of the image)']


def test_rectangle_coordinates_must_be_numbers():
    assert errors(BOXES, [box(x=True, height="20")], data=IMAGE) == [
        'Result 1 ("box"): value.x, value.height must be numbers (percent of the image)']


def test_rectangle_labels_need_a_label():
    assert errors(BOXES, [box(labels=())], data=IMAGE) == [
        'Result 1 ("box"): value.rectanglelabels must be a non-empty list of strings, not []']
    assert errors(BOXES, [box(labels=["Bird"])], data=IMAGE) == [
        'Result 1 ("box"): "Bird" is not a label of "box" (labels: Cat, Dog)']


@pytest.mark.parametrize("size", [0, -3, 2.5, "640", True])
def test_original_size_must_be_a_positive_integer(size):
    assert errors(BOXES, [box(original_width=size)], data=IMAGE) == [
        f'Result 1 ("box"): original_width must be a positive whole number, not {json.dumps(size)}']


def test_plain_rectangle():
    xml = '<View><Image name="image" value="$image"/><Rectangle name="rect" toName="image"/></View>'
    assert ok(xml, [item("rect", "image", "rectangle", {"x": 1, "y": 2, "width": 3, "height": 4})], data=IMAGE)
    assert errors(xml, [item("rect", "image", "rectangle", {"x": 1, "y": 2, "width": 3})], data=IMAGE) == [
        'Result 1 ("rect"): value.height must be a number (percent of the image)']


# --- textarea, rating, number, datetime ---------------------------------------------------------------------------------

TEXTAREA = '<View><Text name="text" value="$text"/><TextArea name="note" toName="text" maxSubmissions="2"/></View>'


def note(text, **extra):
    return item("note", "text", "textarea", {"text": text}, **extra)


def test_textarea_single_string_becomes_a_list():
    result = [note("hello")]
    assert ok(TEXTAREA, result)[0]["value"] == {"text": ["hello"]}
    assert result[0]["value"] == {"text": "hello"}


def test_textarea_max_submissions():
    assert ok(TEXTAREA, [note(["one", "two"])])
    assert errors(TEXTAREA, [note(["one", "two", "three"])]) == [
        'Result 1 ("note"): "note" accepts at most 2 entries, not 3']


@pytest.mark.parametrize("text", [None, 5, ["ok", 5]])
def test_textarea_text_must_be_strings(text):
    (message,) = errors(TEXTAREA, [note(text)])
    assert message.startswith('Result 1 ("note"): value.text must be a list of strings')


RATING = '<View><Text name="text" value="$text"/><Rating name="stars" toName="text"/></View>'


def rating(value):
    return item("stars", "text", "rating", {"rating": value})


def test_rating_defaults_to_five_stars():
    assert ok(RATING, [rating(5)])
    assert errors(RATING, [rating(6)]) == ['Result 1 ("stars"): value.rating must be a whole number from 1 to 5, not 6']


@pytest.mark.parametrize("value", [0, 11, 3.5, True, "3"])
def test_rating_above_max_or_not_a_whole_number(value):
    xml = '<View><Text name="text" value="$text"/><Rating name="stars" toName="text" maxRating="10"/></View>'
    assert ok(xml, [rating(10)])
    (message,) = errors(xml, [rating(value)])
    assert "value.rating must be a whole number from 1 to 10" in message


NUMBER = '<View><Text name="text" value="$text"/><Number name="count" toName="text" min="1" max="10"/></View>'


def number(value):
    return item("count", "text", "number", {"number": value})


def test_number_within_bounds():
    assert ok(NUMBER, [number(1)]) and ok(NUMBER, [number(10)]) and ok(NUMBER, [number(2.5)])


def test_number_outside_min_max():
    assert errors(NUMBER, [number(0), number(10.5)]) == [
        'Result 1 ("count"): value.number 0 is below the minimum of 1',
        'Result 2 ("count"): value.number 10.5 is above the maximum of 10',
    ]


@pytest.mark.parametrize("value", [True, "3", None, float("nan")])
def test_number_must_be_a_number(value):
    (message,) = errors(NUMBER, [number(value)])
    assert "value.number must be a number" in message


def test_number_without_bounds():
    xml = '<View><Text name="text" value="$text"/><Number name="count" toName="text"/></View>'
    assert ok(xml, [number(-1e9)])


def when(value, only=None, **bounds):
    if only:
        bounds["only"] = only
    attrs = "".join(f' {k}="{v}"' for k, v in bounds.items())
    xml = f'<View><Text name="text" value="$text"/><DateTime name="when" toName="text"{attrs}/></View>'
    return xml, [item("when", "text", "datetime", {"datetime": value})]


@pytest.mark.parametrize(("only", "value"), [("date", "2024-02-29"), ("time", "09:30"), ("date,time", "2024-01-01T09:30"),
                                             ("month", "2024-05"), ("year", "2024"), (None, "2024-01-01T09:30:15"),
                                             (None, "2024-01-01")])
def test_datetime_forms(only, value):
    assert ok(*when(value, only))


@pytest.mark.parametrize(("only", "value"), [("date", "2023-02-29"), ("date", "2024-01-01T09:30"), ("time", "25:00"),
                                             ("month", "2024"), (None, "yesterday"), (None, 20240101)])
def test_datetime_that_does_not_parse(only, value):
    (message,) = errors(*when(value, only))
    assert message.startswith('Result 1 ("when"): value.datetime must be a date or time written as')


def test_datetime_min_max():
    assert ok(*when("2024-06-01", "date", min="2024-01-01", max="2024-12-31"))
    assert errors(*when("2023-12-31", "date", min="2024-01-01")) == [
        'Result 1 ("when"): value.datetime 2023-12-31 is earlier than the minimum 2024-01-01']
    assert errors(*when("2025-01-01", "date", max="2024-12-31")) == [
        'Result 1 ("when"): value.datetime 2025-01-01 is later than the maximum 2024-12-31']


# --- per-region results -------------------------------------------------------------------------------------------------

PER_REGION = """<View>
  <Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/>
  <TextArea name="note" toName="text" perRegion="true" required="true"/>
</View>"""


def test_per_region_item_matches_a_region():
    region = span(0, 5, id="r1")
    attached = note(["a person"], id="r1")
    attached["value"].update(start=0, end=5)
    assert ok(PER_REGION, [region, attached])
    # A per-region control is not required of the annotation as a whole.
    assert ok(PER_REGION, [region])


def test_per_region_item_without_a_matching_region():
    assert errors(PER_REGION, [span(0, 5, id="r1"), note(["x"], id="r2"), note(["y"])]) == [
        ('Result 2 ("note"): "note" is answered per region, so the item needs the id of a region (labels, '
        'rectanglelabels or rectangle) in this result: no region has the id "r2"'),
        ('Result 3 ("note"): "note" is answered per region, so the item needs the id of a region (labels, '
        "rectanglelabels or rectangle) in this result: it has no id"),
    ]


def test_per_region_item_must_be_on_the_regions_object():
    xml = """<View><Text name="text" value="$text"/><Text name="title" value="$title"/>
      <Labels name="label" toName="text,title"><Label value="PER"/></Labels>
      <TextArea name="note" toName="text,title" perRegion="true"/></View>"""
    data = {"text": "Alice", "title": "Bob"}
    assert ok(xml, [span(0, 5, id="r1"), note(["x"], id="r1")], data=data)
    assert errors(xml, [span(0, 5, id="r1"), item("note", "title", "textarea", {"text": ["x"]}, id="r1")], data=data) == [
        'Result 2 ("note"): the region "r1" is on "text", not "title"']


def test_per_region_choices_are_checked_like_choices():
    xml = BOXES.replace("</View>", '<Choices name="pose" toName="image" perRegion="true"><Choice value="Sitting"/>'
                                   "</Choices></View>")
    pose = item("pose", "image", "choices", {"choices": ["Lying"], "x": 10, "y": 10, "width": 20, "height": 20}, id="b1")
    assert errors(xml, [box(id="b1"), pose], data=IMAGE) == [
        'Result 2 ("pose"): "Lying" is not an option of "pose" (options: Sitting)']


# --- required and conditions ---------------------------------------------------------------------------------------------

REQUIRED = SENTIMENT.replace('toName="text"', 'toName="text" required="true"')


def test_required_control_missing():
    assert errors(REQUIRED, []) == ['"sentiment" is required']
    assert errors(REQUIRED.replace('required="true"', 'required="true" requiredMessage="Pick a sentiment."'), []) == [
        "Pick a sentiment."]


def test_required_control_answered_or_not_enforced():
    assert ok(REQUIRED, [choice("Neutral")])
    assert ok(REQUIRED, [], enforce_required=False) == []


def test_required_answer_must_be_non_empty():
    xml = '<View><Text name="text" value="$text"/><TextArea name="note" toName="text" required="true"/></View>'
    assert errors(xml, [note(["  "])]) == ['"note" is required']


CONDITIONAL = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
  <TextArea name="why" toName="text" required="true" visibleWhen="choice-selected" whenTagName="sentiment"
            whenChoiceValue="Negative, Neutral"/>
</View>"""


def test_required_but_hidden_by_visible_when():
    assert ok(CONDITIONAL, [choice("Positive")])
    assert ok(CONDITIONAL, []) == []


def test_required_when_the_condition_is_met():
    assert errors(CONDITIONAL, [choice("Neutral")]) == ['"why" is required']
    assert ok(CONDITIONAL, [choice("Negative"), item("why", "text", "textarea", {"text": ["rude"]})])


def test_condition_without_a_value_means_any_choice():
    xml = CONDITIONAL.replace(' whenChoiceValue="Negative, Neutral"', "")
    assert ok(xml, []) == []
    assert errors(xml, [choice("Positive")]) == ['"why" is required']


def test_conditions_on_an_enclosing_view_apply_inside():
    xml = """<View>
      <Text name="text" value="$text"/>
      <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
      <View visibleWhen="choice-selected" whenTagName="sentiment" whenChoiceValue="Negative">
        <View><Rating name="stars" toName="text" required="true"/></View>
      </View>
    </View>"""
    assert ok(xml, [choice("Positive")])
    assert errors(xml, [choice("Negative")]) == ['"stars" is required']


def test_choice_unselected_condition():
    xml = CONDITIONAL.replace("choice-selected", "choice-unselected")
    assert ok(xml, [choice("Negative")])
    assert errors(xml, [choice("Positive")]) == ['"why" is required']


# --- empty annotations --------------------------------------------------------------------------------------------------

def test_empty_result_refused_or_allowed():
    assert ok(SENTIMENT, []) == []
    assert errors(SENTIMENT, [], allow_empty=False) == [EMPTY_REFUSED]
    assert EMPTY_REFUSED == "This project does not accept empty annotations: answer at least one question."
    assert ok(SENTIMENT, [choice("Positive")], allow_empty=False)


def test_only_empty_answers_count_as_empty():
    assert errors(TEXTAREA, [note([""])], allow_empty=False) == [EMPTY_REFUSED]
    assert ok(TEXTAREA, [note(["x"])], allow_empty=False)


@pytest.mark.parametrize(("result", "empty"), [
    ([], True),
    (None, True),
    ([{"from_name": "n", "type": "textarea", "value": {"text": ["", " "]}}], True),
    ([{"from_name": "c", "type": "choices", "value": {"choices": []}}], True),
    ([{"from_name": "c", "type": "choices", "value": {}}], True),
    ([{"from_name": "c", "type": "choices", "value": {"choices": ["A"]}}], False),
    ([{"from_name": "n", "type": "number", "value": {"number": 0}}], False),
    ([{"from_name": "r", "type": "rectangle", "value": {"x": 0, "y": 0, "width": 5, "height": 5}}], False),
    ([{"from_name": "n", "type": "textarea", "value": {"text": []}}, {"type": "rating", "value": {"rating": 3}}], False),
])
def test_is_empty(result, empty):
    assert is_empty(result) is empty


# --- several problems at once --------------------------------------------------------------------------------------------

def test_every_problem_is_reported():
    xml = NER.replace("</View>", '<Choices name="sentiment" toName="text" required="true"><Choice value="Positive"/>'
                                 '</Choices><Rating name="stars" toName="text"/></View>')
    result = [span(0, 5, "LOC"), span(3, 99), item("nope", "text", "choices", {}), "junk",
              item("stars", "text", "rating", {"rating": 9})]
    assert errors(xml, result) == [
        'Result 1 ("label"): "LOC" is not a label of "label" (labels: PER, ORG)',
        'Result 2 ("label"): the span 3–99 is outside the text (29 characters)',
        'Result 3 ("nope"): from_name "nope" names no control of the labeling configuration (label, sentiment, stars)',
        'Result 4: must be an object with from_name, to_name, type and value, not "junk"',
        'Result 5 ("stars"): value.rating must be a whole number from 1 to 5, not 9',
        '"sentiment" is required',
    ]


def test_one_item_reports_all_its_shape_problems():
    assert errors(SENTIMENT, [item("sentiment", "image", "labels", None, id=1)]) == [
        'Result 1 ("sentiment"): id must be a string, not 1',
        'Result 1 ("sentiment"): to_name "image" is not what "sentiment" labels (expected text)',
        'Result 1 ("sentiment"): type "labels" does not match "sentiment", which stores "choices"',
        'Result 1 ("sentiment"): value must be an object, not null',
    ]
