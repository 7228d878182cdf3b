"""Segmentation: German sentences found correctly, structure kept verbatim, long ones cut to fit."""

from __future__ import annotations

import pytest
from backend.segmentation import Segment, reassemble, segment, split_segment, split_to_fit
from backend.segmentation.protect import restore

GERMAN_CORPUS = [
    ("Wir brauchen z. B. Äpfel. Dann gehen wir.", ["Wir brauchen z. B. Äpfel.", "Dann gehen wir."]),
    (
        "Dr. Müller kommt morgen. Er bringt Kuchen.",
        ["Dr. Müller kommt morgen.", "Er bringt Kuchen."],
    ),
    (
        "Äpfel, Birnen usw. sind Obst. Gemüse auch.",
        ["Äpfel, Birnen usw. sind Obst.", "Gemüse auch."],
    ),
    ("Siehe S. 12 im Buch. Danke.", ["Siehe S. 12 im Buch.", "Danke."]),
    (
        "Wir treffen uns am 3. Oktober 2026 in Berlin. Bis dann.",
        ["Wir treffen uns am 3. Oktober 2026 in Berlin.", "Bis dann."],
    ),
    ("Das ist Nr. 5 auf der Liste. Gut.", ["Das ist Nr. 5 auf der Liste.", "Gut."]),
    ("Er kommt heute bzw. morgen. Sicher.", ["Er kommt heute bzw. morgen.", "Sicher."]),
    ("Das ist d. h. sehr wichtig. Ja.", ["Das ist d. h. sehr wichtig.", "Ja."]),
    ("Es kostet ca. 5 Euro. Billig.", ["Es kostet ca. 5 Euro.", "Billig."]),
    ("Es kamen u. a. Peter und Paul. Schön.", ["Es kamen u. a. Peter und Paul.", "Schön."]),
    ("Der Wert ist 3.14 Meter. Genau.", ["Der Wert ist 3.14 Meter.", "Genau."]),
    ("Es waren 12,5 Grad. Es regnete.", ["Es waren 12,5 Grad.", "Es regnete."]),
    (
        "Er sagte: „Ich komme morgen.“ Dann ging er.",
        ["Er sagte: „Ich komme morgen.“", "Dann ging er."],
    ),
    ("Wirklich! Bist du sicher? Ja.", ["Wirklich!", "Bist du sicher?", "Ja."]),
    ("Am 24.12.2026 ist Weihnachten. Toll.", ["Am 24.12.2026 ist Weihnachten.", "Toll."]),
    ("Prof. Dr. med. Schmidt operiert. Gut so.", ["Prof. Dr. med. Schmidt operiert.", "Gut so."]),
    (
        "Er wurde am 1. Jan. 2020 geboren. Sie nicht.",
        ["Er wurde am 1. Jan. 2020 geboren.", "Sie nicht."],
    ),
    ("Ich wohne Hauptstr. 5 in Bonn. Komm.", ["Ich wohne Hauptstr. 5 in Bonn.", "Komm."]),
    (
        "Es war im 19. Jh. sehr anders. Heute nicht.",
        ["Es war im 19. Jh. sehr anders.", "Heute nicht."],
    ),
    ("Siehe https://example.com/a.b?c=d. Danke.", ["Siehe https://example.com/a.b?c=d.", "Danke."]),
    ("Kein Punkt am Ende", ["Kein Punkt am Ende"]),
]


@pytest.mark.parametrize(("text", "sentences"), GERMAN_CORPUS)
def test_german_sentences_are_split_where_a_reader_would(text: str, sentences: list[str]) -> None:
    result = segment(text)
    assert [restore(seg.text, seg.kept) for seg in result.segments] == sentences
    assert reassemble(result, [seg.text for seg in result.segments]) == text


def test_a_number_is_not_taken_for_a_list_item_inside_a_line() -> None:
    # pysbd alone gives "Satz Nummer" | "0. Satz Nummer" | "1. Satz Nummer 2.".
    result = segment("Satz Nummer 0. Satz Nummer 1. Satz Nummer 2.")
    assert result.segments[0].text.startswith("Satz Nummer 0.")


def test_a_number_after_a_full_stop_still_starts_a_sentence() -> None:
    assert len(segment("Das war 2019. 2020 war besser.").segments) == 2


def test_blank_lines_indentation_and_crlf_go_into_prefixes() -> None:
    text = "Erster Satz.\r\n\r\n    Eingerückt hier.  \nLetzter Satz.\n\n"
    result = segment(text)
    assert result.segments == (
        Segment("", "Erster Satz."),
        Segment("\r\n\r\n    ", "Eingerückt hier."),
        Segment("  \n", "Letzter Satz."),
    )
    assert result.trailer == "\n\n"


@pytest.mark.parametrize(
    "marker", ["- ", "• ", "* ", "1. ", "12) ", "a) ", "iv. ", "  - ", "1.2. "]
)
def test_list_markers_stay_untranslated(marker: str) -> None:
    result = segment(f"Einleitung.\n{marker}Ein Punkt der Liste.")
    assert result.segments[1] == Segment(f"\n{marker}", "Ein Punkt der Liste.")


