"""Cut a text into translatable sentences and untranslated structure, and put it back together.

Sentences are found by pysbd (language "de"), a maintained rule-based segmenter that already knows
German abbreviations ("z. B.", "Dr.", "usw.", "bzw.", "d. h.", "u. a."), ordinals and dates
("am 3. Oktober 2026"), page and number references ("S. 12", "Nr. 5"), decimals and quotes. On our
German corpus (tests/test_segmentation.py) it failed only in four ways, which
``_merge_false_splits`` undoes: it splits inside URLs ("a.b?c=d"), before a number it takes for a
list item ("Nummer | 5. Es"), before a lowercase word
("im 19. Jh. sehr"), and before a number after a month or street abbreviation ("1. Jan. 2020",
"Hauptstr. 5"). pysbd is also quadratic in the length of its input, so long lines are fed to it
in windows (``_sentence_spans``).

Line breaks are structure: a sentence never spans one, and everything that is not a sentence
(newlines, indentation, bullets and numbering, the spaces between sentences, lines without letters)
is kept verbatim in a segment's ``prefix`` or in the ``trailer``, so that reassembling identity
translations returns the input exactly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pysbd

logger = logging.getLogger(__name__)

#: Every line boundary ``str.splitlines`` knows, so no line break is ever handed to the model.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
#: Indentation plus an optional bullet or list number ("- ", "• ", "1. ", "a) ", "iv. ", "1.2. ").
_LINE_MARKER = re.compile(
    r"\s*(?:(?:[-•*‣▪◦–—+>]|\d{1,3}(?:\.\d{1,3})*[.)]|[A-Za-z][.)]|\(\w{1,3}\)|[ivxIVX]{1,4}[.)])\s+)?"
)
#: Abbreviations that usually precede a number, after which pysbd wrongly ends a sentence.
_ABBREVIATION_BEFORE_NUMBER = re.compile(
    r"(?:\b(?:Jan|Feb|Febr|Mär|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez|Nr|S|Abs|Art|Kap|Bd|Tel|Abb"
    r"|Tab|Ziff|Jh|Jhd|Mio|Mrd|ca|Pkt|Std|Min|Sek|Anm|Fn|Bsp|Vol|Hnr)|str)\.\s*$"
)
#: pysbd's cost grows with the square of its input; longer lines are segmented window by window.
_WINDOW_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class Segment:
    """One sentence to translate, with the untranslated material that precedes it."""

    prefix: str
    text: str


@dataclass(frozen=True, slots=True)
class Segmented:
    """A text as sentences plus the untranslated material after the last one."""

    segments: tuple[Segment, ...]
    trailer: str


def _segmenter() -> pysbd.Segmenter:
    # A new one per call (it costs about a microsecond): Segmenter.segment keeps the text it
    # works on in an attribute, so one shared segmenter is not safe across threads.
    return pysbd.Segmenter(language="de", clean=False, char_span=False)


def segment(text: str) -> Segmented:
    """Split text into sentences, keeping every line break, marker and space verbatim."""
    segments: list[Segment] = []
    pending = ""  # untranslated material waiting for the next sentence
    position = 0
    for match in _LINE_BREAK.finditer(text):
        pending = _segment_line(text[position : match.start()], pending, segments)
        pending += match.group()
        position = match.end()
    pending = _segment_line(text[position:], pending, segments)
    return Segmented(tuple(segments), pending)


def reassemble(segmented: Segmented, translations: Sequence[str]) -> str:
    """Join each segment's prefix with its translation, then the trailer."""
    if len(translations) != len(segmented.segments):
        raise ValueError("one translation per segment is required")
    parts = [seg.prefix + out for seg, out in zip(segmented.segments, translations, strict=True)]
    return "".join(parts) + segmented.trailer


def _segment_line(line: str, pending: str, out: list[Segment]) -> str:
    """Append the sentences of one line to out; return the untranslated material left over."""
    marker = _LINE_MARKER.match(line)
    start = marker.end() if marker else 0
    pending += line[:start]
    for begin, end in _sentence_spans(line, start):
        sentence = line[begin:end]
        if any(char.isalpha() for char in sentence):
            out.append(Segment(pending + line[start:begin], sentence))
            pending = ""
        else:
            # Rules, numbers and symbols ("---", "* * *", "42") pass through untranslated.
            pending += line[start:end]
        start = end
    return pending + line[start:]


