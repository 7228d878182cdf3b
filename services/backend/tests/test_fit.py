"""Over-long sentences are cut at the best clause boundary that keeps each piece under the limit."""

from __future__ import annotations

from backend.segmentation import split_to_fit


def count_words(text: str) -> int:
    return len(text.split())


def test_a_semicolon_wins_over_a_comma() -> None:
    sentence = "eins zwei, drei vier; fünf sechs, sieben acht"
    assert split_to_fit(sentence, count_words, 6) == [
        "eins zwei, drei vier;",
        " fünf sechs, sieben acht",
    ]


def test_a_comma_is_used_when_no_stronger_boundary_fits() -> None:
    sentence = "eins zwei drei, vier fünf sechs, sieben acht neun"
    assert split_to_fit(sentence, count_words, 4) == [
        "eins zwei drei,",
        " vier fünf sechs,",
        " sieben acht neun",
    ]


def test_a_clause_without_punctuation_is_cut_before_a_conjunction() -> None:
    sentence = "wir gingen nach Hause und dann aßen wir weil wir Hunger hatten"
    pieces = split_to_fit(sentence, count_words, 5)
    assert pieces == ["wir gingen nach Hause", " und dann aßen wir", " weil wir Hunger hatten"]


def test_the_cut_falls_at_the_boundary_nearest_the_limit() -> None:
    sentence = "a, b, c, d, e, f, g, h"
    pieces = split_to_fit(sentence, count_words, 5)
    assert pieces == ["a, b, c, d, e,", " f, g, h"]
