"""Structure the model must never see: Markdown, tables, code, URLs, addresses, paths, tabs."""

from __future__ import annotations

import pytest
from backend.segmentation import reassemble, segment
from backend.segmentation.protect import protect, restore
from hypothesis import given, settings
from hypothesis import strategies as st


def translated(text: str) -> str:
    """Reassemble text with every sentence upper-cased, as a stand-in translation."""
    result = segment(text)
    return reassemble(result, [seg.text.upper() for seg in result.segments])


def sentences(text: str) -> list[str]:
    return [restore(seg.text, seg.kept) for seg in segment(text).segments]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Jahresbericht", "# JAHRESBERICHT"),
        ("### Drei Ebenen tief", "### DREI EBENEN TIEF"),
        ("> Ein Zitat.", "> EIN ZITAT."),
        ("> > Verschachtelt hier.", "> > VERSCHACHTELT HIER."),
        ("- Punkt eins.", "- PUNKT EINS."),
        ("IV. Kapitel vier", "IV. KAPITEL VIER"),
    ],
)
def test_line_markers_stay_and_only_the_text_is_translated(text: str, expected: str) -> None:
    assert translated(text) == expected


@pytest.mark.parametrize("start", ["z. B. kann man", "d. h. wir", "A. Merkel sagte", "u. a. hier"])
def test_prose_at_a_line_start_is_not_a_list_item(start: str) -> None:
    text = f"Oben.\n{start} das."
    assert sentences(text)[1] == f"{start} das."


def test_a_table_is_translated_cell_by_cell_with_pipes_and_alignment_kept() -> None:
    table = "| Name | Wert |\n|:-----|-----:|\n| Das Haus | alt |"
    assert translated(table) == "| NAME | WERT |\n|:-----|-----:|\n| DAS HAUS | ALT |"
    assert sentences(table) == ["Name", "Wert", "Das Haus", "alt"]


def test_a_fenced_code_block_is_untouched() -> None:
    text = "Vorher.\n```python\n# Kommentar hier.\nprint('Hallo Welt.')\n```\nNachher."
    assert translated(text) == text.replace("Vorher.", "VORHER.").replace("Nachher.", "NACHHER.")


def test_a_tilde_fence_is_closed_only_by_a_tilde_fence() -> None:
    text = "~~~\nDas bleibt.\n```\nDas auch.\n~~~\nDas nicht."
    assert sentences(text) == ["Das nicht."]


@pytest.mark.parametrize(
    "kept",
    [
        "`pip install x`",
        "https://example.com/a?b=c",
        "www.example.de/pfad",
        "info@example.de",
        "/etc/hosts",
        "./build/models",
        "C:\\Programme\\App",
        "bericht.pdf",
        "[3]",
    ],
)
def test_code_urls_addresses_and_paths_stay_verbatim_inside_a_sentence(kept: str) -> None:
    text = f"Siehe {kept} für mehr."
    result = segment(text)
    assert kept not in result.segments[0].text  # the model never sees it
    assert translated(text) == f"SIEHE {kept} FÜR MEHR."


def test_a_line_of_only_a_url_passes_through() -> None:
    text = "Text hier.\nhttps://example.com/x\nEnde."
    assert sentences(text) == ["Text hier.", "Ende."]


def test_tabs_separate_columns_translated_on_their_own() -> None:
    assert translated("Name\tWert\tAnmerkung hier") == "NAME\tWERT\tANMERKUNG HIER"


SPANS = st.sampled_from(["`a.b`", "https://x.de/p", "mail@x.de", "/tmp/f", "datei.txt", "[7]"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SPANS, min_size=1, max_size=5),
    st.lists(st.sampled_from(["keep", "drop", "damage", "double"]), min_size=5, max_size=5),
    st.randoms(use_true_random=False),
)
def test_a_damaged_missing_or_doubled_placeholder_loses_and_duplicates_nothing(
    spans: list[str], fates: list[str], rng
) -> None:
    text, kept = protect("Vorne " + " und ".join(spans) + " hinten.")
    assert list(kept) == spans
    words = text.split()
    out = []
    for word in words:
        if word.startswith("[") and word.endswith("]"):
            fate = fates[int(word[1:-1]) % 5]
            if fate == "drop":
                continue
            if fate == "damage":
                word = f"[ {word[1:-1]} ]"
            if fate == "double":
                out.append(word)
        out.append(word)
    rng.shuffle(out)  # the model may reorder words too
    restored = restore(" ".join(out), kept)
    for span in spans:  # each protected span exactly as often as in the source
        assert restored.count(span) == spans.count(span)


async def test_the_translator_puts_protected_spans_back(fake_engine) -> None:
    from backend.batching import BatchScheduler
    from backend.cache import TranslationCache
    from backend.translator import Translator

    text = "# Titel\n\nSiehe https://example.com/Pfad und `code()` hier.\n| Zelle eins | zwei |"
    async with BatchScheduler(fake_engine.translate_batch) as scheduler:
        translator = Translator(fake_engine, scheduler, TranslationCache(10))
        result = await translator.translate(text, request_id="r")
    assert result.translation == (
        "# TITEL\n\nSIEHE https://example.com/Pfad UND `code()` HIER.\n| ZELLE EINS | ZWEI |"
    )
    sent = [token for batch in fake_engine.batches for seq in batch for token in seq]
    assert "https://example.com/Pfad" not in sent
    assert "#" not in sent
    assert "|" not in sent