def test_lines_without_letters_pass_through_untranslated() -> None:
    text = "Oben.\n---\n* * *\n2026\nUnten."
    result = segment(text)
    assert [seg.text for seg in result.segments] == ["Oben.", "Unten."]
    assert result.segments[1].prefix == "\n---\n* * *\n2026\n"


def test_a_sentence_never_spans_a_line_break() -> None:
    result = segment("Dieser Satz ist\nhart umbrochen.")
    assert [seg.text for seg in result.segments] == ["Dieser Satz ist", "hart umbrochen."]


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\r\n  "])
def test_empty_or_whitespace_text_has_no_segments(text: str) -> None:
    result = segment(text)
    assert result.segments == ()
    assert result.trailer == text


def test_reassemble_wants_one_translation_per_segment() -> None:
    with pytest.raises(ValueError, match="one translation per segment"):
        reassemble(segment("Eins. Zwei."), ["One."])


def test_a_long_paragraph_is_segmented_in_linear_time_and_completely() -> None:
    sentence = "Dr. Müller sagte am 3. Oktober 2026, dass z. B. die Preise gestiegen sind."
    text = " ".join([sentence] * 3000)  # ~230,000 characters on one line
    result = segment(text)
    assert [seg.text for seg in result.segments] == [sentence] * 3000
    assert reassemble(result, [seg.text for seg in result.segments]) == text


def count_words(text: str) -> int:
    return len(text.split())


def test_split_to_fit_leaves_a_fitting_sentence_alone() -> None:
    assert split_to_fit("Ein kurzer Satz.", count_words, 3) == ["Ein kurzer Satz."]


def test_split_to_fit_prefers_clause_punctuation() -> None:
    sentence = "eins zwei, drei vier; fünf sechs: sieben acht"
    pieces = split_to_fit(sentence, count_words, 4)
    assert pieces == ["eins zwei, drei vier;", " fünf sechs: sieben acht"]


def test_split_to_fit_cuts_between_words_when_a_clause_is_too_long() -> None:
    sentence = " ".join(f"w{i}" for i in range(10))
    pieces = split_to_fit(sentence, count_words, 3)
    assert "".join(pieces) == sentence
    assert [count_words(piece) for piece in pieces] == [3, 3, 3, 1]


def test_split_to_fit_cuts_a_huge_word_by_characters() -> None:
    def count_chunks(text: str) -> int:
        return -(-len(text.strip()) // 4)  # one token per four characters

    sentence = "x" * 30 + " Ende"
    pieces = split_to_fit(sentence, count_chunks, 2)
    assert "".join(pieces) == sentence
    assert all(count_chunks(piece) <= 2 for piece in pieces)
    assert len(pieces) >= 4


def test_split_to_fit_sends_a_single_character_over_the_window_whole() -> None:
    def count_double(text: str) -> int:
        return 2 * len(text)

    assert split_to_fit("abc", count_double, 1) == ["a", "b", "c"]


def test_split_to_fit_refuses_a_zero_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_to_fit("Satz.", count_words, 0)


def test_split_segment_keeps_the_prefix_first_and_spaces_between_pieces() -> None:
    pieces = split_segment(Segment("\n- ", "eins zwei drei vier fünf"), count_words, 2)
    assert pieces == [
        Segment("\n- ", "eins zwei"),
        Segment(" ", "drei vier"),
        Segment(" ", "fünf"),
    ]


def test_text_that_crashed_pysbd_is_split_like_any_other() -> None:
    # pysbd 0.3.4 raised ValueError (int("\x1f0")) on this input; found by hypothesis.
    text = "Satz 0\x1f0. Noch einer."
    result = segment(text)
    assert [seg.text for seg in result.segments] == ["Satz 0\x1f0.", "Noch einer."]


@pytest.mark.parametrize("symbol", ["♨️", "☝️", "♭", "♬", "☉", "∮", "∯", "☇", "☈", "☄"])
def test_pysbd_placeholder_characters_lose_no_sentence(symbol: str) -> None:
    # pysbd uses these characters internally and dropped the sentence holding one (issue #11).
    text = f"Das Bad {symbol} hat geöffnet. Kommt alle!"
    result = segment(text)
    sentences = [f"Das Bad {symbol} hat geöffnet.", "Kommt alle!"]
    assert [seg.text for seg in result.segments] == sentences


def test_a_long_line_without_spaces_is_one_sentence() -> None:
    text = "Wort" * 25_000  # 100,000 characters; the translator cuts it to the model's window
    result = segment(text)
    assert [seg.text for seg in result.segments] == [text]


def test_a_window_of_only_spaces_does_not_end_the_line() -> None:
    text = "Erster Satz." + " " * 5000 + "Zweiter Satz."
    result = segment(text)
    assert [seg.text for seg in result.segments] == ["Erster Satz.", "Zweiter Satz."]
