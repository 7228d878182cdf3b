"""Map a block's translation back onto its inline runs (bold, italic, links, spans).

A block is a paragraph, heading, cell or caption whose text is split into runs that differ in
formatting: ``["Das ist ", "sehr", " wichtig."]`` with the middle run bold. The block is translated
as one text, so the sentence keeps its context, and the translation is then cut back into as many
runs, in the same order, so each run keeps its formatting:

1. Anchors: every run but the longest (usually the plain text around the formatted words) is
   also translated on its own. Where that translation occurs in the block's translation, in run
   order and on word boundaries, the run gets exactly those words (``sehr`` -> ``very``).
2. The text between anchors goes to the runs between them, whole words each, in proportion to
   their source length; every run with letters gets at least one word while words remain, and
   whitespace goes to the side it was on in the source.

The runs always join to exactly the block's translation, so nothing is lost or duplicated; only
where the words fall may be approximate (a model that reorders a sentence around an untraceable
formatted word). This is pure text-in, text-out: formats only say what their runs are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")


def has_letters(text: str) -> bool:
    """Return whether text has anything to translate (a letter in any script)."""
    return _LETTER.search(text) is not None


def anchor_runs(runs: Sequence[str]) -> list[int]:
    """Return the runs worth translating alone: those with letters, except the longest one."""
    candidates = [index for index, run in enumerate(runs) if has_letters(run)]
    if len(candidates) < 2:
        return []
    longest = max(candidates, key=lambda index: len(runs[index].strip()))
    return [index for index in candidates if index != longest]


def distribute(runs: Sequence[str], translation: str, anchors: dict[int, str]) -> list[str]:
    """Cut translation into len(runs) consecutive pieces, one per run (see the module doc)."""
    spans = _find_anchors(runs, translation, anchors)
    cuts = [0] * (len(runs) + 1)
    cuts[-1] = len(translation)
    start, pending = 0, list[int]()
    for index in range(len(runs)):
        if index in spans:
            begin, end = spans[index]
            _spread(runs, translation, pending, start, begin, cuts)
            cuts[index], cuts[index + 1] = begin, end
            start, pending = end, []
        else:
            pending.append(index)
    _spread(runs, translation, pending, start, len(translation), cuts)
    # Text before the first run's anchor or after the last run's stays with that run, and a gap
    # between two adjacent anchors with the run before it.
    cuts[0], cuts[-1] = 0, len(translation)
    for index in range(1, len(runs)):
        cuts[index] = max(cuts[index], cuts[index - 1])
    return [translation[cuts[i] : cuts[i + 1]] for i in range(len(runs))]


def _find_anchors(
    runs: Sequence[str], translation: str, anchors: dict[int, str]
) -> dict[int, tuple[int, int]]:
    """Locate each anchor's words in translation, in run order, never overlapping.

    An occurrence counts only if it leaves a word for every run with letters before it (back to
    the previous anchor) and after it, so a chance match cannot starve its neighbours. A span
    takes the whitespace around its words on the sides where its source run had some.
    """
    folded = translation.casefold()
    word_starts = [match.start() for match in _WORD.finditer(translation)]
    spans: dict[int, tuple[int, int]] = {}
    cursor, previous = 0, -1
    for index in sorted(anchors):
        needle = anchors[index].strip().casefold()
        if not needle or len(needle) != len(anchors[index].strip()):
            continue  # casefolding changed the length: positions would not line up
        before = sum(1 for run in runs[previous + 1 : index] if has_letters(run))
        after = sum(1 for run in runs[index + 1 :] if has_letters(run))
        position = _find_word(folded, needle, cursor)
        while position is not None:
            end = position + len(needle)
            words_before = sum(1 for start in word_starts if cursor <= start < position)
            words_after = sum(1 for start in word_starts if start >= end)
            if words_before >= before and words_after >= after:
                break
            position = _find_word(folded, needle, position + 1)
        if position is None:
            continue
        begin, end = position, position + len(needle)
        if runs[index][:1].isspace():
            while begin > cursor and translation[begin - 1].isspace():
                begin -= 1
        if runs[index][-1:].isspace():
            while end < len(translation) and translation[end].isspace():
                end += 1
        spans[index] = (begin, end)
        cursor, previous = end, index
    return spans


def _find_word(haystack: str, needle: str, start: int) -> int | None:
    """Return the first position >= start where needle stands on word boundaries."""
    position = haystack.find(needle, start)
    while position != -1:
        before = haystack[position - 1] if position else " "
        after_index = position + len(needle)
        after = haystack[after_index] if after_index < len(haystack) else " "
        if not before.isalnum() and not after.isalnum():
            return position
        position = haystack.find(needle, position + 1)
    return None


def _spread(
    runs: Sequence[str], text: str, indices: list[int], begin: int, end: int, cuts: list[int]
) -> None:
    """Share text[begin:end] among runs[indices] in whole words; write their cuts."""
    if not indices:
        return
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, begin, end)]
    counts = _allocate(len(words), [runs[i] for i in indices])
    taken = 0
    cuts[indices[0]] = begin
    for position, index in enumerate(indices[1:], start=1):
        taken += counts[position - 1]
        if taken >= len(words):
            cuts[index] = end
            continue
        cut = words[taken][0]  # the next word's start: whitespace stays behind
        previous, current = runs[indices[position - 1]], runs[index]
        if current[:1].isspace() and not previous[-1:].isspace() and taken:
            cut = words[taken - 1][1]  # the source had the space at this run's start
        cuts[index] = cut
    cuts[indices[-1] + 1] = end


def _allocate(total: int, runs: Sequence[str]) -> list[int]:
    """Split total words among runs in proportion to their length, one at least for text runs."""
    weights = [len(run.strip()) for run in runs]
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        counts = [0] * len(runs)
        if total and runs:
            counts[0] = total
        return counts
    shares = [total * weight / weight_sum for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(runs)), key=lambda i: shares[i] - counts[i], reverse=True)
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    for index, run in enumerate(runs):
        if counts[index] == 0 and has_letters(run):
            donor = max(range(len(runs)), key=lambda i: counts[i])
            if counts[donor] > 1:
                counts[donor] -= 1
                counts[index] = 1
    return counts
