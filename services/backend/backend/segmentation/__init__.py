"""Cut a text into translatable sentences and untranslated structure, and put it back together.

Line breaks are structure: a sentence never spans one, and everything that is not a sentence
(newlines, indentation, list markers, the spaces between sentences, lines without letters) is kept
verbatim in a segment's ``prefix`` or in the ``trailer``, so that reassembling identity
translations returns the input exactly. ``iter_segments`` does this lazily, line by line, so the
first sentence of a long text is ready before the rest is read.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

from backend.segmentation.fit import split_segment, split_to_fit
from backend.segmentation.model import Segment, Segmented, reassemble
from backend.segmentation.protect import PLACEHOLDER, protect
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
#: Indentation, then Markdown block quotes and a heading, a bullet or a list number ("- ", "• ",
#: "1. ", "a) ", "IV. ", "1.2. ", "(b) "). Not "z. B." or "A. Merkel": a letter and a full stop
#: is prose, only Roman numerals and a letter with ")" are list markers.
_LINE_MARKER = re.compile(
    r"\s*(?:>[ \t]*)*(?:(?:#{1,6}|[-•*‣▪◦–—+]|\d{1,3}(?:\.\d{1,3})*[.)]|[A-Za-z]\)|\(\w{1,3}\)"
    r"|(?:[IVX]{1,4}|[ivx]{2,4})\.|[ivxIVX]{1,4}\))\s+)?"
)
#: A Markdown code fence: everything from it to the closing one passes through untouched.
_FENCE = re.compile(r"\s*(```+|~~~+)")
#: A Markdown table row: its cells are translated one by one, pipes and padding kept.
_TABLE_ROW = re.compile(r"\s*\|")
_CELL_SEPARATOR = re.compile(r"\|")
#: Tabs inside a line separate columns: each column is translated on its own.
_TABS = re.compile(r"\t+")


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
    fence: str | None = None  # the opening fence while inside a code block
    for line, ending in _lines(text):
        opened = _FENCE.match(line)
        if fence is not None or opened:
            pending += line + ending
            if fence is None and opened:
                fence = opened.group(1)[0] * 3
            elif opened and opened.group(1).startswith(fence or ""):
                fence = None
            continue
        pending = yield from _line_segments(line, pending)
        pending += ending
    if pending:
        yield Segment(pending, "")


def _lines(text: str) -> Iterator[tuple[str, str]]:
    """Yield each line of text with its line break ("" for the last)."""
    position = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[position : match.start()], match.group()
        position = match.end()
    yield text[position:], ""


def _line_segments(line: str, pending: str) -> Generator[Segment, None, str]:
    """Yield the sentences of one line; return the untranslated material left over."""
    marker = _LINE_MARKER.match(line)
    start = marker.end() if marker else 0
    pending += line[:start]
    separators = _CELL_SEPARATOR if _TABLE_ROW.match(line, start) else _TABS
    for separator in separators.finditer(line, start):
        pending = yield from _part_segments(line[start : separator.start()], pending)
        pending += separator.group()
        start = separator.end()
    return (yield from _part_segments(line[start:], pending))


def _part_segments(part: str, pending: str) -> Generator[Segment, None, str]:
    """Yield the sentences of one cell or column; return the untranslated rest."""
    start = 0
    for begin, end in sentence_spans(part):
        text, kept = protect(part[begin:end])
        if any(char.isalpha() for char in PLACEHOLDER.sub("", text)):
            yield Segment(pending + part[start:begin], text, kept)
            pending = ""
        else:
            # Rules, numbers, symbols and lone URLs ("---", "42", "https://...") pass through.
            pending += part[start:end]
        start = end
    return pending + part[start:]
