"""Server-side rendering of a configuration's interface for one task."""
import json
import re

import nh3
from flask import current_app
from markupsafe import Markup

from .tags import VARIABLE, is_colour

TEMPLATE = "labeling/_interface.html"
# Label Studio's look: labels without a background get the next colour of a fixed palette.
PALETTE = ("#e07a5f", "#3d405b", "#81b29a", "#f2cc8f", "#6d597a", "#b56576", "#457b9d", "#e9c46a", "#2a9d8f", "#f4a261")
RATING_ICONS = {"star": "★", "heart": "♥", "fire": "🔥", "smile": "☺"}
DATETIME_INPUTS = {"date": "date", "time": "time", "date,time": "datetime-local", "month": "month", "year": "number"}
_CSS_PROPERTY = re.compile(r"^-?[a-zA-Z][a-zA-Z-]*$")
_CSS_VALUE = re.compile(r"^[#\w\s.,%+\-/()!]+$")
_CSS_FUNCTION = re.compile(r"([a-zA-Z-]+)\s*\(")
_CSS_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "minmax", "repeat", "clamp"}
# Anything that can fetch, escape the <style> element or smuggle either in through CSS escapes.
_UNSAFE_CSS = re.compile(r"<|@import|url\s*\(|expression\s*\(|image-set\s*\(|\\|javascript:|behavior\s*:|-moz-binding", re.I)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_CLASS_TOKEN = re.compile(r"^[A-Za-z_][\w-]*$")


def safe_style(style):
    """Keep only simple ``property: value`` declarations of an inline style; None when nothing survives."""
    kept = []
    for declaration in (style or "").split(";"):
        prop, sep, value = declaration.partition(":")
        prop, value = prop.strip(), value.strip()
        if not sep or not _CSS_PROPERTY.match(prop) or not _CSS_VALUE.match(value) or _UNSAFE_CSS.search(value):
            continue
        if any(name.lower() not in _CSS_FUNCTIONS for name in _CSS_FUNCTION.findall(value)):
            continue
        kept.append(f"{prop.lower()}: {value}")
    return "; ".join(kept) or None


def safe_stylesheet(css):
    """The text of a <Style> tag, or None when it could load anything or break out of <style>."""
    css = (css or "").strip()
    return Markup(css) if css and not _UNSAFE_CSS.search(css) else None  # noqa: S704  (checked just above)


