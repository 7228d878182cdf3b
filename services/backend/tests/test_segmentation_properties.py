"""Properties of segmentation that must hold for every input, found by hypothesis."""

from __future__ import annotations

import time

from backend.segmentation import reassemble, segment, split_to_fit
from hypothesis import given, settings
from hypothesis import strategies as st

# Text built from German-ish words, punctuation, markers and every kind of whitespace and line
# break, mixed with arbitrary unicode, so the structure-heavy cases come up often.
PIECES = st.sampled_from(
    [
        "Satz",
        "z. B.",
        "Dr.",
        "usw.",
        "3.",
        "Oktober",
        "2026",
        ". ",
        "! ",
        "? ",
        ", ",
        "- ",
        "• ",
        "1. ",
        "a) ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\n\n",
        "\u2028",
        "\x0c",
        "„Zitat.“ ",
        "ß",
        "—",
    ]
)
TEXT = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=5))).map("".join))
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
TRANSLATION = st.text(
    st.characters(blacklist_characters=LINE_BREAKS), min_size=1, max_size=12
).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_identity_translations_give_back_the_input_exactly(text: str) -> None:
    result = segment(text)
    assert reassemble(result, [seg.text for seg in result.segments]) == text


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_sentences_are_non_empty_stripped_and_single_line(text: str) -> None:
    for seg in segment(text).segments:
        assert seg.text
        assert seg.text == seg.text.strip()
        assert len(seg.text.splitlines()) == 1


@settings(max_examples=300, deadline=None)
@given(TEXT, st.data())
def test_any_translation_keeps_the_line_structure(text: str, data: st.DataObject) -> None:
    result = segment(text)
    translations = [data.draw(TRANSLATION) for _ in result.segments]
    output = reassemble(result, translations)
    source_lines = text.splitlines(keepends=True)
    output_lines = output.splitlines(keepends=True)
    assert len(output_lines) == len(source_lines)
    for source_line, output_line in zip(source_lines, output_lines, strict=True):
        # Same line ending, same blank lines, same indentation and list marker.
        assert _ending(output_line) == _ending(source_line)
        assert (source_line.strip() == "") == (output_line.strip() == "")
        body = source_line.rstrip("\r\n" + LINE_BREAKS)
        indent = body[: len(body) - len(body.lstrip())]
        assert output_line.startswith(indent)


def _ending(line: str) -> str:
    return line[len(line.rstrip(LINE_BREAKS)) :]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1).filter(str.strip).map(str.strip), st.integers(1, 6))
def test_split_to_fit_pieces_join_back_and_fit(sentence: str, max_tokens: int) -> None:
    def count(text: str) -> int:
        return len(text.split()) + len(text) // 7

    pieces = split_to_fit(sentence, count, max_tokens)
    assert "".join(pieces) == sentence
    for piece in pieces:
        # Only a single character may exceed the window: it cannot be cut further.
        assert count(piece) <= max_tokens or len(piece.strip()) == 1


# What the segmenter's regular expressions scan: terminal marks, closing quotes, the parts of
# e-mail addresses, URLs, paths and file names, word characters. A unit of them repeated to a
# long text without a line break once cost its length squared (40,000 periods: 27 s).
SCANNED = (
    st.lists(
        st.sampled_from([*".!?…\"'“”»«‘’)]([@+-_/\\:;,`~|wW1ä", "www.", "http://", ".pdf", " "]),
        min_size=1,
        max_size=4,
    )
    .map("".join)
    .filter(str.strip)
)
BOMB_CHARS = 60_000


@settings(max_examples=40, deadline=None)
@given(SCANNED)
def test_a_long_repetition_segments_in_time_proportional_to_its_length(unit: str) -> None:
    """A hostile text costs about what prose of the same length costs, and loses nothing.

    Timed against prose measured in the same test (so a slow machine slows both): a cost growing
    with the square of the length is over 100 times the prose's at this length, linear is ~1-5.
    """
    bomb = (unit * (BOMB_CHARS // len(unit) + 1))[:BOMB_CHARS]
    prose = ("Der Zug fährt um 3 Uhr ab, sagt Dr. Müller. " * (BOMB_CHARS // 40))[:BOMB_CHARS]
    started = time.perf_counter()
    segment(prose)
    prose_s = time.perf_counter() - started
    started = time.perf_counter()
    result = segment(bomb)
    bomb_s = time.perf_counter() - started
    assert bomb_s <= 25 * prose_s + 0.5, (
        f"{unit!r} x {len(bomb)}: {bomb_s:.2f}s, prose {prose_s:.3f}s"
    )
    assert reassemble(result, [seg.text for seg in result.segments]) == bomb
