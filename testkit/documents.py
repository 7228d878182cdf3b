"""Build test documents with each format's own library, full of German to translate.

Every builder returns the file's bytes and uses the words in GERMAN_WORDS, so a test can check
that none is left after translation (the random-weight model writes English pieces only).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable
from typing import IO, Any

#: Distinctive German words of the fixtures; none may survive a translation.
GERMAN_WORDS = (
    "Überschrift",
    "wichtig",
    "schön",
    "Größe",
    "Straße",
    "Zwiebelsuppe",
    "Kopfzeile",
    "Fußzeile",
    "Fußnote",
    "Tabellenzelle",
    "Aufzählung",
    "Unterpunkt",
    "Verknüpfung",
    "Folientitel",
    "Sprechernotiz",
    "Untertitel",
)


#: The 2 x 2 table every office fixture has, row by row.
TABLE = tuple(
    tuple(f"Tabellenzelle {row} {column} ist schön." for column in range(2)) for row in range(2)
)


def _saved(save: Callable[[IO[bytes]], object]) -> bytes:
    """Return the bytes a library's save(file) or write(file) writes."""
    out = io.BytesIO()
    save(out)
    return out.getvalue()


def _fill(cell: Callable[[int, int], Any]) -> None:
    """Write TABLE into a library's table, given its cell(row, column) (python-docx, -pptx)."""
    for row, texts in enumerate(TABLE):
        for column, words in enumerate(texts):
            cell(row, column).text = words