def _sentence_spans(line: str, start: int) -> list[tuple[int, int]]:
    """Return (begin, end) of each sentence in line[start:], surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    while start < len(line):
        window_end = min(len(line), start + _WINDOW_CHARS)
        if window_end < len(line):
            # End the window between words so a window-long sentence is not cut inside a word.
            cut = line.rfind(" ", start + 1, window_end)
            window_end = cut if cut > start else window_end
        found = _merge_false_splits(line, _locate(line, start, window_end))
        if not found:  # only whitespace in this window
            start = window_end
            continue
        if window_end < len(line) and len(found) > 1:
            # The window's last sentence may continue past it: segment it again in the next window.
            found.pop()
        spans.extend(found)
        start = found[-1][1]
    return spans


def _locate(line: str, start: int, end: int) -> list[tuple[int, int]]:
    """Map pysbd's sentences of line[start:end] back to positions in line."""
    chunk = line[start:end]
    spans: list[tuple[int, int]] = []
    cursor = 0
    try:
        sentences = _segmenter().segment(chunk)
    except Exception:  # pysbd crashes on some inputs, e.g. int("\x1f0") on "0\x1f0. "
        logger.warning("pysbd failed on a %d-character chunk; kept it as one sentence", len(chunk))
        sentences = []
    for sentence in sentences:
        stripped = sentence.strip()
        found = chunk.find(stripped, cursor) if stripped else -1
        if found < 0:
            # pysbd altered the text (it sometimes normalises); keep the rest as one sentence.
            break
        spans.append((start + found, start + found + len(stripped)))
        cursor = found + len(stripped)
    rest = chunk[cursor:]
    if rest.strip():
        offset = len(rest) - len(rest.lstrip())
        spans.append((start + cursor + offset, start + cursor + len(rest.rstrip())))
    return spans


def _merge_false_splits(line: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Undo pysbd's known false sentence breaks (see the module docstring)."""
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        if merged and _is_false_split(line, merged[-1], begin):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return merged


def _is_false_split(line: str, previous: tuple[int, int], begin: int) -> bool:
    """Tell whether a sentence starting at begin really continues the previous one."""
    if begin == previous[1]:
        return True  # no space between them: inside a URL, a number or a word
    if line[previous[1] - 1].isalnum():
        return True  # no closing punctuation: pysbd took a number ("Nummer 5. Es") for a list item
    first = line[begin]
    if first.islower():
        return True  # German sentences start with a capital, a digit or punctuation
    after_abbreviation = _ABBREVIATION_BEFORE_NUMBER.search(line, previous[0], previous[1])
    return first.isdigit() and after_abbreviation is not None


def split_to_fit(sentence: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Cut a sentence into consecutive pieces of at most max_tokens tokens that join back to it.

    Cuts fall after clause punctuation (", ; :") where possible, else between words, and only a
    single word longer than the window is cut between characters. A piece's leading whitespace is
    the separator to keep in front of its translation.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    return _pack(sentence, count_tokens, max_tokens, level=0)


#: Split points from coarse to fine: after clause punctuation, before each word, between characters.
_UNITS = (
    re.compile(r"\s*\S.*?[,;:](?=\s)|\s*\S.*", re.S),
    re.compile(r"\s*\S+"),
    re.compile(r".", re.S),
)


def split_segment(
    seg: Segment, count_tokens: Callable[[str], int], max_tokens: int
) -> list[Segment]:
    """Replace a segment too long for the model by consecutive segments that fit."""
    out: list[Segment] = []
    prefix = seg.prefix
    for piece in split_to_fit(seg.text, count_tokens, max_tokens):
        text = piece.lstrip()
        prefix += piece[: len(piece) - len(text)]
        if text:
            out.append(Segment(prefix, text))
            prefix = ""
    if prefix:  # cannot happen for a stripped sentence, but never drop material
        out.append(Segment(prefix, ""))
    return out


def _units(text: str, level: int) -> list[str]:
    """Cut text into units of the given level whose concatenation is text."""
    pieces = [match.group() for match in _UNITS[level].finditer(text)]
    covered = sum(map(len, pieces))
    if covered < len(text):
        # Trailing whitespace is not matched by the patterns: keep it on the last unit.
        pieces[-1] += text[covered:]
    return pieces


def _pack(text: str, count_tokens: Callable[[str], int], max_tokens: int, level: int) -> list[str]:
    """Greedily pack units of text into pieces that fit, refining units that are too big alone."""
    units = _units(text, level)
    pieces: list[str] = []
    i = 0
    while i < len(units):
        j = _longest_fit(units, i, count_tokens, max_tokens)
        if j == i:  # one unit alone is too big: cut it finer (characters are the floor)
            if level + 1 < len(_UNITS):
                pieces.extend(_pack(units[i], count_tokens, max_tokens, level + 1))
            else:  # a single character over the window cannot be cut: send it whole
                pieces.append(units[i])
            j = i + 1
        else:
            pieces.append("".join(units[i:j]))
        i = j
    return pieces


def _longest_fit(units: list[str], i: int, count_tokens: Callable[[str], int], limit: int) -> int:
    """Return the largest j > i with units[i:j] within limit tokens, or i if none fits."""
    low, high = i, len(units)
    while low < high:  # binary search: token counts grow (almost always) with the text
        middle = (low + high + 1) // 2
        if count_tokens("".join(units[i:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
