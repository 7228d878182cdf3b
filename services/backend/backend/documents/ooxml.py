"""Word, PowerPoint and Excel files (Office Open XML): translate the text parts, copy the rest.

Only the parts that hold the document's own text are parsed and written back: Word's body,
headers, footers, footnotes and endnotes; PowerPoint's slides, notes and SmartArt text; Excel's
shared strings and inline strings. Every other entry (images, charts, embedded objects, styles,
macro-free everything) is copied byte for byte, which python-docx, python-pptx and openpyxl
cannot promise, since they re-serialize what they load and drop what they do not model
(openpyxl's documentation: shapes and some charts are lost on save); the tests build and reopen
every fixture with those libraries.

In each paragraph (``w:p``, ``a:p``, ``si``) the text elements are grouped into runs of one
formatting (the run's properties and its hyperlink), so the block is translated as one sentence
and the inline mapping (inline.py) puts the words back on the bold, italic and linked runs.
Excel cells that hold numbers, dates or formulas are not in those parts and stay untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from backend.documents.archive import (
    Limits,
    open_zip,
    parse_xml,
    read_entry,
    rewrite_zip,
    serialize_xml,
    xml_text,
)
from backend.documents.blocks import Block

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_OFFICE = "application/vnd.openxmlformats-officedocument."
#: Elements that mark positions (spelling errors, bookmarks, page breaks) and carry no content.
_MARKERS = frozenset(
    f"{{{W}}}{name}"
    for name in ("proofErr", "bookmarkStart", "bookmarkEnd", "lastRenderedPageBreak", "noProof")
)


@dataclass(frozen=True)
class Flavour:
    """Where one OOXML format keeps its text and how its paragraphs and runs are spelled."""

    content_types: frozenset[str]
    paragraphs: frozenset[str]
    text: str
    run: str
    properties: str
    #: Subtrees whose text is not the document's (Excel's phonetic guides).
    skipped: frozenset[str] = frozenset()
    #: Word and Excel drop leading and trailing spaces unless xml:space="preserve".
    preserve_space: bool = True


FLAVOURS = {
    "docx": Flavour(
        content_types=frozenset(
            _OFFICE + f"wordprocessingml.{kind}+xml"
            for kind in ("document.main", "header", "footer", "footnotes", "endnotes")
        ),
        paragraphs=frozenset({f"{{{W}}}p"}),
        text=f"{{{W}}}t",
        run=f"{{{W}}}r",
        properties=f"{{{W}}}rPr",
    ),
    "pptx": Flavour(
        content_types=frozenset(
            {
                _OFFICE + "presentationml.slide+xml",
                _OFFICE + "presentationml.notesSlide+xml",
                _OFFICE + "drawingml.diagramData+xml",
            }
        ),
        paragraphs=frozenset({f"{{{A}}}p"}),
        text=f"{{{A}}}t",
        run=f"{{{A}}}r",
        properties=f"{{{A}}}rPr",
        preserve_space=False,
    ),
    "xlsx": Flavour(
        content_types=frozenset(
            {_OFFICE + "spreadsheetml.sharedStrings+xml", _OFFICE + "spreadsheetml.worksheet+xml"}
        ),
        paragraphs=frozenset({f"{{{S}}}si", f"{{{S}}}is"}),
        text=f"{{{S}}}t",
        run=f"{{{S}}}r",
        properties=f"{{{S}}}rPr",
        skipped=frozenset({f"{{{S}}}rPh"}),
    ),
}


@dataclass
class _State:
    archive: Any
    flavour: Flavour
    parts: dict[str, etree._Element]
    #: Per block, its runs; per run, the text elements it spans (the first gets the text).
    runs: list[list[list[etree._Element]]]


def text_parts(archive: Any, flavour: Flavour) -> list[str]:
    """Return the zip entry names of the parts that hold text, from [Content_Types].xml."""
    types = parse_xml(read_entry(archive, "[Content_Types].xml"), "[Content_Types].xml")
    names = {entry.filename for entry in archive.infolist()}
    wanted = [
        override.get("PartName", "").lstrip("/")
        for override in types.iter(f"{{{CT}}}Override")
        if override.get("ContentType") in flavour.content_types
    ]
    return [name for name in wanted if name in names]


def extract(data: bytes, kind: str, limits: Limits) -> tuple[list[Block], _State]:
    """Read the text parts of a docx, pptx or xlsx file into blocks of runs."""
    flavour = FLAVOURS[kind]
    archive = open_zip(data, limits)
    parts = {
        name: parse_xml(read_entry(archive, name), name) for name in text_parts(archive, flavour)
    }
    blocks: list[Block] = []
    runs: list[list[list[etree._Element]]] = []
    for root in parts.values():
        for grouped in _paragraph_runs(root, flavour):
            runs.append(grouped)
            blocks.append(["".join(element.text or "" for element in run) for run in grouped])
    return blocks, _State(archive, flavour, parts, runs)


def rebuild(state: _State, translated: list[Block]) -> bytes:
    """Write the translated runs into their parts and repack the file."""
    for grouped, texts in zip(state.runs, translated, strict=True):
        for run, text in zip(grouped, texts, strict=True):
            first, *rest = run
            first.text = xml_text(text)
            if state.flavour.preserve_space:
                first.set(XML_SPACE, "preserve")
            for element in rest:
                element.text = ""
    replaced = {name: serialize_xml(root) for name, root in state.parts.items()}
    return rewrite_zip(state.archive, replaced)


def _paragraph_runs(root: etree._Element, flavour: Flavour) -> list[list[list[etree._Element]]]:
    """Group each paragraph's own text elements into runs of one formatting, in order."""
    paragraphs: dict[etree._Element, list[tuple[etree._Element, etree._Element | None]]] = {}
    for element in root.iter(flavour.text):
        paragraph, run = _owners(element, flavour)
        if paragraph is not None:
            paragraphs.setdefault(paragraph, []).append((element, run))
    grouped_all = []
    for texts in paragraphs.values():
        grouped: list[list[etree._Element]] = []
        previous_key: object = object()
        previous_run: etree._Element | None = None
        for element, run in texts:
            key = _format_key(run, flavour)
            # Runs of one formatting merge only when they are next to each other and hold text
            # alone: merging across a tab, a break, an image or a text box would move the words.
            if key == previous_key and _adjacent(previous_run, run, flavour):
                grouped[-1].append(element)
            else:
                grouped.append([element])
            previous_key, previous_run = key, run
        grouped_all.append(grouped)
    return grouped_all


