"""HTML pages and fragments, and the XHTML chapters of e-books: text translated, markup kept.

Parsed with lxml's HTML parser (libxml2's: it knows no entity declarations, so no entity
expansion) or, for XHTML, with the hardened XML parser; written back with every tag and attribute
in place. Inline elements (links, bold, italic, spans) stay inside their sentence (mixed.py);
code, preformatted text, scripts and styles are not translated; alt and title attributes are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.entities import name2codepoint

import lxml.html
from lxml import etree

from backend.documents.archive import parse_xml, serialize_xml
from backend.documents.blocks import Block
from backend.documents.detect import decode_text
from backend.documents.errors import CorruptDocument
from backend.documents.mixed import Rules, Slot, collect, localname, read_blocks, write_blocks

INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "br",
        "cite",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "img",
        "ins",
        "label",
        "mark",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "wbr",
    ]
)
SKIPPED = frozenset(
    [
        "script",
        "style",
        "code",
        "pre",
        "kbd",
        "samp",
        "var",
        "template",
        "svg",
        "math",
        "textarea",
        "noscript",
        "iframe",
        "object",
    ]
)
TRANSLATED_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
_NAMED_REFERENCE = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_WHOLE_PAGE = re.compile(rb"<html[\s>]|<body[\s>]|<!doctype", re.IGNORECASE)


def _attributes(element: etree._Element) -> tuple[str, ...]:
    return TRANSLATED_ATTRIBUTES


RULES = Rules(
    is_block=lambda element: localname(element) not in INLINE,
    is_skipped=lambda element: localname(element) in SKIPPED,
    attributes=_attributes,
)


@dataclass
class _State:
    root: etree._Element
    slots: list[list[Slot]]
    doctype: str
    fragment: bool
    xhtml: bool


def extract(data: bytes, *, xhtml: bool = False) -> tuple[list[Block], _State]:
    """Parse an HTML page or fragment (or an XHTML document) into blocks of runs."""
    if xhtml:
        root = parse_xml(numeric_entities(data), "chapter")
        return _state(root, doctype="", fragment=False, xhtml=True)
    # Parsed as UTF-8 bytes with the encoding stated, so an XML declaration or a meta charset
    # naming another encoding cannot make the parser decode the text differently.
    utf8 = decode_text(data).encode()
    parser = lxml.html.HTMLParser(encoding="utf-8")
    fragment = _WHOLE_PAGE.search(data[:4096]) is None
    try:
        if fragment:
            root = lxml.html.fragment_fromstring(utf8, create_parent="div", parser=parser)
            return _state(root, doctype="", fragment=True, xhtml=False)
        tree = lxml.html.document_fromstring(utf8, parser=parser).getroottree()
    except (etree.ParserError, ValueError) as error:
        raise CorruptDocument(f"the HTML cannot be parsed ({error})") from None
    _declare_utf8(tree.getroot())
    return _state(tree.getroot(), doctype=tree.docinfo.doctype, fragment=False, xhtml=False)


def rebuild(state: _State, translated: list[Block]) -> bytes:
    """Write the translated runs back and serialize the page as UTF-8."""
    write_blocks(state.slots, translated)
    if state.xhtml:
        return serialize_xml(state.root)
    if state.fragment:
        inner = [lxml.html.tostring(child, encoding="unicode") for child in state.root]
        return ((state.root.text or "") + "".join(inner)).encode()
    body = lxml.html.tostring(state.root, encoding="unicode", doctype=state.doctype or None)
    return body.encode()


def _state(root: etree._Element, **fields: object) -> tuple[list[Block], _State]:
    slots = collect(root, RULES)
    return read_blocks(slots), _State(root=root, slots=slots, **fields)  # type: ignore[arg-type]


def numeric_entities(data: bytes) -> bytes:
    """Replace HTML's named character references (&nbsp;) by numeric ones XML knows without a DTD.

    XHTML chapters use the names the XHTML DTD defines, which is never loaded here.
    """

    def numeric(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode("ascii")
        if name in _XML_ENTITIES or name not in name2codepoint:
            return match.group(0)
        return f"&#{name2codepoint[name]};".encode()

    return _NAMED_REFERENCE.sub(numeric, data)


def _declare_utf8(root: etree._Element) -> None:
    """Make the page's own charset declaration say UTF-8, the encoding it is written in."""
    for meta in root.iter("meta"):
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")
