"""Translate whole documents, formatting kept: one codec per format family, one shared core.

Framework-free. ``translate_document`` checks the limits, tells the format from the content
(detect.py), reads the text into blocks of inline runs (the format's codec), translates every
block in context through the given text translator (blocks.py, inline.py) and writes the
translation back into the same file.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath

from backend.documents.archive import Limits
from backend.documents.blocks import (
    Block,
    Progress,
    TranslateText,
    text_chars,
    translatable,
    translate_blocks,
)
from backend.documents.detect import EXTENSIONS, NAMES, detect
from backend.documents.errors import CorruptDocument, DocumentError, FileTooLarge
from backend.documents.formats import CODECS, Codec
from backend.errors import check_text

logger = logging.getLogger(__name__)
__all__ = [
    "EXTENSIONS",
    "DocumentError",
    "Limits",
    "PreparedDocument",
    "TranslatedDocument",
    "prepare_document",
    "translate_document",
]


@dataclass(frozen=True)
class TranslatedDocument:
    """The translated file and what was done to it."""

    data: bytes
    filename: str
    media_type: str
    format: str
    blocks: int
    chars: int


@dataclass
class PreparedDocument:
    """A document read and checked, ready to translate: its blocks and what rebuilds it."""

    kind: str
    filename: str
    blocks: list[Block]
    chars: int
    _codec: Codec
    _state: object

    @property
    def total(self) -> int:
        """Return how many blocks will be translated (the unit progress is counted in)."""
        return len(translatable(self.blocks))

    async def translate(
        self, translate: TranslateText, progress: Progress | None = None
    ) -> TranslatedDocument:
        """Translate every block and write the file back in its format (PDF: as .docx)."""
        translated = await translate_blocks(self.blocks, translate, progress)
        out = await asyncio.to_thread(self._codec.rebuild, self._state, translated)
        name = PurePosixPath(self.filename).name or "document"
        if self._codec.suffix:
            name = str(PurePosixPath(name).with_suffix(self._codec.suffix))
        media_type = self._codec.media_type
        return TranslatedDocument(out, name, media_type, self.kind, self.total, self.chars)


async def prepare_document(data: bytes, filename: str, limits: Limits) -> PreparedDocument:
    """Check the limits, tell the format and read the blocks; raise DocumentError or TextTooLong."""
    if len(data) > limits.max_file_bytes:
        raise FileTooLarge(
            f"the file has {len(data)} bytes; the limit is {limits.max_file_bytes} (MAX_FILE_BYTES)"
        )
    kind = await asyncio.to_thread(detect, data, filename, limits)
    codec = CODECS[kind]
    # Parsing and writing files is CPU work: off the event loop, which serves everyone else.
    blocks, state = await asyncio.to_thread(_extract, codec, kind, data, limits)
    chars = text_chars(blocks)
    check_text(chars, limits.max_text_chars)
    return PreparedDocument(kind, filename, blocks, chars, codec, state)


async def translate_document(
    data: bytes,
    filename: str,
    translate: TranslateText,
    limits: Limits,
    progress: Progress | None = None,
) -> TranslatedDocument:
    """Translate a document's text into the same format (PDF: into .docx); raise DocumentError."""
    prepared = await prepare_document(data, filename, limits)
    return await prepared.translate(translate, progress)


def _extract(codec: Codec, kind: str, data: bytes, limits: Limits) -> tuple[list[Block], object]:
    """Run the codec's extract; a library failing on a damaged file is the file's fault (422)."""
    try:
        return codec.extract(data, limits)
    except DocumentError:
        raise
    except Exception as error:
        # The libraries raise many kinds of errors on damaged input; none of them is a bug of
        # ours worth a 500, but each is logged so a real one can be found.
        logger.warning("reading a %s file failed: %s", kind, type(error).__name__)
        raise CorruptDocument(f"the file cannot be read as {NAMES[kind]}") from None
