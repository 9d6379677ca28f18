"""Safe XML parsing of a configuration into a located Node tree."""
import bisect
import re

from lxml import etree

from .model import ConfigError, ConfigInvalid, Node

MAX_BYTES = 256 * 1024
# Real configurations nest a handful of levels; the validator and the preview template recurse per level.
MAX_DEPTH = 50
# DTDs are how entity-expansion ("billion laughs") and external-entity attacks get in; configs never need one.
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.I)
_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
# In well-formed XML a "<" outside comments, CDATA and PIs starts a tag (attribute values cannot hold one).
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(?=[^\W\d])", re.S)
_LXML_LOCATION = re.compile(r",\s*line \d+, column \d+$")


def _parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True, recover=False)


def _locator(text):
    """A function turning an offset in ``text`` into (line, column), both 1-based."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def locate(offset):
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    return locate


def _fail(message, line=None, column=None):
    raise ConfigInvalid([ConfigError(message, line, column)])


def load(xml):
    """Parse ``xml`` safely into a Node tree, or raise ConfigInvalid with one located error."""
    if isinstance(xml, bytes):
        try:
            xml = xml.decode("utf-8")
        except UnicodeDecodeError:
            _fail("The configuration is not valid UTF-8")
    xml = (xml or "").removeprefix("\ufeff")
    if not xml.strip():
        _fail("The configuration is empty")
    if len(xml.encode("utf-8")) > MAX_BYTES:
        _fail(f"The configuration is larger than {MAX_BYTES // 1024} KiB")
    locate = _locator(xml)
    dtd = _DTD.search(xml)
    if dtd:
        _fail(f"<!{dtd.group(1).upper()}> is not allowed: configurations cannot declare a DTD or entities",
              *locate(dtd.start()))
    # lxml refuses str input carrying an encoding declaration; blank it out in place so locations stay right.
    xml_text = _DECLARATION.sub(lambda m: " " * len(m.group()), xml, count=1)
    try:
        element = etree.fromstring(xml_text, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = _LXML_LOCATION.sub("", exc.msg or str(exc)).strip()
        if message.startswith("Excessive depth"):
            _fail(f"Tags are nested more than {MAX_DEPTH} levels deep", line or None, column or None)
        _fail(f"The configuration is not well-formed XML: {message}", line or None, column or None)
    docinfo = element.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        _fail("A DOCTYPE is not allowed: configurations cannot declare a DTD or entities")
    elements = [el for el in element.iter() if isinstance(el.tag, str)]
    starts = [m.start() for m in _MARKUP.finditer(xml_text) if m.group() == "<"]
    located = len(starts) == len(elements)
    nodes, depths = {}, {element: 1}
    for index, el in enumerate(elements):
        # lxml's sourceline is where a multi-line start tag ends; people look for where it begins.
        line, column = locate(starts[index]) if located else (el.sourceline, None)
        node = Node(tag=el.tag, attrs=dict(el.attrib), text=el.text or "",
                    line=line, column=column)
        nodes[el] = node
        parent = el.getparent()
        if parent is not None:
            nodes[parent].children.append(node)
            depths[el] = depths[parent] + 1
            if depths[el] > MAX_DEPTH:
                _fail(f"Tags are nested more than {MAX_DEPTH} levels deep", line, column)
    return nodes[element]

