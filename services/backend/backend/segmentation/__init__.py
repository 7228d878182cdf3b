"""Cut a text into translatable sentences and untranslated structure, and put it back together.

Line breaks are structure: a sentence never spans one, and everything that is not a sentence
(newlines, indentation, list markers, the spaces between sentences, lines without letters) is kept
verbatim in a segment's ``prefix`` or in the ``trailer``, so that reassembling identity
translations returns the input exactly. ``iter_segments`` does this lazily, line by line, so the
first sentence of a long text is ready before the rest is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from backend.segmentation.fit import split_segment, split_to_fit
from backend.segmentation.model import Segment, Segmented, reassemble
from backend.segmentation.sentences import sentence_spans

__all__ = [
    "Segment",
    "Segmented",
    "iter_segments",
    "reassemble",
    "segment",
    "split_segment",
    "split_to_fit",
]

#: Every line boundary ``str.splitlines`` knows, so no line break is ever handed to the model.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
#: Indentation plus an optional bullet or list number ("- ", "• ", "1. ", "a) ", "iv. ", "1.2. ").
_LINE_MARKER = re.compile(
    r"\s*(?:(?:[-•*‣▪◦–—+>]|\d{1,3}(?:\.\d{1,3})*[.)]|[A-Za-z][.)]|\(\w{1,3}\)|[ivxIVX]{1,4}[.)])\s+)?"
)


def segment(text: str) -> Segmented:
    """Split text into sentences, keeping every line break, marker and space verbatim."""
    segments = list(iter_segments(text))
    trailer = ""
    if segments and not segments[-1].text:
        trailer = segments.pop().prefix
    return Segmented(tuple(segments), trailer)


def iter_segments(text: str) -> Iterator[Segment]:
    """Yield the sentences of text in order; a last segment with empty text holds the tail."""
    pending = ""  # untranslated material waiting for the next sentence
    position = 0
    for match in _LINE_BREAK.finditer(text):
        pending = yield from _line_segments(text[position : match.start()], pending)
        pending += match.group()
        position = match.end()
    pending = yield from _line_segments(text[position:], pending)
    if pending:
        yield Segment(pending, "")


def _line_segments(line: str, pending: str) -> Iterator[Segment]:
    """Yield the sentences of one line; return the untranslated material left over."""
    marker = _LINE_MARKER.match(line)
    start = marker.end() if marker else 0
    pending += line[:start]
    for begin, end in sentence_spans(line, start):
        sentence = line[begin:end]
        if any(char.isalpha() for char in sentence):
            yield Segment(pending + line[start:begin], sentence)
            pending = ""
        else:
            # Rules, numbers and symbols ("---", "* * *", "42") pass through untranslated.
            pending += line[start:end]
        start = end
    return pending + line[start:]
