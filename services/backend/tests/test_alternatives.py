"""alternatives=N: further translations from the beam's n-best list, on both real engines."""

from __future__ import annotations

import pytest
from backend.alternatives import alternatives

GERMAN = "Guten Morgen. Wie geht es Ihnen heute?"


def test_the_engines_n_best_list_starts_with_the_translation(tiny_engine) -> None:
    tokens = tiny_engine.tokenize([GERMAN, ""])
    nbest = tiny_engine.translate_alternatives(tokens, 3)
    assert len(nbest[0]) == 3
    assert nbest[0][0] == tiny_engine.translate_batch(tokens)[0]
    assert nbest[1] == [""]


def test_alternatives_differ_from_the_translation_and_from_each_other(tiny_engine) -> None:
    best = tiny_engine.translate_batch(tiny_engine.tokenize(["Guten Morgen."]))[0]
    text = "Guten Morgen.\n\nWie geht es Ihnen heute?"
    found = alternatives(tiny_engine, text, best, 3)
    assert 1 <= len(found) <= 3
    assert len(set(found)) == len(found)
    assert best not in found
    assert all("\n\n" in candidate for candidate in found)  # the text's structure is kept


@pytest.mark.parametrize("q", [GERMAN, [GERMAN, "Danke."]])
async def test_libretranslate_answers_alternatives_in_the_shape_of_q(lt_client, q) -> None:
    response = await lt_client.post(
        "/translate", json={"q": q, "source": "de", "target": "en", "alternatives": 2}
    )
    body = response.json()
    if isinstance(q, str):
        assert 1 <= len(body["alternatives"]) <= 2
        assert body["translatedText"] not in body["alternatives"]
    else:
        assert len(body["alternatives"]) == 2
        assert all(isinstance(found, list) for found in body["alternatives"])
        assert body["alternatives"][0]


async def test_no_alternatives_for_html(lt_client) -> None:
    response = await lt_client.post(
        "/translate",
        json={
            "q": "<b>Hallo</b>",
            "source": "de",
            "target": "en",
            "alternatives": 2,
            "format": "html",
        },
    )
    assert response.json()["alternatives"] == []
