"""Server-side preview: every template renders, task data stays inert, HyperText is sanitised."""
import re

import pytest
from markupsafe import Markup

from app.labeling_config import TEMPLATES, parse_config, render_preview
from app.labeling_config.preview import safe_style, safe_url

ATTACK = '<script>alert(1)</script><b hx-get="/x">bold</b>'


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _render(xml, data):
    return str(render_preview(parse_config(xml), data))


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.key for t in TEMPLATES])
def test_every_template_renders_with_its_sample_task(ctx, template):
    html = render_preview(parse_config(template.config_xml), template.sample_task)
    assert isinstance(html, Markup)
    cfg = parse_config(template.config_xml)
    for name, kind in cfg.control_types().items():
        assert f'data-control="{name}" data-type="{kind}"' in html
    assert "<script" not in html
    assert 'class="lsf-view' in html


def test_renders_inside_a_request_too(app):
    template = TEMPLATES[0]
    with app.test_request_context("/"):
        assert "lsf-choices" in render_preview(parse_config(template.config_xml), template.sample_task)


def test_text_data_is_escaped_inside_hx_disable(ctx):
    html = _render('<View><Header value="$title"/><Text name="t" value="$text"/></View>', {"text": ATTACK, "title": ATTACK})
    assert "<script" not in html and "<b " not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    text_div = re.search(r'<div class="lsf-object lsf-text lsf-richtext"[^>]*>(.*?)</div>', html, re.S)
    assert "hx-disable" in text_div.group(0)
    assert "&lt;b hx-get=&#34;/x&#34;&gt;" in text_div.group(1)
    assert re.search(r"<h3[^>]*hx-disable[^>]*>&lt;script", html)


def test_hypertext_is_sanitised(ctx):
    html = _render('<View><HyperText name="h" value="$html"/></View>',
                   {"html": ATTACK + '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">go</a>'})
    block = re.search(r'<div class="lsf-object lsf-hypertext"[^>]*hx-disable>(.*?)</div>', html, re.S).group(1)
    assert "<b>bold</b>" in block
    for bad in ("<script", "alert(1)", "hx-get", "onerror", "javascript:"):
        assert bad not in block


def test_choice_and_label_values_from_the_config_are_escaped(ctx):
    xml = ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="&quot;&gt;&lt;script&gt;"/>'
           '</Choices><Labels name="l" toName="t"><Label value="&lt;i&gt;x"/></Labels></View>')
    html = _render(xml, {"t": "x"})
    assert "<script" not in html and "<i>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;"' in html


def test_non_string_data_and_missing_keys(ctx):
    html = _render('<View><Text name="a" value="$a"/><Text name="b" value="$b"/></View>', {"a": {"k": [1, "<x>"]}})
    assert "{&#34;k&#34;: [1, &#34;&lt;x&gt;&#34;]}" in html


@pytest.mark.parametrize("src,shown", [("https://example.com/a.png", True), ("/data/upload/a.png", True),
                                       ("data:image/png;base64,AAAA", True), ("javascript:alert(1)", False),
                                       ("java\tscript:alert(1)", False), ("data:text/html,<script>", False),
                                       ("file:///etc/passwd", False), (42, False)])
def test_image_sources_are_filtered(ctx, src, shown):
    html = _render('<View><Image name="i" value="$img"/></View>', {"img": src})
    assert ("<img src=" in html) is shown
    if not shown:
        assert "No image to show" in html


def test_audio_source_needs_an_audio_data_url(ctx):
    xml = '<View><Audio name="a" value="$a"/></View>'
    assert "<audio controls" in _render(xml, {"a": "data:audio/wav;base64,AAAA"})
    assert "<audio" not in _render(xml, {"a": "data:image/png;base64,AAAA"})


def test_inline_styles_keep_only_simple_declarations(ctx):
    html = _render('<View style="display: flex; background: url(http://x/y.png); color: rgb(1,2,3); '
                   'width: expression(alert(1)); x&quot;y: 1"><Text name="t" value="$t"/></View>', {"t": "x"})
    assert 'style="display: flex; color: rgb(1,2,3)"' in html
    assert safe_style("background:url(x)") is None
    assert safe_style("color: red; font-size: 12px") == "color: red; font-size: 12px"


def test_style_tag_is_kept_only_when_harmless(ctx):
    safe = _render("<View><Style>.lsf-text > p { color: red }</Style><Text name='t' value='$t'/></View>", {"t": "x"})
    assert "<style>.lsf-text > p { color: red }</style>" in safe
    for bad in ("@import 'x.css';", "body { background: url(x) }", ".a { b: c }&lt;/style&gt;&lt;script&gt;",
                ".a { background: u\\72l(x) }"):
        html = _render(f"<View><Style>{bad}</Style><Text name='t' value='$t'/></View>", {"t": "x"})
        assert "<style>" not in html


def test_controls_render_their_inputs(ctx):
    xml = """<View><Text name="t" value="$t"/>
      <Choices name="multi" toName="t" choice="multiple"><Choice value="A"/><Choice value="B" selected="true"/></Choices>
      <Labels name="lab" toName="t"><Label value="X" background="#123456" hotkey="x"/><Label value="Y"/></Labels>
      <TextArea name="ta" toName="t" rows="5" placeholder="Write"/>
      <Rating name="r" toName="t" maxRating="3"/>
      <Number name="n" toName="t" min="1" max="9" step="2"/>
      <DateTime name="dt" toName="t" only="date,time"/>
      <Taxonomy name="tax" toName="t"><Choice value="A"><Choice value="A1"/></Choice></Taxonomy>
    </View>"""
    html = _render(xml, {"t": "x"})
    assert html.count('type="checkbox" name="multi"') == 2 and 'value="B" checked' in html
    assert ('<button type="button" class="lsf-label lsf-label_clickable" data-value="X" '
            'style="--label-color: #123456" data-hotkey="x">') in html
    assert 'data-value="Y" style="--label-color: #' in html
    assert '<textarea name="ta" rows="5"' in html and 'placeholder="Write"' in html
    assert html.count('type="radio" name="r"') == 3
    assert 'type="number" name="n" aria-label="n" step="2" min="1" max="9"' in html
    assert 'type="datetime-local" name="dt"' in html
    assert "<details><summary>" in html and 'value="[&#34;A&#34;, &#34;A1&#34;]"' in html
    for name in ("multi", "lab", "ta", "r", "n", "dt", "tax"):
        assert f'data-control="{name}"' in html and 'data-to-name="t"' in html


def test_dynamic_choices_come_from_task_data_escaped(ctx):
    html = _render('<View><Text name="t" value="$t"/><Choices name="c" toName="t" value="$opts"/></View>',
                   {"t": "x", "opts": ["<b>one</b>", {"value": "two"}]})
    assert 'value="&lt;b&gt;one&lt;/b&gt;"' in html and 'value="two"' in html
    assert re.search(r'<fieldset[^>]*data-control="c"[^>]*hx-disable', html)


def test_visibility_rules_become_data_attributes(ctx):
    xml = ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="Yes"/></Choices>'
           '<View visibleWhen="choice-selected" whenTagName="c" whenChoiceValue="Yes"><TextArea name="w" toName="t"/>'
           "</View></View>")
    html = _render(xml, {"t": "x"})
    assert 'data-visible-when="choice-selected"' in html and 'data-when-tag-name="c"' in html


def test_safe_url_helper():
    assert safe_url(" https://x/y ", "image") == "https://x/y"
    assert safe_url("vbscript:x", "image") is None
    assert safe_url("images/a.png", "image") == "images/a.png"
