"""The backend client over httpx.MockTransport: streaming, request id, clear domain errors."""

from __future__ import annotations

import json

import httpx
import pytest
from frontend.backend_client import (
    BackendClient,
    BackendFailed,
    BackendRejected,
    BackendUnavailable,
    Segment,
)


def ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def client_for(handler) -> BackendClient:
    http = httpx.AsyncClient(base_url="http://backend", transport=httpx.MockTransport(handler))
    return BackendClient(http, source_lang="de", target_lang="en")


async def collect(client: BackendClient, text: str = "Hallo.") -> tuple[list[Segment], object]:
    stream = await client.open_stream(text, request_id="req-12345678")
    segments = [segment async for segment in stream]
    return segments, stream.done


async def test_streams_segments_in_order_then_done() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = ndjson(
            {"index": 0, "total": 2, "text": "Hello. "},
            {"index": 1, "total": 2, "text": "World."},
            {"done": True, "segments": 2, "duration_ms": 12.5, "model": "m", "engine": "e"},
        )
        return httpx.Response(200, content=body)

    segments, done = await collect(client_for(handler), "Hallo. Welt.")
    assert [s.text for s in segments] == ["Hello. ", "World."]
    assert (done.segments, done.model, done.engine) == (2, "m", "e")
    assert seen[0].url.path == "/v1/translate/stream"
    assert json.loads(seen[0].content) == {"text": "Hallo. Welt.", "source": "de", "target": "en"}


async def test_sends_the_body_chunked_without_content_length() -> None:
    """A Content-Length body races Traefik's early response headers (see backend_client)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=ndjson({"done": True, "segments": 0, "duration_ms": 1}))

    await collect(client_for(handler), "Hallo.")
    assert "content-length" not in seen[0].headers
    assert seen[0].headers["transfer-encoding"] == "chunked"
    assert seen[0].headers["content-type"] == "application/json"
    assert json.loads(seen[0].content)["text"] == "Hallo."


async def test_passes_the_request_id_header() -> None:
    ids: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["X-Request-ID"])
        return httpx.Response(200, content=ndjson({"done": True, "segments": 0, "duration_ms": 1}))

    await collect(client_for(handler))
    assert ids == ["req-12345678"]


async def test_reads_lines_as_they_arrive_not_the_whole_body() -> None:
    """The first segment is available before the backend has produced the second one."""
    produced: list[str] = []

    async def body():
        produced.append("first")
        yield ndjson({"index": 0, "total": 2, "text": "A. "})
        produced.append("second")
        yield ndjson({"index": 1, "total": 2, "text": "B."})
        yield ndjson({"done": True, "segments": 2, "duration_ms": 3})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    stream = await client_for(handler).open_stream("x", request_id="req-12345678")
    iterator = aiter(stream)
    first = await anext(iterator)
    assert first.text == "A. "
    assert produced == ["first"]
    rest = [segment async for segment in iterator]
    assert [s.text for s in rest] == ["B."]


async def test_connection_refused_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendUnavailable) as raised:
        await collect(client_for(handler))
    assert raised.value.status_code == 503


async def test_timeout_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(BackendUnavailable):
        await collect(client_for(handler))


async def test_backend_not_ready_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "model loading"})

    with pytest.raises(BackendUnavailable):
        await collect(client_for(handler))


async def test_backend_500_is_backend_failed_with_status_502() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="Traceback (most recent call last): ...")

    with pytest.raises(BackendFailed) as raised:
        await collect(client_for(handler))
    assert raised.value.status_code == 502
    assert "Traceback" not in str(raised.value)


async def test_backend_413_passes_its_short_message_on() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(413, json={"detail": "Text longer than 1,000,000 characters."})

    with pytest.raises(BackendRejected, match="1,000,000"):
        await collect(client_for(handler))


async def test_stream_ending_without_done_line_is_backend_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=ndjson({"index": 0, "total": 3, "text": "A."}))

    with pytest.raises(BackendFailed, match="early"):
        await collect(client_for(handler))


async def test_malformed_line_is_backend_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>proxy error</html>\n")

    with pytest.raises(BackendFailed, match="malformed"):
        await collect(client_for(handler))


async def test_model_and_engine_fall_back_to_response_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = ndjson({"done": True, "segments": 0, "duration_ms": 1})
        return httpx.Response(200, content=body, headers={"X-Model": "tiny", "X-Engine": "ct2"})

    _, done = await collect(client_for(handler))
    assert (done.model, done.engine) == ("tiny", "ct2")


async def test_ready_reflects_the_backend_readiness_probe() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.url.path == "/readyz" else 404)

    assert await client_for(handler).ready()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert not await client_for(down).ready()


async def test_model_info_comes_from_readyz_and_is_cached() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={"status": "ready", "model": "tiny", "engine": "ct2"})

    client = client_for(handler)
    assert await client.model_info() == ("tiny", "ct2")
    assert await client.model_info() == ("tiny", "ct2")
    assert calls == ["/readyz"]


async def test_model_info_is_blank_while_the_backend_is_down() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"status": "loading"})

    assert await client_for(handler).model_info() == ("", "")


async def test_unsupported_pair_is_backend_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"detail": "unsupported pair; supported: de-en"})

    with pytest.raises(BackendFailed, match="HTTP 400"):
        await collect(client_for(handler))


async def test_reads_each_segments_source_and_a_total_not_known_yet() -> None:
    """`source` is kept when sent; a `total` that is null or missing on a line is None."""
    body = ndjson(
        {"index": 0, "total": None, "text": "Hello. ", "source": "Hallo. "},
        {"index": 1, "text": "World."},
        {"done": True, "segments": 2, "duration_ms": 1.0},
    )
    segments, _ = await collect(client_for(lambda _: httpx.Response(200, content=body)))
    assert segments == [Segment(0, None, "Hello. ", "Hallo. "), Segment(1, None, "World.", None)]
