"""The inline mapping: a block's translation cut back into its runs (documents/inline.py)."""

from __future__ import annotations

import asyncio

from backend.documents.blocks import translate_block, translate_blocks
from backend.documents.inline import anchor_runs, distribute
from hypothesis import given
from hypothesis import strategies as st

RUNS = ["Das ist ein ", "sehr wichtig", " und ", "schön", " gemachter Satz."]
words = st.text(alphabet="abcdefgh äöü.,", min_size=0, max_size=12)


@given(st.lists(words, min_size=1, max_size=6), st.text(alphabet="xyz .,", max_size=60))
def test_the_runs_always_join_to_the_translation(runs: list[str], translation: str) -> None:
    """Nothing is lost or duplicated, whatever the runs and the translation are."""
    pieces = distribute(runs, translation, {})
    assert len(pieces) == len(runs)
    assert "".join(pieces) == translation


@given(st.lists(words, min_size=1, max_size=6), st.text(alphabet="xyz .", max_size=60), st.data())
def test_anchors_never_break_the_join(runs: list[str], translation: str, data) -> None:
    """Anchors found or not, the pieces still tile the translation in order."""
    anchors = {
        index: data.draw(st.sampled_from(translation.split() or [""]))
        for index in anchor_runs(runs)
    }
    assert "".join(distribute(runs, translation, anchors)) == translation


def test_an_anchor_puts_its_words_on_its_run() -> None:
    """The bold run gets exactly its own translation, found inside the sentence's."""
    translation = "This is a very important and nicely made sentence."
    anchors = {0: "This is a", 1: "very important", 2: "and", 3: "nicely"}
    pieces = distribute(RUNS, translation, anchors)
    assert pieces == ["This is a ", "very important", " and ", "nicely", " made sentence."]


def test_without_anchors_every_run_with_letters_gets_a_word() -> None:
    """Proportional fallback: whole words, at least one per run with letters."""
    translation = "one two three four five six seven"
    pieces = distribute(RUNS, translation, {})
    assert [len(piece.split()) >= 1 for piece in pieces] == [True] * 5
    assert [word for piece in pieces for word in piece.split()] == translation.split()


def test_a_chance_match_does_not_starve_the_runs_before_it() -> None:
    """An anchor found at the very start is refused when earlier runs would get nothing."""
    runs = ["Erstens ", "zweitens", " drittens"]
    pieces = distribute(runs, "aa bb cc dd", {0: "zz", 1: "aa"})
    assert all(piece.strip() for piece in pieces)


def test_anchor_runs_leave_out_the_longest_run() -> None:
    """The longest run is the plain text around the formatted words: not translated alone."""
    assert anchor_runs(RUNS) == [0, 1, 2, 3]
    assert anchor_runs(["nur ein Lauf"]) == []
    assert anchor_runs(["  ", "Text", "42"]) == []


def test_a_block_is_translated_whole_and_its_runs_alone() -> None:
    """One call for the sentence, one per anchor run; runs without letters are left as they are."""
    calls: list[str] = []

    async def translate(text: str) -> str:
        calls.append(text)
        return text.upper()

    pieces = asyncio.run(translate_block(RUNS, translate))
    assert calls[0] == "".join(RUNS)
    assert sorted(calls[1:]) == sorted(run.strip() for run in RUNS[:4])
    assert pieces == [run.upper() for run in RUNS]
    assert asyncio.run(translate_block(["12", " ", "Text"], translate)) == ["12", " ", "TEXT"]


def test_blocks_without_letters_are_not_sent_and_progress_counts_the_others() -> None:
    """Numbers and whitespace are never sent; progress reports each block done."""
    sent: list[str] = []
    seen: list[tuple[int, int]] = []

    async def translate(text: str) -> str:
        sent.append(text)
        return text[::-1]

    blocks = [["Hallo"], ["42"], [" "], ["Welt"]]
    out = asyncio.run(translate_blocks(blocks, translate, lambda d, t: seen.append((d, t))))
    assert out == [["ollaH"], ["42"], [" "], ["tleW"]]
    assert sorted(sent) == ["Hallo", "Welt"]
    assert seen[-1] == (2, 2)