def png_bytes() -> bytes:
    """Return a small PNG image (4x4 red)."""
    from PIL import Image

    return _saved(lambda out: Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG"))


def noise_png_bytes(min_bytes: int) -> bytes:
    """Return a PNG of random pixels at least `min_bytes` long (noise does not compress)."""
    import math
    import os

    from PIL import Image

    side = math.isqrt(min_bytes // 3) + 1
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    # Level 0: the file is the pixels; compressing noise would only cost time.
    return _saved(lambda out: image.save(out, "PNG", compress_level=0))


def docx_with_picture_bytes(min_bytes: int) -> bytes:
    """A short Word file made at least `min_bytes` long by one large photo-like picture."""
    import docx
    from docx.shared import Inches

    document = docx.Document()
    document.add_heading("Die Überschrift des großen Berichts", level=1)
    document.add_paragraph("Das Bild zeigt die Straße in voller Größe.")
    document.add_picture(io.BytesIO(noise_png_bytes(min_bytes)), width=Inches(4))
    return _saved(document.save)


def docx_bytes() -> bytes:
    """A Word file: headings, bold and italic in a sentence, a link, nested list, table, image,
    header, footer and a footnote."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Inches

    document = docx.Document()
    document.add_heading("Die Überschrift des Berichts", level=1)
    paragraph = document.add_paragraph("Das ist ein ")
    paragraph.add_run("sehr wichtig").bold = True
    paragraph.add_run(" und ")
    paragraph.add_run("schön").italic = True
    paragraph.add_run(" gemachter Satz über die Größe der Straße.")
    link_id = document.part.relate_to("https://example.org/", RT.HYPERLINK, is_external=True)
    linked = document.add_paragraph("Lesen Sie die ")
    linked._p.append(
        parse_xml(
            f'<w:hyperlink {nsdecls("w", "r")} r:id="{link_id}"><w:r><w:rPr>'
            '<w:rStyle w:val="Hyperlink"/></w:rPr><w:t>Verknüpfung zur Zwiebelsuppe</w:t></w:r>'
            "</w:hyperlink>"
        )
    )
    linked.add_run(" bitte gründlich.")
    document.add_paragraph("Erste Aufzählung mit Zwiebelsuppe", style="List Bullet")
    document.add_paragraph("Ein Unterpunkt der Aufzählung", style="List Bullet 2")
    _fill(document.add_table(rows=len(TABLE), cols=len(TABLE[0])).cell)
    document.add_picture(io.BytesIO(png_bytes()), width=Inches(0.5))
    section = document.sections[0]
    section.header.paragraphs[0].text = "Die Kopfzeile des Berichts"
    section.footer.paragraphs[0].text = "Die Fußzeile des Berichts"
    noted = document.add_paragraph("Ein Satz mit Fußnote")
    noted._p.append(
        parse_xml(
            f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            '<w:footnoteReference w:id="1"/></w:r>'
        )
    )
    footnotes = (
        f'<w:footnotes {nsdecls("w")}><w:footnote w:id="1"><w:p><w:r>'
        "<w:t>Die Fußnote erklärt die Größe.</w:t></w:r></w:p></w:footnote></w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        footnotes.encode(),
        document.part.package,
    )
    document.part.relate_to(part, RT.FOOTNOTES)
    assert qn("w:p")  # the namespace helpers are the library's own
    return _saved(document.save)


def pptx_bytes() -> bytes:
    """Slides: a title, bullets with a bold run and a link, a table, a picture, speaker notes."""
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Der Folientitel ist schön"
    body = slide.placeholders[1].text_frame
    body.text = "Erste Aufzählung über die Straße"
    paragraph = body.add_paragraph()
    paragraph.level = 1
    first = paragraph.add_run()
    first.text = "Ein Unterpunkt ist "
    bold = paragraph.add_run()
    bold.text = "sehr wichtig"
    bold.font.bold = True
    linked = paragraph.add_run()
    linked.text = " mit Verknüpfung."
    linked.hyperlink.address = "https://example.org/"
    slide.notes_slide.notes_text_frame.text = "Die Sprechernotiz sagt etwas über die Größe."
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    second.shapes.title.text = "Zweiter Folientitel mit Zwiebelsuppe"
    shape = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1))
    _fill(shape.table.cell)
    second.shapes.add_picture(io.BytesIO(png_bytes()), Inches(6), Inches(2))
    return _saved(presentation.save)


def xlsx_bytes() -> bytes:
    """A workbook: text cells, a rich-text cell, numbers, a date, formulas and an image."""
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.drawing.image import Image

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Daten"
    sheet["A1"] = "Die Überschrift der Tabelle"
    sheet["A2"] = "Zwiebelsuppe ist schön"
    sheet["B2"] = 42
    sheet["C2"] = 3.25
    sheet["D2"] = datetime.date(2026, 12, 1)
    sheet["E2"] = "=B2*C2"
    sheet["F2"] = '=CONCATENATE("Straße", A2)'
    sheet["A3"] = CellRichText(
        "Ein ", TextBlock(InlineFont(b=True), "sehr wichtig"), " gemachter Satz."
    )
    sheet.add_image(Image(io.BytesIO(png_bytes())), "H2")
    other = workbook.create_sheet("Zweite")
    other["A1"] = "Die Größe der Straße"
    return _saved(workbook.save)


def odt_bytes() -> bytes:
    """An OpenDocument text: heading, bold span, link, nested list, table, footnote, image,
    header and footer."""
    from odf import draw, style, table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    bold = style.Style(name="Fett", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)
    layout = style.PageLayout(name="Seite")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="Standard", pagelayoutname=layout)
    header = style.Header()
    header.addElement(text.P(text="Die Kopfzeile des Dokuments"))
    master.addElement(header)
    footer = style.Footer()
    footer.addElement(text.P(text="Die Fußzeile des Dokuments"))
    master.addElement(footer)
    document.masterstyles.addElement(master)
    document.text.addElement(text.H(outlinelevel=1, text="Die Überschrift des Dokuments"))
    paragraph = text.P(text="Das ist ein ")
    paragraph.addElement(text.Span(stylename=bold, text="sehr wichtig"))
    paragraph.addText(" gemachter Satz über die Straße.")
    note = text.Note(id="ftn1", noteclass="footnote")
    note.addElement(text.NoteCitation(text="1"))
    body = text.NoteBody()
    body.addElement(text.P(text="Die Fußnote erklärt die Größe."))
    note.addElement(body)
    paragraph.addElement(note)
    document.text.addElement(paragraph)
    linked = text.P(text="Lesen Sie die ")
    linked.addElement(text.A(href="https://example.org/", text="Verknüpfung zur Zwiebelsuppe"))
    linked.addText(" bitte.")
    document.text.addElement(linked)
    outer = text.List()
    item = text.ListItem()
    item.addElement(text.P(text="Erste Aufzählung"))
    inner = text.List()
    inner_item = text.ListItem()
    inner_item.addElement(text.P(text="Ein Unterpunkt der Aufzählung"))
    inner.addElement(inner_item)
    item.addElement(inner)
    outer.addElement(item)
    document.text.addElement(outer)
    grid = table.Table(name="Tabelle")
    grid.addElement(table.TableColumn(numbercolumnsrepeated=2))
    for texts in TABLE:
        row = table.TableRow()
        for words in texts:
            cell = table.TableCell(valuetype="string")
            cell.addElement(text.P(text=words))
            row.addElement(cell)
        grid.addElement(row)
    document.text.addElement(grid)
    picture = document.addPicture("Pictures/bild.png", "image/png", png_bytes())
    frame = draw.Frame(width="1cm", height="1cm", anchortype="as-char")
    frame.addElement(draw.Image(href=picture))
    holder = text.P()
    holder.addElement(frame)
    document.text.addElement(holder)
    return _saved(document.write)


def odp_bytes() -> bytes:
    """An OpenDocument presentation: a slide with a text box and speaker notes."""
    from odf import draw, presentation, style, text
    from odf.opendocument import OpenDocumentPresentation

    document = OpenDocumentPresentation()
    layout = style.PageLayout(name="Folie")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="Standard", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    page = draw.Page(name="Seite1", masterpagename=master)
    frame = draw.Frame(width="20cm", height="3cm", x="1cm", y="1cm")
    box = draw.TextBox()
    box.addElement(text.P(text="Der Folientitel ist schön"))
    box.addElement(text.P(text="Ein Unterpunkt über die Straße"))
    frame.addElement(box)
    page.addElement(frame)
    notes = presentation.Notes()
    notes_frame = draw.Frame(width="20cm", height="10cm", x="1cm", y="12cm")
    notes_box = draw.TextBox()
    notes_box.addElement(text.P(text="Die Sprechernotiz sagt etwas über die Größe."))
    notes_frame.addElement(notes_box)
    notes.addElement(notes_frame)
    page.addElement(notes)
    document.presentation.addElement(page)
    return _saved(document.write)


def ods_bytes() -> bytes:
    """An OpenDocument spreadsheet: text cells, a number, a date and a formula."""
    from odf import table, text
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    sheet = table.Table(name="Daten")
    row = table.TableRow()
    cells = [
        table.TableCell(valuetype="string"),
        table.TableCell(valuetype="float", value="42"),
        table.TableCell(valuetype="date", datevalue="2026-12-01"),
        table.TableCell(valuetype="float", value="84", formula="of:=[.B1]*2"),
    ]
    for cell, shown in zip(
        cells, ("Zwiebelsuppe ist schön", "42", "01.12.2026", "84"), strict=True
    ):
        cell.addElement(text.P(text=shown))
        row.addElement(cell)
    sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    return _saved(document.write)


SRT = (
    "1\n00:00:01,000 --> 00:00:03,500\nDer Untertitel ist schön\nund <i>sehr wichtig</i>.\n\n"
    "2\n00:00:04,000 --> 00:00:06,250\nDie Größe der Straße.\n\n"
)
VTT = (
    "WEBVTT\n\nNOTE Kommentar bleibt\n\n"
    "eins\n00:00:01.000 --> 00:00:03.500 align:start\nDer Untertitel ist schön\n"
    "und <i>sehr wichtig</i>.\n\n"
    "00:00:04.000 --> 00:00:06.250\nDie Größe der Straße.\n"
)
HTML = (
    '<!DOCTYPE html>\n<html><head><meta charset="iso-8859-1"><title>Die Überschrift</title>'
    "</head><body><h1>Die Überschrift der Seite</h1>"
    "<p>Das ist ein <b>sehr wichtig</b> und <i>schön</i> gemachter Satz über die Straße.</p>"
    '<p>Lesen Sie die <a href="https://example.org/">Verknüpfung zur Zwiebelsuppe</a> bitte.</p>'
    "<ul><li>Erste Aufzählung<ul><li>Ein Unterpunkt der Aufzählung</li></ul></li></ul>"
    "<table><tr><td>Tabellenzelle ist schön</td><td>42</td></tr></table>"
    '<img src="bild.png" alt="Ein Bild der Größe"><pre>Code bleibt Code</pre>'
    "<script>var Größe = 1;</script></body></html>\n"
)
MARKDOWN = (
    "---\ntitle: Kopf bleibt\n---\n"
    "# Die Überschrift der Seite\n\n"
    "Das ist ein **sehr wichtig** und *schön* gemachter Satz\nüber die Größe der Straße.\n\n"
    "- Erste Aufzählung mit [Verknüpfung](https://example.org/Zwiebelsuppe)\n"
    "  - Ein Unterpunkt der Aufzählung mit `code_bleibt`\n\n"
    "| Tabellenzelle schön | 42 |\n|---|---|\n| Die Straße | 7 |\n\n"
    "```\nCode bleibt Code\n```\n"
)
TEXT = "Die Überschrift\n\nDas ist ein schön gemachter Satz über die Straße.\n- Die Größe\n"


def epub_bytes() -> bytes:
    """An EPUB 3 book (built by hand: the one EPUB library on PyPI is AGPL) with an image."""
    chapter = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Kapitel</title></head><body>'
        "<h1>Die Überschrift des Kapitels</h1>"
        "<p>Das ist ein <em>schön</em>&nbsp;gemachter Satz über die Straße.</p>"
        '<p><img src="bild.png" alt="Ein Bild"/></p></body></html>'
    )
    package = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">x</dc:identifier>'
        "<dc:title>Buch</dc:title><dc:language>de</dc:language></metadata><manifest>"
        '<item id="c1" href="kapitel.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="img" href="bild.png" media-type="image/png"/></manifest>'
        '<spine><itemref idref="c1"/></spine></package>'
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        book.writestr("META-INF/container.xml", container)
        book.writestr("OEBPS/content.opf", package)
        book.writestr("OEBPS/kapitel.xhtml", chapter)
        book.writestr("OEBPS/bild.png", png_bytes())
    return out.getvalue()


def pdf_bytes(
    pages: tuple[str, ...] = ("Die Größe der Straße ist schön.", "Zwiebelsuppe."),
) -> bytes:
    """A PDF with one line of text on each page, written object by object (pypdf reads it)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    objects.append(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for index, line in enumerate(pages):
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode('cp1252')}\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("cp1252")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


#: One fixture of every supported format, by file name (the extension says the format).
EVERY_FORMAT: dict[str, Callable[[], bytes]] = {
    "bericht.docx": docx_bytes,
    "folien.pptx": pptx_bytes,
    "tabelle.xlsx": xlsx_bytes,
    "bericht.odt": odt_bytes,
    "folien.odp": odp_bytes,
    "tabelle.ods": ods_bytes,
    "seite.html": HTML.encode,
    "seite.htm": HTML.encode,
    "notiz.md": MARKDOWN.encode,
    "brief.txt": TEXT.encode,
    "film.srt": SRT.encode,
    "film.vtt": VTT.encode,
    "buch.epub": epub_bytes,
    "scan.pdf": pdf_bytes,
}


def translated_name(name: str) -> str:
    """Return the name a translated file comes back under (a PDF comes back as Word)."""
    return name.removesuffix(".pdf") + ".docx" if name.endswith(".pdf") else name
