"""Properties of segmentation that must hold for every input, found by hypothesis."""

from __future__ import annotations

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
