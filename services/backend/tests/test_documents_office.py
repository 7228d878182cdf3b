"""Word, PowerPoint and Excel files round-trip through the real backend (tiny model).

Each fixture is built with the format's own library (testkit.documents), translated by
POST /v1/documents and reopened with the same library: same structure, formatting on the same
runs, every non-text entry byte-identical, and no German word left.
"""

from __future__ import annotations

import datetime
import io
import zipfile

import docx
import openpyxl
from lxml import etree
from openpyxl.cell.rich_text import CellRichText, TextBlock
from pptx import Presentation

from testkit.documents import GERMAN_WORDS, docx_bytes, pptx_bytes, xlsx_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_PARTS = {
    "docx": ("word/document.xml", "word/header", "word/footer", "word/footnotes.xml"),
    "pptx": ("ppt/slides/slide", "ppt/notesSlides/"),
    "xlsx": ("xl/sharedStrings.xml", "xl/worksheets/"),
}


def assert_no_german(texts: list[str]) -> None:
    """No fixture word survives in the translated texts."""
    joined = " ".join(texts).casefold()
    assert [word for word in GERMAN_WORDS if word.casefold() in joined] == []


def assert_other_entries_identical(original: bytes, translated: bytes, kind: str) -> None:
    """Every entry but the text parts is byte for byte the original, in the same order."""
    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(io.BytesIO(translated))
    assert after.namelist() == before.namelist()
    changed = [
        name
        for name in before.namelist()
        if before.read(name) != after.read(name) and not name.startswith(TEXT_PARTS[kind])
    ]
    assert changed == []


def run_formats(paragraph) -> list[tuple[bool | None, bool | None]]:
    return [(run.bold, run.italic) for run in paragraph.runs]


async def test_docx_keeps_structure_runs_links_images_and_notes(translate_doc) -> None:
    """Headings, lists, table, bold/italic runs, link, image, header, footer and footnote."""
    original = docx_bytes()
    before = docx.Document(io.BytesIO(original))
    translated = await translate_doc("bericht.docx", original)
    after = docx.Document(io.BytesIO(translated))

    assert [p.style.name for p in after.paragraphs] == [p.style.name for p in before.paragraphs]
    for old, new in zip(before.paragraphs, after.paragraphs, strict=True):
        assert run_formats(new) == run_formats(old)
        assert bool(new.text.strip()) == bool(old.text.strip())
    sentence = after.paragraphs[1]
    assert [run.text.strip() != "" for run in sentence.runs] == [True] * 5
    assert sentence.runs[1].bold
    assert sentence.runs[3].italic

    link = after.paragraphs[2]._p.find(f"{W}hyperlink")
    assert link is not None
    assert "".join(link.itertext()).strip()
    link_id = link.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    assert after.part.rels[link_id].target_ref == "https://example.org/"

    cells = [cell.text for row in after.tables[0].rows for cell in row.cells]
    assert len(cells) == 4
    assert all(text.strip() for text in cells)
    header = after.sections[0].header.paragraphs[0].text
    footer = after.sections[0].footer.paragraphs[0].text
    assert header.strip()
    assert footer.strip()
    footnotes = etree.fromstring(zipfile.ZipFile(io.BytesIO(translated)).read("word/footnotes.xml"))
    footnote = "".join(footnotes.itertext())
    assert footnote.strip()
    assert after.paragraphs[-1]._p.find(f".//{W}footnoteReference").get(f"{W}id") == "1"

    assert_other_entries_identical(original, translated, "docx")
    texts = [p.text for p in after.paragraphs] + cells + [header, footer, footnote]
    assert_no_german(texts)


async def test_pptx_keeps_slides_runs_link_table_picture_and_notes(translate_doc) -> None:
    """Titles, bullets with a bold run and a link, a table, a picture and speaker notes."""
    original = pptx_bytes()
    before = Presentation(io.BytesIO(original))
    translated = await translate_doc("folien.pptx", original)
    after = Presentation(io.BytesIO(translated))

    assert len(after.slides) == len(before.slides)
    for old, new in zip(before.slides, after.slides, strict=True):
        assert [s.shape_type for s in new.shapes] == [s.shape_type for s in old.shapes]
    body = after.slides[0].placeholders[1].text_frame.paragraphs
    assert [p.level for p in body] == [0, 1]
    runs = body[1].runs
    assert [run.font.bold for run in runs] == [None, True, None]
    assert all(run.text.strip() for run in runs)
    assert runs[2].hyperlink.address == "https://example.org/"
    notes = after.slides[0].notes_slide.notes_text_frame.text
    assert notes.strip()
    table = next(s for s in after.slides[1].shapes if s.has_table).table
    cells = [table.cell(r, c).text for r in range(2) for c in range(2)]
    assert all(text.strip() for text in cells)

    assert_other_entries_identical(original, translated, "pptx")
    texts = [
        shape.text_frame.text
        for slide in after.slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert_no_german([*texts, notes, *cells])


async def test_xlsx_translates_text_cells_only(translate_doc) -> None:
    """Text and rich-text cells are translated; numbers, dates, formulas and the image are not."""
    original = xlsx_bytes()
    translated = await translate_doc("tabelle.xlsx", original)
    workbook = openpyxl.load_workbook(io.BytesIO(translated), rich_text=True)
    sheet = workbook["Daten"]
    assert workbook.sheetnames == ["Daten", "Zweite"]
    assert sheet["B2"].value == 42
    assert sheet["C2"].value == 3.25
    assert sheet["D2"].value == datetime.datetime(2026, 12, 1)
    assert sheet["E2"].value == "=B2*C2"
    assert sheet["F2"].value == '=CONCATENATE("Straße", A2)'
    rich = sheet["A3"].value
    assert isinstance(rich, CellRichText)
    blocks = [part for part in rich if isinstance(part, TextBlock)]
    assert len(rich) == 3
    assert len(blocks) == 1
    assert blocks[0].font.b
    assert blocks[0].text.strip()

    assert_other_entries_identical(original, translated, "xlsx")
    texts = [sheet["A1"].value, sheet["A2"].value, str(rich), workbook["Zweite"]["A1"].value]
    assert all(text.strip() for text in texts)
    assert_no_german(texts)
