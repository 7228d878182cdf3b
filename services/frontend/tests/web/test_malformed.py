"""Malformed input is the client's fault: every one gets a 4xx with a message, never a 500."""

from __future__ import annotations

import pytest
from frontend.app import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit.csrf import csrf_token_in

SUPPRESS = [HealthCheck.function_scoped_fixture]


async def _token(client) -> str:
    page = await (await client.get("/")).get_data(as_text=True)
    return csrf_token_in(page)


async def _stream(client, body: bytes, token: str, content_type: str = "application/json"):
    headers = {"X-CSRF-Token": token, "Content-Type": content_type}
    return await client.post("/api/translate/stream", data=body, headers=headers)


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_deeply_nested_json_is_a_400(offline_client, depth) -> None:
    token = await _token(offline_client)
    response = await _stream(offline_client, b"[" * depth, token)
    assert response.status_code == 400
    assert "nested too deeply" in (await response.get_json())["error"]


async def test_a_lone_surrogate_is_a_400(offline_client) -> None:
    token = await _token(offline_client)
    response = await _stream(offline_client, b'{"text": "Hallo \\ud800 Welt"}', token)
    assert response.status_code == 400
    assert "not valid Unicode" in (await response.get_json())["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/history?page=9223372036854775807",
        "/history?page=99999999999999999999999",
        "/history/9223372036854775808",
        "/history/99999999999999999999999999999",
    ],
)
async def test_huge_numbers_in_the_history_are_a_404(offline_client, path) -> None:
    assert (await offline_client.get(path)).status_code == 404


@pytest.mark.parametrize("path", ["/history?page=-5", "/history?page=abc", "/history?page=0"])
async def test_odd_page_numbers_show_the_first_page(offline_client, path) -> None:
    assert (await offline_client.get(path)).status_code == 200


async def test_a_body_over_the_limit_is_a_413_on_the_streaming_route(make_settings) -> None:
    """The limit is 12 bytes per MAX_TEXT_CHARS + 64 KiB, as Traefik's, on every route."""
    app = create_app(make_settings(max_text_chars=100))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await _token(client)
        body = b'{"text": "' + b"a" * (100 * 12 + 64 * 1024) + b'"}'
        response = await _stream(client, body, token)
        form = await client.post("/", form={"text": "a" * 70_000, "csrf_token": token})
    assert response.status_code == 413
    assert form.status_code == 413


@settings(max_examples=80, deadline=None, suppress_health_check=SUPPRESS)
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
async def test_any_body_on_the_stream_route_is_answered_without_a_500(offline_client, body):
    token = await _token(offline_client)
    response = await _stream(offline_client, body, token)
    assert response.status_code < 500 or response.status_code in (502, 503)


@settings(max_examples=60, deadline=None, suppress_health_check=SUPPRESS)
@given(query=st.text(max_size=40), page=st.text(max_size=25))
async def test_any_history_query_is_answered_without_a_500(offline_client, query, page) -> None:
    response = await offline_client.get("/history", query_string={"q": query, "page": page})
    assert response.status_code in (200, 404)
