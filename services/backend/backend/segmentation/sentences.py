"""Find German sentence boundaries in one line of text, by rules over a maintained word list.

Chosen over pysbd and sentencex by measurement on tests/labelled/ (the table is in
services/backend/README.md, "Sentence boundaries"). Unlike pysbd it never rewrites the text: it
only looks at positions, so no character can be lost, and it runs in one linear pass, yielding each
sentence as soon as it is found.

A candidate boundary is sentence-final punctuation (". ! ? …", closing quotes and brackets after
it) followed by whitespace. Whether it ends a sentence depends on the word before it (an
abbreviation, a number, an initial) and the word after it (lower case, a month, an opener).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from backend.segmentation.abbreviations import CONTINUING, FINAL, MONTHS, OPENERS, ORDINAL_CONTEXT

#: Terminal punctuation with the closing quotes and brackets around it; a candidate boundary
#: when whitespace follows (sentence_spans checks). Possessive, and without the lookahead: each
#: cluster is read once, whole. A start inside a cluster reaches the same end as the cluster's
#: start, so it fails where that failed; with a lookahead the regex tried every start, and a line
#: of 40,000 periods took 27 s (100,000 of '."' over five minutes).
_CANDIDATE = re.compile(r"[.!?…]++(?:[\"'“”»«‘’)\]]++[.!?…]*+)*+")
_SPACE = re.compile(r"\s")
#: What may open a sentence before its first word.
_OPENING = "\"'„“”»«‚‘(["
#: Punctuation stripped off the word before a candidate to find the abbreviation or number.
_WORD_EDGES = "\"'„“”»«‚‘’([)]"
#: How far to look back and ahead for the neighbouring words (longer words are never abbreviations).
_LOOK_CHARS = 48
#: An abbreviation written with inner points: "z.B", "d.h", "i.d.R", "Dipl.-Ing" (each part short).
_DOTTED = re.compile(r"(?:-?[^\W\d_]{1,4}\.)+-?[^\W\d_]{1,4}")


def sentence_spans(line: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Yield (begin, end) of each sentence in line[start:], surrounding whitespace excluded."""
    begin = _skip_space(line, start)
    for match in _CANDIDATE.finditer(line, begin):
        if not _SPACE.match(line, match.end()):
            continue
        following = _skip_space(line, match.end())
        if following < len(line) and is_boundary(line, match.start(), match.end(), following):
            yield begin, match.end()
            begin = following
    if begin < len(line):
        end = len(line.rstrip())
        if end > begin:
            yield begin, end


def is_boundary(line: str, mark: int, mark_end: int, following: int) -> bool:
    """Tell whether the punctuation line[mark:mark_end] ends the sentence before line[following]."""
    after = line[following : following + _LOOK_CHARS].split(maxsplit=1)[0]
    next_word = after.lstrip(_OPENING)
    if not next_word:  # only quotes or brackets follow: a new sentence opens with them
        return True
    if next_word[0].islower():
        return _is_camel_case(next_word)  # "iPhones sind teuer." starts a sentence in lower case
    punctuation = line[mark:mark_end]
    if "!" in punctuation or "?" in punctuation or "…" in punctuation or ".." in punctuation:
        return True
    word = _word_before(line, mark)
    if not word:
        return True
    return _period_ends_sentence(word, next_word, _word_before(line, mark - len(word) - 1))


def _period_ends_sentence(word: str, next_word: str, word_before: str) -> bool:
    """Decide a full stop after word, followed by next_word (capitalised, a digit or a symbol)."""
    if "@" in word or "/" in word:
        return True  # an e-mail address or URL ends here
    if word.isdigit():
        return _number_ends_sentence(next_word, word_before)
    if len(word) == 1 and word.isalpha():
        # An initial ("A. Merkel", "z. B. Äpfel"), unless a sentence opener follows ("Plan B. Wir").
        return _bare(next_word) in OPENERS
    if _matches(word, FINAL):
        # "usw. Dann": a new sentence; "Co. KG": an acronym continues the name.
        return not (next_word.isupper() and len(next_word) > 1)
    continuing = _matches(word, CONTINUING) or word.endswith("str") or _DOTTED.fullmatch(word)
    return not continuing


def _number_ends_sentence(next_word: str, word_before: str) -> bool:
    """Decide "12. X": a date or ordinal ("am 3. Oktober", "der 2. Weltkrieg") or a sentence end."""
    bare = _bare(next_word)
    if bare in MONTHS:
        return False
    if next_word[0].isdigit() or bare in OPENERS:
        return True
    return word_before.lower() not in ORDINAL_CONTEXT


def _matches(word: str, words: frozenset[str]) -> bool:
    """Tell whether word is in words as written or, capitalised, in lower case."""
    return word in words or word.lower() in words


def _bare(word: str) -> str:
    """Return word without the punctuation that follows it."""
    return word.rstrip(".,;:!?…\"'“”»«‘’)]")


def _word_before(line: str, end: int) -> str:
    """Return the word that ends at line[end], without surrounding quotes and brackets."""
    window = line[max(0, end - _LOOK_CHARS) : end]
    if not window or window[-1].isspace():
        return ""
    return window.split()[-1].strip(_WORD_EDGES)


def _is_camel_case(word: str) -> bool:
    """Tell whether a lower-case word is a brand written with inner capitals (iPhone, eBay)."""
    letters = _bare(word)
    return any(char.isupper() for char in letters[1:])


def _skip_space(line: str, position: int) -> int:
    """Return the index of the first non-whitespace character at or after position."""
    while position < len(line) and line[position].isspace():
        position += 1
    return position
