"""Subtitles (.srt with the srt library, .vtt with webvtt-py): text translated, timings kept.

Each cue is one block, its lines translated together (a sentence often runs over two lines) and
cut back into as many lines; cue numbers, identifiers, timings, positions, styles and notes are
written back unchanged. Tags (``<i>``, ``<b>``, ``{\\an8}``) stay where they were.
"""

from __future__ import annotations

import re
from typing import Any

import srt
import webvtt
from webvtt.errors import MalformedFileError

from backend.documents.blocks import Block
from backend.documents.errors import CorruptDocument
from backend.documents.pieces import Pieced, split

_FIXED = re.compile(r"\n|<[^>\n]*>|\{\\[^}\n]*\}")


def extract_srt(text: str) -> tuple[list[Block], tuple[list[Any], list[Pieced]]]:
    """Parse SubRip cues into blocks."""
    try:
        cues = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as error:
        raise CorruptDocument(f"the file is not valid SubRip ({error})") from None
    if not cues:
        raise CorruptDocument("the file has no subtitles")
    pieced = [split(cue.content, _FIXED) for cue in cues]
    return [piece.runs for piece in pieced], (cues, pieced)


def rebuild_srt(state: tuple[list[Any], list[Pieced]], translated: list[Block]) -> bytes:
    """Compose the cues with translated text, numbers and timings as they were."""
    cues, pieced = state
    for cue, piece, runs in zip(cues, pieced, translated, strict=True):
        cue.content = piece.join(runs)
    return srt.compose(cues, reindex=False).encode()


def extract_vtt(text: str) -> tuple[list[Block], tuple[Any, list[Pieced]]]:
    """Parse WebVTT cues into blocks."""
    try:
        document = webvtt.from_string(text)
    except MalformedFileError as error:
        raise CorruptDocument(f"the file is not valid WebVTT ({error})") from None
    pieced = [split(caption.raw_text, _FIXED) for caption in document.captions]
    return [piece.runs for piece in pieced], (document, pieced)


def rebuild_vtt(state: tuple[Any, list[Pieced]], translated: list[Block]) -> bytes:
    """Write the cues back with translated text; timings, settings and notes unchanged."""
    document, pieced = state
    for caption, piece, runs in zip(document.captions, pieced, translated, strict=True):
        caption.text = piece.join(runs)
    return document.content.encode()
