"""OpenDocument files and e-books round-trip through the real backend (tiny model).

Built with odfpy (OpenDocument) or as a plain EPUB package, translated by POST /v1/documents,
reopened: same elements in the same places, footnote numbers, numbers, dates and formulas
untouched, every non-text entry byte-identical, and no German word left.
"""

from __future__ import annotations

import io
import zipfile

from backend.documents.html import numeric_entities
from lxml import etree
from odf.opendocument import load

from testkit.documents import GERMAN_WORDS, epub_bytes, odp_bytes, ods_bytes, odt_bytes

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
XLINK = "http://www.w3.org/1999/xlink"
XHTML = "http://www.w3.org/1999/xhtml"


def assert_no_german(texts: list[str]) -> None:
    """No fixture word survives in the translated texts."""
    joined = " ".join(texts).casefold()
    assert [word for word in GERMAN_WORDS if word.casefold() in joined] == []


def part(data: bytes, name: str) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(name))


def shape(root: etree._Element) -> list[str]:
    """Return the element tags in document order: the structure, without the text."""
    return [element.tag for element in root.iter() if isinstance(element.tag, str)]


def assert_only_text_parts_changed(original: bytes, translated: bytes, parts: set[str]) -> None:
    """Entries keep their names, order and compression, and all but the text parts their bytes."""
    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(io.BytesIO(translated))
    assert after.namelist() == before.namelist()
    assert [i.compress_type for i in after.infolist()] == [
        i.compress_type for i in before.infolist()
    ]
    changed = {name for name in before.namelist() if before.read(name) != after.read(name)}
    assert changed <= parts


def paragraphs(root: etree._Element) -> list[str]:
    return ["".join(p.itertext()) for p in root.iter(f"{{{TEXT}}}p", f"{{{TEXT}}}h")]


async def test_odt_keeps_structure_spans_links_notes_and_picture(translate_doc) -> None:
    """Heading, bold span, link, nested list, table, footnote, image, header and footer."""
    original = odt_bytes()
    translated = await translate_doc("bericht.odt", original)
    before, after = part(original, "content.xml"), part(translated, "content.xml")
    assert shape(after) == shape(before)
    span = after.find(f".//{{{TEXT}}}span")
    assert span.get(f"{{{TEXT}}}style-name") == "Fett"
    assert span.text.strip()
    assert after.find(f".//{{{TEXT}}}note-citation").text == "1"
    assert after.find(f".//{{{TEXT}}}a").get(f"{{{XLINK}}}href") == "https://example.org/"
    texts = paragraphs(after)
    assert [bool(text.strip()) for text in texts] == [bool(t.strip()) for t in paragraphs(before)]
    styles = paragraphs(part(translated, "styles.xml"))
    assert len(styles) == 2
    assert all(text.strip() for text in styles)
    load(io.BytesIO(translated))  # odfpy opens it
    assert_only_text_parts_changed(original, translated, {"content.xml", "styles.xml"})
    assert_no_german(texts + styles)


async def test_odp_translates_slides_and_notes(translate_doc) -> None:
    """Text boxes on the slide and the speaker notes are translated, the layout kept."""
    original = odp_bytes()
    translated = await translate_doc("folien.odp", original)
    before, after = part(original, "content.xml"), part(translated, "content.xml")
    assert shape(after) == shape(before)
    texts = paragraphs(after)
    assert len(texts) == 3
    assert all(text.strip() for text in texts)
    assert_only_text_parts_changed(original, translated, {"content.xml"})
    assert_no_german(texts)


async def test_ods_translates_text_cells_only(translate_doc) -> None:
    """The string cell is translated; the number, date and formula cells are not."""
    original = ods_bytes()
    translated = await translate_doc("tabelle.ods", original)
    cells = list(part(translated, "content.xml").iter(f"{{{TABLE}}}table-cell"))
    shown = ["".join(cell.itertext()) for cell in cells]
    assert shown[1:] == ["42", "01.12.2026", "84"]
    assert cells[3].get(f"{{{TABLE}}}formula") == "of:=[.B1]*2"
    assert cells[1].get(f"{{{OFFICE}}}value") == "42"
    assert shown[0].strip()
    assert_no_german(shown)


async def test_epub_translates_chapters_and_keeps_the_package(translate_doc) -> None:
    """Chapter text translated, emphasis and image kept, mimetype first and stored."""
    original = epub_bytes()
    translated = await translate_doc("buch.epub", original)
    book = zipfile.ZipFile(io.BytesIO(translated))
    first = book.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert_only_text_parts_changed(original, translated, {"OEBPS/kapitel.xhtml"})
    # The chapter uses &nbsp;, which XML knows only from the XHTML DTD (never loaded).
    raw = zipfile.ZipFile(io.BytesIO(original)).read("OEBPS/kapitel.xhtml")
    before = etree.fromstring(numeric_entities(raw))
    chapter = part(translated, "OEBPS/kapitel.xhtml")
    assert shape(chapter) == shape(before)
    assert chapter.find(f".//{{{XHTML}}}em").text.strip()
    assert chapter.find(f".//{{{XHTML}}}img").get("src") == "bild.png"
    texts = [
        "".join(element.itertext()) for element in chapter.iter(f"{{{XHTML}}}h1", f"{{{XHTML}}}p")
    ]
    assert all(text.strip() for text in texts[:2])
    assert_no_german(texts)
