"""Cut a sentence too long for the model at its best clause boundary under the token limit.

Boundaries from strongest to weakest: after ";" or ":", after ",", before a conjunction, between
words, between characters. Pieces are packed greedily from the strongest level that fits, so each
cut falls at the strongest boundary nearest the limit; a unit too long on its own is cut at the
next weaker level. The pieces join back to the sentence exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.segmentation.model import Segment
from backend.segmentation.protect import PLACEHOLDER

CountTokens = Callable[[str], int]

#: Conjunctions a German clause (main or subordinate) starts with; a cut goes before them.
_CONJUNCTIONS = (
    "und|oder|aber|denn|sondern|doch|jedoch|weil|dass|daß|wenn|obwohl|während|damit|sodass"
    "|falls|bevor|nachdem|sobald|solange|indem|ob|als|wie|wo|weshalb|weswegen"
)
#: Split points from coarse to fine; each pattern's matches cover the text it is applied to.
_UNITS = (
    re.compile(r"\s*\S.*?[;:](?=\s)|\s*\S.*", re.S),
    re.compile(r"\s*\S.*?,(?=\s)|\s*\S.*", re.S),
    re.compile(rf"\s*\S.*?(?=\s+(?:{_CONJUNCTIONS})\b)|\s*\S.*", re.S),
    re.compile(r"\s*\S+"),
    re.compile(r".", re.S),
)
#: No piece is longer than this many characters per allowed token (sentencepiece pieces are short),
#: which keeps the search for the longest fitting piece from tokenizing huge strings.
_MAX_CHARS_PER_TOKEN = 32


def split_to_fit(sentence: str, count_tokens: CountTokens, max_tokens: int) -> list[str]:
    """Cut a sentence into consecutive pieces of at most max_tokens tokens that join back to it.

    Only a single character longer than the window is sent whole. A piece's leading whitespace is
    the separator to keep in front of its translation.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    if len(sentence) <= max_tokens * _MAX_CHARS_PER_TOKEN and count_tokens(sentence) <= max_tokens:
        return [sentence]
    return _pack(sentence, count_tokens, max_tokens, level=0)


def split_segment(seg: Segment, count_tokens: CountTokens, max_tokens: int) -> list[Segment]:
    """Replace a segment too long for the model by consecutive segments that fit."""
    out: list[Segment] = []
    prefix = seg.prefix
    for piece in split_to_fit(seg.text, count_tokens, max_tokens):
        text = piece.lstrip()
        prefix += piece[: len(piece) - len(text)]
        if text:
            out.append(Segment(prefix, text, _kept_in(text, seg.kept)))
            prefix = ""
    if prefix:  # cannot happen for a stripped sentence, but never drop material
        out.append(Segment(prefix, ""))
    return out


def _kept_in(piece: str, kept: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Return the protected spans whose placeholders lie in piece (None for the others)."""
    if not kept:
        return ()
    numbers = {int(match.group(1)) for match in PLACEHOLDER.finditer(piece)}
    return tuple(span if n in numbers else None for n, span in enumerate(kept))


def _units(text: str, level: int) -> list[str]:
    """Cut text into units of the given level whose concatenation is text."""
    pieces = [match.group() for match in _UNITS[level].finditer(text)]
    covered = sum(map(len, pieces))
    if covered < len(text):
        # Trailing whitespace is not matched by the word pattern: keep it on the last unit.
        if pieces:
            pieces[-1] += text[covered:]
        else:
            pieces = [text]
    return pieces


def _pack(text: str, count_tokens: CountTokens, max_tokens: int, level: int) -> list[str]:
    """Greedily pack units of text into pieces that fit, refining units that are too big alone."""
    units = _units(text, level)
    if len(units) == 1 and level + 1 < len(_UNITS):
        return _pack(text, count_tokens, max_tokens, level + 1)
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


def _longest_fit(units: list[str], i: int, count_tokens: CountTokens, limit: int) -> int:
    """Return the largest j > i with units[i:j] within limit tokens, or i if none fits."""
    high, chars = i, 0
    while high < len(units) and chars + len(units[high]) <= limit * _MAX_CHARS_PER_TOKEN:
        chars += len(units[high])
        high += 1
    low = i
    while low < high:  # binary search: token counts grow (almost always) with the text
        middle = (low + high + 1) // 2
        if count_tokens("".join(units[i:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