def _adjacent(
    previous: etree._Element | None, run: etree._Element | None, flavour: Flavour
) -> bool:
    """Return whether two runs follow each other directly and carry nothing but text."""
    if previous is None or run is None or previous is run:
        return False
    between = previous.getnext()
    while between is not None and between.tag in _MARKERS:
        between = between.getnext()
    if between is not run:
        return False
    allowed = {flavour.text, flavour.properties} | _MARKERS
    return all(child.tag in allowed for r in (previous, run) for child in r)


def _owners(
    element: etree._Element, flavour: Flavour
) -> tuple[etree._Element | None, etree._Element | None]:
    """Return the nearest paragraph and run around a text element (None: skipped subtree)."""
    run = None
    node = element.getparent()
    while node is not None:
        if node.tag in flavour.skipped:
            return None, None
        if run is None and node.tag == flavour.run:
            run = node
        if node.tag in flavour.paragraphs:
            return node, run
        node = node.getparent()
    return None, None


def _format_key(run: etree._Element | None, flavour: Flavour) -> tuple[bytes, bytes]:
    """Return what makes a run look the way it does: its properties and its hyperlink."""
    if run is None:
        return b"", b""
    properties = run.find(flavour.properties)
    link = run.getparent()
    link_key = b""
    if link is not None and link.tag == f"{{{W}}}hyperlink":
        link_key = repr(sorted(link.attrib.items())).encode()
    props = b"" if properties is None else etree.tostring(properties, method="c14n")
    return props, link_key
