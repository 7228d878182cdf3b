"""The codec of each format: how to read its blocks, how to write them back, what it answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.documents import epub, html, odf, ooxml, pdf, subtitles, text
from backend.documents.archive import Limits
from backend.documents.blocks import Block
from backend.documents.detect import decode_text

Extract = Callable[[bytes, Limits], tuple[list[Block], Any]]
Rebuild = Callable[[Any, list[Block]], bytes]


@dataclass(frozen=True)
class Codec:
    """One format family's extract and rebuild, and the file it answers with."""

    extract: Extract
    rebuild: Rebuild
    media_type: str
    #: The answer's extension, when it differs from the upload's (PDF comes back as .docx).
    suffix: str | None = None


def _text(reader: Callable[[str], tuple[list[Block], Any]]) -> Extract:
    return lambda data, limits: reader(decode_text(data))


def _zipped(module: Any, kind: str) -> Extract:
    return lambda data, limits: module.extract(data, kind, limits)


_OFFICE = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
DOCX_TYPE = _OFFICE + "wordprocessingml.document"

CODECS: dict[str, Codec] = {
    "txt": Codec(_text(text.extract_text), text.rebuild_text, "text/plain; charset=utf-8"),
    "md": Codec(
        _text(text.extract_markdown), text.rebuild_markdown, "text/markdown; charset=utf-8"
    ),
    "html": Codec(
        lambda data, limits: html.extract(data), html.rebuild, "text/html; charset=utf-8"
    ),
    "srt": Codec(_text(subtitles.extract_srt), subtitles.rebuild_srt, "application/x-subrip"),
    "vtt": Codec(_text(subtitles.extract_vtt), subtitles.rebuild_vtt, "text/vtt; charset=utf-8"),
    "docx": Codec(_zipped(ooxml, "docx"), ooxml.rebuild, DOCX_TYPE),
    "pptx": Codec(_zipped(ooxml, "pptx"), ooxml.rebuild, _OFFICE + "presentationml.presentation"),
    "xlsx": Codec(_zipped(ooxml, "xlsx"), ooxml.rebuild, _OFFICE + "spreadsheetml.sheet"),
    "odt": Codec(_zipped(odf, "odt"), odf.rebuild, _ODF + "text"),
    "odp": Codec(_zipped(odf, "odp"), odf.rebuild, _ODF + "presentation"),
    "ods": Codec(_zipped(odf, "ods"), odf.rebuild, _ODF + "spreadsheet"),
    "epub": Codec(epub.extract, epub.rebuild, "application/epub+zip"),
    "pdf": Codec(lambda data, limits: pdf.extract(data), pdf.rebuild, DOCX_TYPE, suffix=".docx"),
}
