"""The LibreTranslate endpoints in-process (real CTranslate2 engine, tiny model): parameters,
errors and LibreTranslate 1.9.6's answers, endpoint by endpoint."""

from __future__ import annotations

import json

import httpx
import pytest

GERMAN = "Guten Morgen. Wie geht es Ihnen heute?"
ENGLISH = "Good morning, how are you doing today? The weather is nice."


async def post_json(client: httpx.AsyncClient, path: str, payload: object) -> httpx.Response:
    """POST payload as JSON with ASCII escapes, so lone surrogates travel as JSON allows."""
    headers = {"content-type": "application/json"}
    return await client.post(path, content=json.dumps(payload).encode(), headers=headers)


def form(pairs: list[tuple[str, str]]) -> dict:
    return {
        "content": str(httpx.QueryParams(pairs)).encode(),
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    }


async def test_query_string_parameters_of_a_bodyless_post_are_read(lt_client) -> None:
    """deep-translator sends everything in the query string of a POST with no body."""
    response = await lt_client.post(
        "/translate", params={"q": GERMAN, "source": "de", "target": "en", "format": "text"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["translatedText"].strip()


async def test_query_string_wins_over_the_form(lt_client) -> None:
    """request.values: the query string first, then the form (Werkzeug's order)."""
    response = await lt_client.post(
        "/translate?target=xx", **form([("q", GERMAN), ("source", "de"), ("target", "en")])
    )
    assert response.status_code == 400
    assert response.json() == {"error": "xx is not supported"}


async def test_a_json_body_ignores_the_query_string(lt_client) -> None:
    response = await lt_client.post(
        "/translate?target=xx", json={"q": GERMAN, "source": "de", "target": "en"}
    )
    assert response.status_code == 200


async def test_multipart_form_is_read(lt_client) -> None:
    response = await lt_client.post(
        "/translate", data={"q": GERMAN, "source": "de", "target": "en"}, files={"x": ("a", b"")}
    )
    assert response.status_code == 200, response.text


async def test_a_form_list_longer_than_a_thousand_fields_is_accepted(lt_client) -> None:
    """Starlette's default limit is 1,000 fields; ours is BATCH_LIMIT."""
    pairs = [("q", "Ja.")] * 1500 + [("source", "de"), ("target", "en")]
    response = await lt_client.post("/translate", **form(pairs))
    assert response.status_code == 200, response.text
    assert len(response.json()["translatedText"]) == 1500


async def test_a_form_field_larger_than_a_mebibyte_is_accepted(
    lt_client, tiny_engines, lt_settings, lt_client_factory
) -> None:
    big = lt_settings.model_copy(update={"max_text_chars": 400_000})
    async for large in lt_client_factory(big, tiny_engines["ctranslate2"]):
        text = "ä" * 390_000  # 2.3 MB percent-encoded
        response = await large.post(
            "/translate", **form([("q", text), ("source", "de"), ("target", "de")])
        )
        assert response.status_code == 200, response.text[:200]
        assert response.json()["translatedText"] == text


async def test_form_line_breaks_are_normalised_as_libretranslate_does(lt_client) -> None:
    response = await lt_client.post(
        "/translate", **form([("q", "a\r\nb\r\n"), ("source", "de"), ("target", "de")])
    )
    assert response.json() == {"translatedText": "a\nb"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"source": "de", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": "", "source": "de", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": [], "source": "de", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": "x", "target": "en"}, "Invalid request: missing source parameter"),
        ({"q": "x", "source": "de"}, "Invalid request: missing target parameter"),
        ({"q": "x", "source": "fr", "target": "en"}, "fr is not supported"),
        ({"q": "x", "source": "de", "target": "fr"}, "fr is not supported"),
        (
            {"q": "x", "source": "de", "target": "en", "format": "xml"},
            "xml format is not supported",
        ),
        (
            {"q": "x", "source": "en", "target": "de"},
            "German (de) is not available as a target language from English (en)",
        ),
        (
            {"q": "x", "source": "de", "target": "en", "alternatives": "many"},
            "Invalid request: alternatives parameter is not a number",
        ),
        (
            {"q": "x", "source": "de", "target": "en", "alternatives": 4},
            "Invalid request: alternatives parameter must be <= 3",
        ),
        (
            {"q": "a" * 5001, "source": "de", "target": "en"},
            "Invalid request: request (5001) exceeds text limit (5000)",
        ),
        (
            {"q": 3, "source": "de", "target": "en"},
            "Invalid request: q parameter must be a string or a list of strings",
        ),
        (
            {"q": "\ud800", "source": "de", "target": "en"},
            "Invalid request: q parameter is not valid Unicode",
        ),
    ],
)
async def test_invalid_requests_get_libretranslates_400_and_message(
    lt_client, payload, message
) -> None:
    response = await post_json(lt_client, "/translate", payload)
    assert response.status_code == 400
    assert response.json() == {"error": message}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "Failed to decode JSON object"),
        (b"[1]", "Invalid JSON format"),
        (b"[" * 100_000, "Failed to decode JSON object"),
    ],
)
async def test_malformed_json_gets_400(lt_client, body, message) -> None:
    response = await lt_client.post(
        "/translate", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


async def test_unknown_path_and_wrong_method_answer_in_libretranslate_shape(lt_client) -> None:
    missing = await lt_client.get("/nothing-here")
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    wrong = await lt_client.get("/translate")
    assert (wrong.status_code, wrong.json()) == (405, {"error": "Method Not Allowed"})
    assert "x-request-id" in wrong.headers
    native = await lt_client.get("/v1/nothing")
    assert native.json() == {"detail": "Not Found"}
