"""Segmentation loses nothing: every character is kept, every word with letters is translated.

Generated over every Unicode symbol block, emoji sequences (ZWJ, variation selectors, skin tones,
flags), combining marks and the characters pysbd used as internal placeholders (issue #11).
"""

from __future__ import annotations

import re

from backend.segmentation import iter_segments, reassemble, segment
from backend.segmentation.protect import PROTECTED
from hypothesis import given, settings
from hypothesis import strategies as st

PYSBD_PLACEHOLDERS = "☝♨☄♭♬☉∮∯☇☈∰&ᓰᓱᓳᓴᓷᓸ"
EMOJI_SEQUENCES = [
    "👨\u200d👩\u200d👧",  # ZWJ family
    "❤\ufe0f",  # variation selector 16
    "♨\ufe0f",
    "☝\ufe0f",
    "☝🏽",  # skin tone modifier
    "🇩🇪",  # regional indicator flag
    "1\ufe0f\u20e3",  # keycap
    "🏳\ufe0f\u200d🌈",
]
WORDS = ["Das", "Haus", "ist", "alt", "z. B.", "usw.", "3.", "Dr.", "Müller", "ß", "Œuvre"]
PUNCTUATION = [". ", "! ", "? ", "… ", ", ", "„", "“ ", " ", "  ", "\t", "\n", "\r\n", "\n\n"]
SYMBOLS = st.characters(categories=["So", "Sm", "Sc", "Sk"])
MARKS = st.characters(categories=["Mn", "Mc", "Me"])
PIECE = st.one_of(
    st.sampled_from(WORDS + PUNCTUATION + EMOJI_SEQUENCES),
    st.sampled_from(PYSBD_PLACEHOLDERS),
    SYMBOLS,
    MARKS,
    st.text(max_size=3),
)
TEXT = st.lists(PIECE, max_size=60).map("".join)
#: A list marker at a line's start is kept on purpose ("a) ", "iv. ", "(b) ", "IV.").
MARKER = re.compile(r"\(?(?:[A-Za-z]|[ivxIVX]{1,4})\)|\(\w{1,3}\)|[IVX]{1,4}\.|[ivx]{2,4}\.")


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_reassembling_identity_translations_gives_the_input(text: str) -> None:
    result = segment(text)
    assert reassemble(result, [seg.text for seg in result.segments]) == text


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_every_word_with_letters_is_sent_for_translation(text: str) -> None:
    if "```" in text or "~~~" in text:
        return  # a code block is protected on purpose (tests/test_structure.py)
    passed_through = "".join(seg.prefix for seg in iter_segments(text))
    # Code, URLs, addresses and paths are protected on purpose; everything else is sent.
    for word in PROTECTED.sub(" ", passed_through).split():
        if any(char.isalpha() for char in word):
            assert MARKER.fullmatch(word), f"{word!r} of {text!r} would stay untranslated"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + EMOJI_SEQUENCES + list(PYSBD_PLACEHOLDERS)), min_size=1))
def test_sentences_with_placeholder_characters_are_all_found(words: list[str]) -> None:
    sentences = [f"Satz {word} hier." for word in words]
    result = segment(" ".join(sentences))
    assert [seg.text for seg in result.segments] == sentences
