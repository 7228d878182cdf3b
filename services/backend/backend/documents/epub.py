"""E-books (.epub): every XHTML document of the package translated as HTML, the rest copied.

The package document named by META-INF/container.xml lists the content documents
(``application/xhtml+xml``: chapters and the navigation document); each is translated with the
HTML rules (html.py). Images, fonts, style sheets and the package metadata are copied byte for
byte, and the ``mimetype`` entry stays first and stored, as readers require.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from backend.documents import html
from backend.documents.archive import Limits, open_zip, parse_xml, read_entry, rewrite_zip
from backend.documents.blocks import Block
from backend.documents.errors import CorruptDocument

CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
OPF = "http://www.idpf.org/2007/opf"


@dataclass
class _State:
    archive: Any
    chapters: list[tuple[str, Any, int]]  # entry name, html state, how many blocks


def extract(data: bytes, limits: Limits) -> tuple[list[Block], _State]:
    """Read every XHTML content document of the book into blocks."""
    archive = open_zip(data, limits)
    blocks: list[Block] = []
    chapters = []
    for name in content_documents(archive):
        chapter_blocks, state = html.extract(read_entry(archive, name), xhtml=True)
        chapters.append((name, state, len(chapter_blocks)))
        blocks.extend(chapter_blocks)
    return blocks, _State(archive, chapters)


def rebuild(state: _State, translated: list[Block]) -> bytes:
    """Write each chapter back and repack the book."""
    replaced = {}
    start = 0
    for name, chapter, count in state.chapters:
        replaced[name] = html.rebuild(chapter, translated[start : start + count])
        start += count
    return rewrite_zip(state.archive, replaced)


def content_documents(archive: Any) -> list[str]:
    """Return the entry names of the book's XHTML documents, from its package document."""
    container = parse_xml(read_entry(archive, "META-INF/container.xml"), "container.xml")
    rootfile = container.find(f".//{{{CONTAINER}}}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise CorruptDocument("the e-book's container.xml names no package document")
    package_name = rootfile.get("full-path", "")
    package = parse_xml(read_entry(archive, package_name), package_name)
    folder = posixpath.dirname(package_name)
    names = set(archive.namelist())
    documents = []
    for item in package.iter(f"{{{OPF}}}item"):
        if item.get("media-type") == "application/xhtml+xml" and item.get("href"):
            name = posixpath.normpath(posixpath.join(folder, item.get("href", "")))
            if name in names:
                documents.append(name)
    return documents
