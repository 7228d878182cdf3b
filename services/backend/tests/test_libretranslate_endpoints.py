"""/detect, source=auto, /frontend/settings, /health, /spec, /suggest, API keys, CORS and the
never-a-500 guarantee, in-process on the real CTranslate2 engine (tiny model)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GERMAN = "Guten Morgen, wie geht es Ihnen heute? Das Wetter ist schön."
ENGLISH = "Good morning, how are you doing today? The weather is nice."


async def test_detect_names_german_and_english(lt_client) -> None:
    german = (await lt_client.post("/detect", data={"q": GERMAN})).json()
    english = (await lt_client.post("/detect", json={"q": ENGLISH})).json()
    assert german[0]["language"] == "de"
    assert english[0]["language"] == "en"
    assert 50 <= english[0]["confidence"] <= 100


async def test_detect_without_letters_is_english_with_confidence_zero(lt_client) -> None:
    response = await lt_client.post("/detect", json={"q": "12345 !!"})
    assert response.json() == [{"confidence": 0.0, "language": "en"}]


async def test_detect_without_q_is_400(lt_client) -> None:
    response = await lt_client.post("/detect", json={})
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Invalid request: missing q parameter"},
    )


async def test_auto_source_translates_german_and_reports_it(lt_client) -> None:
    response = await lt_client.post(
        "/translate", json={"q": GERMAN, "source": "auto", "target": "en"}
    )
    body = response.json()
    assert body["detectedLanguage"]["language"] == "de"
    assert body["translatedText"] != GERMAN


async def test_english_text_with_auto_source_comes_back_unchanged_as_in_libretranslate(
    lt_client,
) -> None:
    """LibreTranslate (Argos) detects en and applies its identity en->en translation."""
    response = await lt_client.post(
        "/translate", json={"q": [ENGLISH], "source": "auto", "target": "en"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["translatedText"] == [ENGLISH]
    assert body["detectedLanguage"][0]["language"] == "en"


async def test_emoji_only_text_comes_back_as_it_is(lt_client) -> None:
    response = await lt_client.post(
        "/translate", json={"q": "😀 😀", "source": "auto", "target": "en"}
    )
    assert response.json() == {
        "translatedText": "😀 😀",
        "detectedLanguage": {"confidence": 0.0, "language": "en"},
    }


async def test_frontend_settings_describe_the_server(lt_client) -> None:
    body = (await lt_client.get("/frontend/settings")).json()
    assert body["charLimit"] == 5_000
    assert body["apiKeys"] is False
    assert body["keyRequired"] is False
    assert body["suggestions"] is False
    assert body["filesTranslation"] is True
    assert {".docx", ".odt", ".pptx", ".srt", ".epub", ".pdf"} <= set(body["supportedFilesFormat"])
    assert body["language"]["source"] == {"code": "auto", "name": "Auto Detect"}
    assert body["language"]["target"]["code"] == "en"


async def test_health_spec_and_suggest(lt_client) -> None:
    assert (await lt_client.get("/health")).json() == {"status": "ok"}
    assert "/translate" in (await lt_client.get("/spec")).json()["paths"]
    suggest = await lt_client.post(
        "/suggest", data={"q": "a", "s": "b", "source": "de", "target": "en"}
    )
    assert (suggest.status_code, suggest.json()) == (
        403,
        {"error": "Suggestions are disabled on this server."},
    )


@pytest.mark.parametrize("required", [True, False])
async def test_api_keys(lt_client_factory, lt_settings, tiny_engines, tmp_path, required) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# operators' keys\nkey-one\n\nkey-two\n")
    configured = lt_settings.model_copy(
        update={"api_keys_file": keys, "api_keys_required": required}
    )
    async for client in lt_client_factory(configured, tiny_engines["ctranslate2"]):
        payload = {"q": GERMAN, "source": "de", "target": "en"}
        good = await client.post("/translate", json={**payload, "api_key": "key-two"})
        assert good.status_code == 200
        wrong = await client.post("/translate", data={**payload, "api_key": "nope"})
        assert (wrong.status_code, wrong.json()) == (403, {"error": "Invalid API key"})
        without = await client.post("/detect", json={"q": GERMAN})
        if required:
            assert without.status_code == 400
            assert without.json() == {
                "error": "Please contact the server operator to get an API key"
            }
        else:
            assert without.status_code == 200
        settings_body = (await client.get("/frontend/settings")).json()
        assert (settings_body["apiKeys"], settings_body["keyRequired"]) == (True, required)


async def test_cors_preflight_is_answered_for_any_origin_by_default(lt_client) -> None:
    headers = {
        "Origin": "moz-extension://abc",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    preflight = await lt_client.options("/translate", headers=headers)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-request-id" in preflight.headers
    simple = await lt_client.get("/languages", headers={"Origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"


async def test_cors_origins_can_be_limited_or_turned_off(
    lt_client_factory, lt_settings, tiny_engines
) -> None:
    for origins, allowed in (("https://app.example", "https://app.example"), ("", None)):
        configured = lt_settings.model_copy(update={"cors_origins": origins})
        async for client in lt_client_factory(configured, tiny_engines["ctranslate2"]):
            response = await client.get("/languages", headers={"Origin": "https://app.example"})
            assert response.headers.get("access-control-allow-origin") == allowed
            other = await client.get("/languages", headers={"Origin": "https://other.example"})
            assert "access-control-allow-origin" not in other.headers


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ROUTES = [
    "/translate",
    "/detect",
    "/suggest",
    "/languages",
    "/v1/translate",
    "/v1/translate/stream",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(ROUTES),
    payload=st.dictionaries(
        st.sampled_from(["q", "text", "source", "target", "format", "alternatives", "api_key"]),
        JSON_VALUES,
        max_size=6,
    ),
)
async def test_no_json_input_gets_a_500(lt_client, route, payload) -> None:
    """Any JSON, lone surrogates and control characters included (ASCII escapes), is answered."""
    body = json.dumps(payload).encode()
    response = await lt_client.post(
        route, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    assert "x-request-id" in response.headers


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"q": ' + b"9" * 5000 + b"}",
        b'{"q": "\\ud800", "text": "\\udfff"}',
        b"\xff\xfe",
        b'{"text": "\\u0000\\u001b"}',
    ],
)
@pytest.mark.parametrize("route", ROUTES)
async def test_hostile_bodies_get_an_answer_not_a_500(lt_client, route, body) -> None:
    response = await lt_client.post(
        route, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    assert "x-request-id" in response.headers


async def test_an_unexpected_error_is_a_json_500_with_the_request_id(
    lt_client, monkeypatch
) -> None:
    """Even an unforeseen bug answers JSON with X-Request-ID (Starlette's outermost handler)."""
    from backend.api.routes import libretranslate

    def broken(state):
        raise RuntimeError("bug")

    monkeypatch.setattr(libretranslate, "language_targets", broken)
    response = await lt_client.get("/languages", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    assert response.headers["x-request-id"] == "req-42"


HTML = '<p class="x">Guten <b>Morgen</b>, Welt.</p><pre>Code bleibt</pre><!-- Notiz -->'


async def test_format_html_keeps_the_markup_on_libretranslate(lt_client) -> None:
    response = await lt_client.post(
        "/translate", json={"q": [HTML, "Hallo."], "source": "de", "target": "en", "format": "html"}
    )
    translated = response.json()["translatedText"]
    assert re.findall(r"<[^>]*>", translated[0]) == re.findall(r"<[^>]*>", HTML)
    assert "<pre>Code bleibt</pre><!-- Notiz -->" in translated[0]
    assert "Guten" not in translated[0]


@pytest.mark.parametrize("path", ["/v1/translate", "/v1/translate/stream"])
async def test_format_html_on_v1(lt_client, path) -> None:
    response = await lt_client.post(path, json={"text": HTML, "format": "html"})
    assert response.status_code == 200
    if path.endswith("stream"):
        lines = [json.loads(line) for line in response.text.splitlines()]
        translated, done = lines[0]["text"], lines[-1]
        assert done["done"] is True
    else:
        translated = response.json()["translation"]
        assert response.json()["segments"] == 1
    assert re.findall(r"<[^>]*>", translated) == re.findall(r"<[^>]*>", HTML)


FORM_NAMES = st.sampled_from(["q", "source", "target", "format", "alternatives", "api_key", "s"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(["/translate", "/detect", "/suggest"]),
    pairs=st.lists(st.tuples(FORM_NAMES, st.text(max_size=20)), max_size=6),
    in_query=st.booleans(),
)
async def test_no_form_or_query_input_gets_a_500(lt_client, route, pairs, in_query) -> None:
    """Any form or query string (control characters, odd Unicode, repeated fields) is answered."""
    if in_query:
        response = await lt_client.post(route, params=pairs)
    else:
        response = await lt_client.post(route, data=dict(pairs))
    assert response.status_code < 500, response.text
    assert "x-request-id" in response.headers


async def test_invalid_utf8_in_a_form_gets_an_answer(lt_client) -> None:
    body = b"q=%ff%fe%ed%a0%80&source=de&target=en"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = await lt_client.post("/translate", content=body, headers=headers)
    assert response.status_code < 500, response.text
