"""Translate whole documents, formatting kept: one codec per format family, one shared core.

Framework-free. ``translate_document`` checks the limits, tells the format from the content
(detect.py), reads the text into blocks of inline runs (the format's codec), translates every
block in context through the given text translator (blocks.py, inline.py) and writes the
translation back into the same file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import PurePosixPath

from backend.documents.archive import Limits
from backend.documents.blocks import (
    Progress,
    TranslateText,
    text_chars,
    translatable,
    translate_blocks,
)
from backend.documents.detect import EXTENSIONS, detect
from backend.documents.errors import DocumentError, FileTooLarge
from backend.documents.formats import CODECS
from backend.errors import check_text

__all__ = ["EXTENSIONS", "DocumentError", "Limits", "TranslatedDocument", "translate_document"]


@dataclass(frozen=True)
class TranslatedDocument:
    """The translated file and what was done to it."""

    data: bytes
    filename: str
    media_type: str
    format: str
    blocks: int
    chars: int


async def translate_document(
    data: bytes,
    filename: str,
    translate: TranslateText,
    limits: Limits,
    progress: Progress | None = None,
) -> TranslatedDocument:
    """Translate a document's text into the same format (PDF: into .docx); raise DocumentError."""
    if len(data) > limits.max_file_bytes:
        raise FileTooLarge(
            f"the file has {len(data)} bytes; the limit is {limits.max_file_bytes} (MAX_FILE_BYTES)"
        )
    kind = await asyncio.to_thread(detect, data, filename, limits)
    codec = CODECS[kind]
    # Parsing and writing files is CPU work: off the event loop, which serves everyone else.
    blocks, state = await asyncio.to_thread(codec.extract, data, limits)
    chars = text_chars(blocks)
    check_text(chars, limits.max_text_chars)
    translated = await translate_blocks(blocks, translate, progress)
    out = await asyncio.to_thread(codec.rebuild, state, translated)
    name = PurePosixPath(filename).name or "document"
    if codec.suffix:
        name = str(PurePosixPath(name).with_suffix(codec.suffix))
    return TranslatedDocument(out, name, codec.media_type, kind, len(translatable(blocks)), chars)
