"""OpenDocument text, presentations and spreadsheets (.odt, .odp, .ods) on their XML.

The body (content.xml) is translated, and for text documents the headers and footers of the
master pages (styles.xml); every other entry of the package (pictures, embedded objects,
thumbnails, the manifest) is copied byte for byte. Paragraphs and headings (``text:p``,
``text:h``) are the blocks, wherever they are: list items, table cells, frames, text boxes,
footnote bodies, speaker notes. Spans and links are inline runs. Footnote numbers, fields,
annotations (comments) and spreadsheet cells that hold numbers, dates or formulas are skipped.
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
)
from backend.documents.blocks import Block
from backend.documents.errors import ProtectedDocument
from backend.documents.mixed import Rules, Slot, collect, read_blocks, write_blocks

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

BLOCKS = frozenset({f"{{{TEXT}}}p", f"{{{TEXT}}}h"})
#: Not the author's prose: generated numbers, fields, tracked deletions and comments.
SKIPPED = frozenset(
    f"{{{TEXT}}}{name}"
    for name in (
        "note-citation",
        "page-number",
        "page-count",
        "date",
        "time",
        "sequence",
        "tracked-changes",
        "bookmark-ref",
    )
) | {f"{{{OFFICE}}}annotation", f"{{{OFFICE}}}annotation-end"}


def _skipped(element: etree._Element) -> bool:
    if element.tag in SKIPPED:
        return True
    if element.tag == f"{{{TABLE}}}table-cell":
        kind = element.get(f"{{{OFFICE}}}value-type")
        return element.get(f"{{{TABLE}}}formula") is not None or kind not in (None, "string")
    return False


RULES = Rules(is_block=lambda element: element.tag in BLOCKS, is_skipped=_skipped)


@dataclass
class _State:
    archive: Any
    parts: dict[str, etree._Element]
    slots: list[list[Slot]]


def extract(data: bytes, kind: str, limits: Limits) -> tuple[list[Block], _State]:
    """Read an .odt, .odp or .ods package's text into blocks of runs."""
    archive = open_zip(data, limits)
    manifest = parse_xml(read_entry(archive, "META-INF/manifest.xml"), "META-INF/manifest.xml")
    if manifest.find(f".//{{{MANIFEST}}}encryption-data") is not None:
        raise ProtectedDocument("the file is encrypted with a password; remove it and retry")
    parts = {"content.xml": parse_xml(read_entry(archive, "content.xml"), "content.xml")}
    roots = [parts["content.xml"].find(f"{{{OFFICE}}}body")]
    if kind == "odt" and "styles.xml" in archive.namelist():
        parts["styles.xml"] = parse_xml(read_entry(archive, "styles.xml"), "styles.xml")
        roots.append(parts["styles.xml"].find(f"{{{OFFICE}}}master-styles"))
    slots = [block for root in roots if root is not None for block in collect(root, RULES)]
    return read_blocks(slots), _State(archive, parts, slots)


def rebuild(state: _State, translated: list[Block]) -> bytes:
    """Write the translated runs back and repack, the mimetype entry first and stored."""
    write_blocks(state.slots, translated)
    return rewrite_zip(
        state.archive, {name: serialize_xml(root) for name, root in state.parts.items()}
    )