def safe_url(value, media):
    """``value`` when it is an http(s), relative or data:<media>/ URL; None otherwise (javascript:, file:...)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    # Browsers drop tabs and newlines inside URLs, which would let "java\tscript:" past the scheme check.
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url
    name = scheme.group(1).lower()
    if name in ("http", "https") or (name == "data" and url[5:].lower().startswith(media + "/")):
        return url
    return None


def as_text(value):
    """Task data as display text: strings as they are, structures as JSON, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Builder:
    """Turns the config's node tree plus task data into plain dicts the template renders (escaping is Jinja's)."""

    def __init__(self, cfg, task_data):
        self.cfg = cfg
        self.data = task_data or {}
        self.colour = 0

    def lookup(self, value):
        """Task data for "$var", or the static value itself; (text, came_from_data)."""
        match = VARIABLE.match(value or "")
        if match:
            return as_text(self.data.get(match.group(1))), True
        return value or "", False

    def raw(self, value):
        """Task data for "$var" as stored (URLs must be strings, not numbers turned into relative paths)."""
        match = VARIABLE.match(value or "")
        return self.data.get(match.group(1)) if match else value

    def build(self, node):
        method = getattr(self, f"build_{node.tag.lower()}", None)
        return method(node) if method else None

    def children(self, node):
        return [built for built in (self.build(child) for child in node.children) if built is not None]

    def build_view(self, node):
        classes = [token for token in node.attrs.get("className", "").split() if _CLASS_TOKEN.match(token)]
        # <View idAttr="x"> becomes id="x" (plugins address their slot by it); only plain tokens are kept.
        id_attr = node.attrs.get("idAttr", "").strip()
        return {"kind": "view", "style": safe_style(node.attrs.get("style")), "classes": " ".join(classes),
                "id": id_attr if _CLASS_TOKEN.match(id_attr) else None,
                "conditions": _conditions(node), "children": self.children(node)}

    def build_header(self, node):
        text, from_data = self.lookup(node.attrs["value"]) if "value" in node.attrs else (node.text.strip(), False)
        return {"kind": "header", "text": text, "from_data": from_data}

    def build_style(self, node):
        css = safe_stylesheet(node.text)
        return {"kind": "style", "css": css} if css else None

    def build_text(self, node):
        text, _ = self.lookup(node.attrs["value"])
        return {"kind": "text", "name": node.attrs["name"], "text": text, "granularity": node.attrs.get("granularity")}

    def build_hypertext(self, node):
        html, _ = self.lookup(node.attrs["value"])
        return {"kind": "hypertext", "name": node.attrs["name"], "html": Markup(nh3.clean(html))}  # noqa: S704

    def build_image(self, node):
        return {"kind": "image", "name": node.attrs["name"], "src": safe_url(self.raw(node.attrs["value"]), "image")}

    def build_audio(self, node):
        return {"kind": "audio", "name": node.attrs["name"], "src": safe_url(self.raw(node.attrs["value"]), "audio")}

    def control(self, node, **extra):
        control = self.cfg.controls[node.attrs["name"]]
        return {"kind": control.result_type, "name": control.name, "type": control.result_type,
                "to_name": ",".join(control.to_name), "required": _true(node, "required"),
                "per_region": _true(node, "perRegion"), "conditions": _conditions(node), **extra}

    def build_choices(self, node):
        options = [{"value": c.attrs["value"], "hint": c.attrs.get("hint"), "hotkey": c.attrs.get("hotkey"),
                    "checked": _true(c, "selected")} for c in node.children]
        dynamic = "value" in node.attrs
        if dynamic:
            options = [{"value": as_text(o.get("value") if isinstance(o, dict) else o), "hint": None, "hotkey": None,
                        "checked": False} for o in _as_list(self.data.get(node.attrs["value"][1:]))]
        return self.control(node, options=options, dynamic=dynamic, inline=_true(node, "showInline"),
                            multiple=node.attrs.get("choice") == "multiple")

    def build_labels(self, node):
        labels = []
        for child in node.children:
            background = child.attrs.get("background")
            if not background or not is_colour(background):
                background = PALETTE[self.colour % len(PALETTE)]
                self.colour += 1
            labels.append({"value": child.attrs["value"], "color": background, "hotkey": child.attrs.get("hotkey"),
                           "hint": child.attrs.get("hint"), "alias": child.attrs.get("alias"),
                           "max_usages": _digits(child.attrs.get("maxUsages"))})
        return self.control(node, labels=labels, max_usages=_digits(node.attrs.get("maxUsages")))

    build_rectanglelabels = build_labels

    def build_rectangle(self, node):
        return self.control(node)

    def build_textarea(self, node):
        return self.control(node, rows=node.attrs.get("rows", "3"), placeholder=node.attrs.get("placeholder"),
                            value=node.attrs.get("value", ""), max_submissions=_digits(node.attrs.get("maxSubmissions")))

    def build_rating(self, node):
        return self.control(node, stars=range(1, int(node.attrs.get("maxRating", "5")) + 1),
                            icon=RATING_ICONS.get(node.attrs.get("icon", "star"), "★"), size=node.attrs.get("size", "medium"),
                            default=_digits(node.attrs.get("defaultValue")))

    def build_number(self, node):
        return self.control(node, min=node.attrs.get("min"), max=node.attrs.get("max"), step=node.attrs.get("step", "any"),
                            value=node.attrs.get("defaultValue"))

    def build_datetime(self, node):
        only = node.attrs.get("only", "date,time").replace(" ", "")
        return self.control(node, input_type=DATETIME_INPUTS[only], min=node.attrs.get("min"), max=node.attrs.get("max"))

    def build_taxonomy(self, node):
        def branch(parent, path):
            return [{"value": c.attrs["value"], "path": json.dumps([*path, c.attrs["value"]], ensure_ascii=False),
                     "children": branch(c, [*path, c.attrs["value"]])} for c in parent.children]

        return self.control(node, tree=branch(node, []), leafs_only=_true(node, "leafsOnly"))


def _true(node, attr):
    return node.attrs.get(attr, "").strip().lower() == "true"


def _digits(value):
    """A non-negative integer attribute as a string, or None when absent or not a plain number."""
    value = (value or "").strip()
    return value if value.isdigit() else None


def _as_list(value):
    return value if isinstance(value, list) else []


def _conditions(node):
    """Visibility rules, as data attributes for the page's script to apply."""
    names = {"visibleWhen": "visible-when", "whenTagName": "when-tag-name", "whenChoiceValue": "when-choice-value",
             "whenLabelValue": "when-label-value"}
    return {f"data-{names[key]}": node.attrs[key] for key in names if key in node.attrs}


def render_preview(cfg, task_data):
    """The interface of ``cfg`` filled with ``task_data``, as HTML (needs an app context)."""
    root = _Builder(cfg, task_data).build(cfg.root)
    # The jinja environment directly, not render_template: the app's context processors read the signed-in user,
    # which needs a request, and this partial uses none of what they inject.
    template = current_app.jinja_env.get_template(TEMPLATE)
    return Markup(template.render(root=root, cfg=cfg))  # noqa: S704  (autoescaped template output)
