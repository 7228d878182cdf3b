"""The LibreTranslate endpoints, through the real libretranslatepy client and a real server."""

from __future__ import annotations

import json
import urllib.error

import httpx
import pytest
from libretranslatepy import LibreTranslateAPI


@pytest.fixture(scope="module")
def api(backend_url: str) -> LibreTranslateAPI:
    """A libretranslatepy client pointed at the real backend (CTranslate2, tiny model)."""
    return LibreTranslateAPI(backend_url)


def test_client_translates_a_string(api: LibreTranslateAPI) -> None:
    """libretranslatepy's translate() (a form POST) returns a non-empty string."""
    translated = api.translate("Guten Morgen. Wie geht es Ihnen?", source="de", target="en")
    assert isinstance(translated, str)
    assert translated.strip()


def test_client_lists_languages_with_targets(api: LibreTranslateAPI) -> None:
    """languages() lists German with English (and, as Argos, German itself) as targets."""
    languages = {entry["code"]: entry for entry in api.languages()}
    assert languages["de"]["name"] == "German"
    assert languages["de"]["targets"] == ["de", "en"]
    assert "en" in languages


def test_client_accepts_auto_source(api: LibreTranslateAPI) -> None:
    """source=auto means the model's source language."""
    assert api.translate("Hallo Welt.", source="auto", target="en").strip()


def test_client_sees_an_error_for_an_unsupported_pair(api: LibreTranslateAPI) -> None:
    """An unsupported language is HTTP 400 with LibreTranslate's {"error": ...} body."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        api.translate("Hallo", source="de", target="fr")
    assert caught.value.code == 400
    assert json.loads(caught.value.read()) == {"error": "fr is not supported"}


def test_json_list_gets_a_list_in_order(backend_url: str) -> None:
    """A JSON q list is answered with a list of the same length; whitespace stays whitespace."""
    q = ["Erster Satz.", "  ", "Zweiter Satz. Dritter Satz."]
    response = httpx.post(f"{backend_url}/translate", json={"q": q, "source": "de", "target": "en"})
    assert response.status_code == 200
    translated = response.json()["translatedText"]
    assert isinstance(translated, list)
    assert len(translated) == 3
    assert translated[1] == "  "
    assert translated[0].strip()
    assert translated[2].strip()


def test_form_with_repeated_q_gets_a_list(backend_url: str) -> None:
    """A form may repeat q; the answer is a list."""
    data = [("q", "Eins."), ("q", "Zwei."), ("source", "de"), ("target", "en")]
    response = httpx.post(
        f"{backend_url}/translate",
        content=str(httpx.QueryParams(data)).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert len(response.json()["translatedText"]) == 2


@pytest.mark.parametrize(
    "payload",
    [{"source": "de", "target": "en"}, {"q": 3, "source": "de", "target": "en"}, {"q": "x"}],
)
def test_invalid_request_gets_400_with_an_error(backend_url: str, payload: dict) -> None:
    """Missing or malformed parameters are a 400 with LibreTranslate's {"error": ...} body."""
    response = httpx.post(f"{backend_url}/translate", json=payload)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid request")


def test_text_over_the_limit_gets_400(backend_url: str) -> None:
    """The character limit covers all of q together; LibreTranslate answers 400."""
    response = httpx.post(
        f"{backend_url}/translate",
        json={"q": ["a" * 600_000, "b" * 600_000], "source": "de", "target": "en"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid request: request (1200000) exceeds text limit (1000000)"
    }
