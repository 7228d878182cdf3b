"""Aligning: both texts in the same lines, each segment once on each side, beside its pair."""

from __future__ import annotations

import re

from frontend.aligning import Fragment, lay_out, segment_lengths, split_pairs
from hypothesis import given
from hypothesis import strategies as st

LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# What the backend keeps verbatim around sentences: line breaks, blank lines, bullets, indentation.
MATERIAL = st.lists(
    st.sampled_from(["\n", "\n\n", "\r\n", "\u2028", " ", "  ", "\t", "- ", "1. ", "---\n"]),
    max_size=4,
).map("".join)
SENTENCE = st.text(alphabet="abcäöß XYZ.,!?", min_size=1, max_size=30)
# A model may answer anything, line breaks included.
OUTPUT = st.text(alphabet="abc XYZ.\n", max_size=30)


@st.composite
def segment_pairs(draw) -> list[tuple[str, str]]:
    """Pairs as the backend streams them: shared prefix + sentence / its output, trailer last."""
    pairs = []
    for _ in range(draw(st.integers(1, 8))):
        prefix = draw(MATERIAL)
        pairs.append((prefix + draw(SENTENCE), prefix + draw(OUTPUT)))
    trailer = draw(MATERIAL)
    source, translation = pairs[-1]
    pairs[-1] = (source + trailer, translation + trailer)
    return pairs


def joined(lines, side: str) -> str:
    return "".join(fragment.text for line in lines for fragment in getattr(line, side))


def segments_on(line, side: str) -> list[int]:
    return [f.segment for f in getattr(line, side) if f.segment is not None]


@given(segment_pairs())
def test_each_side_reads_back_as_its_text(pairs) -> None:
    lines = lay_out(pairs)
    assert joined(lines, "source") == "".join(source for source, _ in pairs)
    assert joined(lines, "translation") == "".join(translation for _, translation in pairs)


@given(segment_pairs())
def test_each_line_of_the_source_is_a_line_beside_its_translation(pairs) -> None:
    """One line per source line, and line N holds the same segments on both sides."""
    lines = lay_out(pairs)
    source = "".join(source for source, _ in pairs)
    assert len(lines) == len(LINE_BREAK.findall(source)) + 1
    for line in lines:
        assert segments_on(line, "source") == segments_on(line, "translation")
        # Untranslated material is the same on both sides.
        assert [f.text for f in line.source if f.segment is None] == [
            f.text for f in line.translation if f.segment is None
        ]


@given(segment_pairs())
def test_every_segment_is_one_fragment_on_each_side_holding_its_sentence(pairs) -> None:
    lines = lay_out(pairs)
    found = [f for line in lines for f in line.source if f.segment is not None]
    assert [f.segment for f in found] == list(range(len(pairs)))
    for fragment, (source, _) in zip(found, pairs, strict=True):
        assert fragment.text.strip(" \t") in source
        assert not LINE_BREAK.search(fragment.text)


def test_a_document_lines_up_paragraph_by_paragraph() -> None:
    pairs = [
        ("Titel", "Title"),
        ("\n\nErster Satz.", "\n\nFirst sentence."),
        (" Zweiter Satz.", " Second sentence."),
        ("\n  - Punkt\n", "\n  - Point\n"),
    ]
    lines = lay_out(pairs)
    assert [segments_on(line, "translation") for line in lines] == [[0], [], [1, 2], [3], []]
    assert lines[3].translation == (Fragment("  "), Fragment("- Point", 3), Fragment("\n"))
    assert lines[1].source == (Fragment("\n"),)  # the blank line, on both sides


@given(segment_pairs())
def test_stored_lengths_cut_the_texts_back_into_their_pairs(pairs) -> None:
    source = "".join(s for s, _ in pairs)
    translation = "".join(t for _, t in pairs)
    assert split_pairs(source, translation, segment_lengths(pairs)) == pairs


def test_unknown_or_wrong_lengths_give_one_pair_of_the_whole_texts() -> None:
    assert split_pairs("Ein Satz.", "A sentence.", None) == [("Ein Satz.", "A sentence.")]
    assert split_pairs("Ein Satz.", "A sentence.", ((3, 4),)) == [("Ein Satz.", "A sentence.")]
