"""What each tag of a labeling configuration is, and which attributes it accepts."""
import re
from dataclasses import dataclass

# Harmless presentational attributes every tag may carry.
PRESENTATIONAL = frozenset({"style", "className", "showInline"})
# Visibility and validation attributes every control (and View) may carry.
CONDITIONAL = frozenset({"visibleWhen", "whenTagName", "whenLabelValue", "whenChoiceValue", "whenRole"})
COMMON_CONTROL = frozenset({"name", "toName", "required", "requiredMessage", "perRegion", "perItem", "hotkey", "smart",
                            "smartOnly", "hint"}) | CONDITIONAL
REGION_STYLE = frozenset({"opacity", "fillColor", "strokeColor", "strokeWidth", "fillOpacity", "canRotate"})
TEXT_OBJECT = frozenset({"name", "value", "valueType", "saveTextResult", "encoding", "selectionEnabled", "clickableLinks",
                         "highlightColor", "showLabels", "granularity", "inline"})


@dataclass(frozen=True)
class TagSpec:
    """One tag: its kind ("layout", "object", "control" or "item"), allowed and required attributes."""

    kind: str
    allowed: frozenset
    required: tuple = ()
    # Controls that take children: the child tag they accept.
    items: str | None = None


TAGS = {
    "View": TagSpec("layout", frozenset({"display", "idAttr"}) | CONDITIONAL),
    "Header": TagSpec("layout", frozenset({"value", "size", "underline"})),
    "Style": TagSpec("layout", frozenset()),
    "Text": TagSpec("object", TEXT_OBJECT, ("name", "value")),
    "HyperText": TagSpec("object", TEXT_OBJECT, ("name", "value")),
    "Image": TagSpec("object", frozenset({
        "name", "value", "valueList", "width", "height", "maxWidth", "maxHeight", "zoom", "negativeZoom", "zoomBy", "grid",
        "gridSize", "gridColor", "zoomControl", "brightnessControl", "contrastControl", "rotateControl", "crosshair",
        "horizontalAlignment", "verticalAlignment", "defaultZoom", "crossOrigin", "smoothing"}), ("name", "value")),
    "Audio": TagSpec("object", frozenset({
        "name", "value", "hotkey", "speed", "defaultSpeed", "defaultScale", "defaultZoom", "defaultVolume", "volume", "zoom",
        "sync", "height", "waveHeight", "splitchannels", "cursorWidth", "cursorColor", "spectrogram", "muted"}),
        ("name", "value")),
    "Choices": TagSpec("control", COMMON_CONTROL | {"choice", "value", "allowNested", "layout", "selection"},
                       ("name", "toName"), items="Choice"),
    "Labels": TagSpec("control", COMMON_CONTROL | REGION_STYLE | {"choice", "maxUsages", "value"},
                      ("name", "toName"), items="Label"),
    "RectangleLabels": TagSpec("control", COMMON_CONTROL | REGION_STYLE | {"choice", "maxUsages", "value"},
                               ("name", "toName"), items="Label"),
    "Rectangle": TagSpec("control", COMMON_CONTROL | REGION_STYLE, ("name", "toName")),
    "TextArea": TagSpec("control", COMMON_CONTROL | {
        "value", "label", "placeholder", "maxSubmissions", "editable", "transcription", "displayMode", "rows",
        "showSubmitButton", "skipDuplicates"}, ("name", "toName")),
    "Rating": TagSpec("control", COMMON_CONTROL | {"maxRating", "icon", "size", "defaultValue"}, ("name", "toName")),
    "Number": TagSpec("control", COMMON_CONTROL | {"min", "max", "step", "defaultValue", "slider"}, ("name", "toName")),
    "DateTime": TagSpec("control", COMMON_CONTROL | {"only", "format", "min", "max"}, ("name", "toName")),
    "Taxonomy": TagSpec("control", COMMON_CONTROL | {
        "leafsOnly", "showFullPath", "pathSeparator", "maxUsages", "maxWidth", "minWidth", "placeholder", "legacy",
        "value"}, ("name", "toName"), items="Choice"),
    "Choice": TagSpec("item", frozenset({"value", "selected", "alias", "hint", "hotkey", "html", "background",
                                         "selectedColor"}), ("value",)),
    "Label": TagSpec("item", frozenset({"value", "selected", "maxUsages", "hint", "hotkey", "alias", "showAlias",
                                        "aliasStyle", "size", "background", "selectedColor", "granularity",
                                        "groupCancontain", "category"}), ("value",)),
}

# Controls that only make sense on some objects; the rest go on any object.
COMPATIBLE = {
    "Labels": ("Text", "HyperText"),
    "RectangleLabels": ("Image",),
    "Rectangle": ("Image",),
}

CHOICE_MODES = ("single", "single-radio", "multiple")
LABEL_MODES = ("single", "multiple")
DATETIME_ONLY = ("date", "time", "date,time", "month", "year")
VISIBLE_WHEN = ("region-selected", "no-region-selected", "choice-selected", "choice-unselected")
RATING_ICONS = ("star", "heart", "fire", "smile")
RATING_SIZES = ("small", "medium", "large")
GRANULARITIES = ("symbol", "word", "sentence", "paragraph")
BOOLEAN_ATTRS = frozenset({"required", "perRegion", "perItem", "showInline", "editable", "leafsOnly", "showFullPath",
                           "selected", "smart", "smartOnly", "allowNested", "skipDuplicates", "showSubmitButton",
                           "transcription", "selectionEnabled", "clickableLinks", "saveTextResult", "inline"})
COLOUR_ATTRS = frozenset({"background", "selectedColor", "fillColor", "strokeColor", "highlightColor", "gridColor",
                          "cursorColor"})

# A $variable is the whole value: "$text", "$image_url".
VARIABLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC = re.compile(r"^(?:rgb|rgba|hsl|hsla)\(\s*[0-9.%]+(?:\s*[,\s/]\s*[0-9.%]+){2,3}\s*\)$")
NAMED_COLOURS = frozenset("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown burlywood cadetblue
chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey
darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray
darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen
fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen
lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime
limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive
olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver
skyblue slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
whitesmoke yellow yellowgreen transparent
""".split())


def is_colour(value):
    """Whether ``value`` is a CSS colour we pass through: hex, rgb()/hsl() or a named colour."""
    value = value.strip()
    return bool(_HEX.match(value) or _FUNC.match(value.lower()) or value.lower() in NAMED_COLOURS)
