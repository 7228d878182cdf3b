"""PDF: the text layer is extracted (pypdf) and comes back as a translated Word file.

PDF has no editable text flow to write into, so the layout, fonts, images and columns are not
kept: the answer is a .docx that opens with a note saying so, then each page's paragraphs in
order, one page per section break. A PDF without a text layer (a scan) is refused.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.text import WD_BREAK
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from backend.documents.blocks import Block
from backend.documents.errors import CorruptDocument, DocumentError, ProtectedDocument

NOTE = (
    "Translated from the text layer of a PDF file: the original layout, fonts, images and "
    "columns are not kept."
)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def extract(data: bytes) -> tuple[list[Block], list[int]]:
    """Return the PDF's paragraphs as blocks, and how many paragraphs each page has."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ProtectedDocument("the PDF is encrypted with a password; remove it and retry")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as error:
        raise CorruptDocument(f"the PDF cannot be read ({error})") from None
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise CorruptDocument(f"the PDF is damaged ({type(error).__name__})") from None
    blocks: list[Block] = []
    counts = []
    for page in pages:
        paragraphs = [" ".join(p.split()) for p in _BLANK_LINES.split(page) if p.strip()]
        blocks.extend([paragraph] for paragraph in paragraphs)
        counts.append(len(paragraphs))
    if not blocks:
        raise DocumentError("the PDF has no text layer (a scanned image?); run OCR on it first")
    return blocks, counts


def rebuild(counts: list[int], translated: list[Block]) -> bytes:
    """Write the translated paragraphs into a new Word file, a page break between pages."""
    document = Document()
    note = document.add_paragraph().add_run(NOTE)
    note.italic = True
    start = 0
    for page, count in enumerate(counts):
        if page:
            document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        for block in translated[start : start + count]:
            document.add_paragraph(block[0])
        start += count
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
