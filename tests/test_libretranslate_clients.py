"""The LibreTranslate clients people use, installed from PyPI and unmodified, against the real
backend: directly, and through the real Traefik with the project's configuration (under /api).

deep-translator (query-string POSTs), libretranslatepy (forms, POST /languages), translate
(provider "libre", which calls /detect for "autodetect") and libretranslate-aio (forms with
repeated q, sync and async, every endpoint it has).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from deep_translator import LibreTranslator
from libretranslate_aio import AsyncLibreTranslate, ForbiddenError, LibreTranslate
from libretranslatepy import LibreTranslateAPI
from translate import Translator

from tests.local_app import running

GERMAN = "Guten Morgen. Wie geht es Ihnen heute?"
ENGLISH = "Good morning, how are you doing today? The weather is very nice."


@pytest.fixture(scope="module")
def traefik_api(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make run` (Traefik, backend, frontend) on free ports; yield the API's base URL."""
    with running(tmp_path_factory.mktemp("lt-clients"), tiny_model) as app:
        yield f"{app.url}/api"


@pytest.fixture(params=["direct", "traefik"])
def lt_url(request: pytest.FixtureRequest) -> str:
    """The LibreTranslate API's base URL: the backend itself, then Traefik in front of it."""
    if request.param == "direct":
        return request.getfixturevalue("backend_url")
    return request.getfixturevalue("traefik_api")


def test_deep_translator_translates_a_text_and_a_batch(lt_url: str) -> None:
    client = LibreTranslator(source="de", target="en", api_key="unused", custom_url=f"{lt_url}/")
    assert client.translate(GERMAN).strip()
    assert len(client.translate_batch(["Hallo.", "Danke."])) == 2


def test_deep_translator_translates_a_file(lt_url: str, tmp_path: Path) -> None:
    path = tmp_path / "brief.txt"
    path.write_text(GERMAN, encoding="utf-8")
    client = LibreTranslator(source="de", target="en", api_key="x", custom_url=f"{lt_url}/")
    assert client.translate_file(str(path)).strip()


def test_libretranslatepy_translates_detects_and_lists(lt_url: str) -> None:
    api = LibreTranslateAPI(f"{lt_url}/")
    assert api.translate(GERMAN, "de", "en").strip()
    assert api.detect(ENGLISH)[0]["language"] == "en"
    assert {language["code"] for language in api.languages()} == {"de", "en"}


def test_libretranslatepy_sends_a_text_near_the_limit(backend_url: str) -> None:
    """950,000 characters in one form field (Starlette's default stops at 1 MiB)."""
    text = "Ja. " * 237_500
    assert len(LibreTranslateAPI(f"{backend_url}/").translate(text, "de", "de")) == len(text)


def test_translate_with_autodetect(lt_url: str) -> None:
    translator = Translator(to_lang="en", from_lang="autodetect", provider="libre", base_url=lt_url)
    assert translator.translate(GERMAN).strip()


def test_libretranslate_aio_sync_client_uses_every_endpoint(lt_url: str) -> None:
    with LibreTranslate(lt_url) as client:
        translation = client.translate(GERMAN, "de", "en", format="html", alternatives=2)
        assert translation.translated_text.strip()
        assert translation.alternatives == []
        listed = client.translate(["Ja."] * 1000, "de", "en")
        assert len(listed.translated_text) == 1000
        assert client.detect(ENGLISH)[0].language == "en"
        assert {language.code for language in client.languages()} == {"de", "en"}
        settings = client.frontend_settings()
        assert settings.language.source.code == "auto"
        assert client.health() is True
        with pytest.raises(ForbiddenError, match="Suggestions are disabled"):
            client.suggest("Hallo", "Hello", "de", "en")


async def test_libretranslate_aio_async_client_detects_english_for_auto(lt_url: str) -> None:
    async with AsyncLibreTranslate(lt_url) as client:
        translation = await client.translate(ENGLISH, "auto", "en")
    assert translation.translated_text == ENGLISH
    assert translation.detected_language.language == "en"


def test_a_browser_preflight_is_answered(lt_url: str) -> None:
    """CORS: what a browser extension's fetch() sends first, answered by the backend."""
    headers = {
        "Origin": "chrome-extension://abcdef",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    preflight = httpx.options(f"{lt_url}/translate", headers=headers)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
