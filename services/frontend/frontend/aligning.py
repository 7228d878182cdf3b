"""Lay a translation out beside its source: the same lines in both, each segment paired.

The backend sends, per segment, its source and its translation, each carrying the same verbatim
untranslated material (line breaks, blank lines, bullets, indentation) before the sentence, and the
last one the text's trailer after it. So both sides break into lines at the same places, and line
N of the source can sit beside line N of the translation. The page's script (static/translate.js,
`layOut`) does the same while the translation streams in; keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Every line boundary the backend's segmenter knows (str.splitlines' set), CR LF as one.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_INDENT_CHARS = " \t\u00a0"

#: (source characters, translated characters) of each segment, in order.
Lengths = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Fragment:
    """A run of text on one line: the sentence of segment `segment`, or untranslated material."""

    text: str
    segment: int | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the text, as its source fragments and its translated fragments."""

    source: tuple[Fragment, ...]
    translation: tuple[Fragment, ...]


def segment_lengths(pairs: Sequence[tuple[str, str]]) -> Lengths:
    """Return each (source, translation) pair's lengths, to store with the translation."""
    return tuple((len(source), len(translation)) for source, translation in pairs)


def split_pairs(source: str, translation: str, lengths: Lengths | None) -> list[tuple[str, str]]:
    """Cut a stored translation back into its segment pairs; one pair when lengths don't fit."""
    if not lengths or (
        sum(s for s, _ in lengths) != len(source) or sum(t for _, t in lengths) != len(translation)
    ):
        return [(source, translation)]
    pairs, at_source, at_translation = [], 0, 0
    for source_chars, translated_chars in lengths:
        pairs.append(
            (
                source[at_source : at_source + source_chars],
                translation[at_translation : at_translation + translated_chars],
            )
        )
        at_source += source_chars
        at_translation += translated_chars
    return pairs


def lay_out(pairs: Sequence[tuple[str, str]]) -> list[Line]:
    """Return the lines of both texts, each segment's sentence a fragment on its line."""
    lines: list[Line] = []
    source: list[Fragment] = []
    translation: list[Fragment] = []
    for index, (src, out) in enumerate(pairs):
        lead_end, tail_start = _shared_edges(src, out)
        out_tail_start = len(out) - (len(src) - tail_start)
        for piece in _pieces(src[:lead_end]):
            _add(source, translation, piece)
            if _LINE_BREAK.search(piece):
                lines.append(Line(tuple(source), tuple(translation)))
                source, translation = [], []
        src_core, out_core = src[lead_end:tail_start], out[lead_end:out_tail_start]
        indent = src_core[: len(src_core) - len(src_core.lstrip(_INDENT_CHARS))]
        if indent and out_core.startswith(indent):
            _add(source, translation, indent)
            src_core, out_core = src_core[len(indent) :], out_core[len(indent) :]
        source.append(Fragment(src_core, index))
        translation.append(Fragment(out_core, index))
        for piece in _pieces(src[tail_start:]):
            _add(source, translation, piece)
            if _LINE_BREAK.search(piece):
                lines.append(Line(tuple(source), tuple(translation)))
                source, translation = [], []
    lines.append(Line(tuple(source), tuple(translation)))
    return lines


def _shared_edges(source: str, translation: str) -> tuple[int, int]:
    """Return where the shared leading material ends and the shared trailing material starts.

    Both are taken at line breaks of the source: its sentence never contains one, so every line
    break in the part both sides begin (or end) with is untranslated material, not the sentence.
    """
    shared = 0
    limit = min(len(source), len(translation))
    while shared < limit and source[shared] == translation[shared]:
        shared += 1
    shared_tail = 0
    while (
        shared_tail < limit - shared
        and source[len(source) - 1 - shared_tail] == translation[len(translation) - 1 - shared_tail]
    ):
        shared_tail += 1
    lead_end, tail_start = 0, len(source)
    for match in _LINE_BREAK.finditer(source):
        if match.end() <= shared:
            lead_end = match.end()
        elif match.start() >= len(source) - shared_tail:
            tail_start = match.start()
            break
    return lead_end, tail_start


def _pieces(material: str) -> list[str]:
    """Cut untranslated material after each line break (the break stays with its line)."""
    pieces, start = [], 0
    for match in _LINE_BREAK.finditer(material):
        pieces.append(material[start : match.end()])
        start = match.end()
    if start < len(material):
        pieces.append(material[start:])
    return pieces


def _add(source: list[Fragment], translation: list[Fragment], material: str) -> None:
    source.append(Fragment(material))
    translation.append(Fragment(material))
