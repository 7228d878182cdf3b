"""Start-up, readiness, engine failures and client disconnects, with the fake engine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import uvicorn
from backend.config import Settings
from backend.main import create_app
from backend.model_store import ModelNotFound, not_found

from testkit.servers import free_port


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings that never touch a real model (the tests pass an engine factory)."""
    return Settings(model="fake-model", model_cache_dir=tmp_path, replica_name="r")


@contextlib.asynccontextmanager
async def in_process(
    settings: Settings, factory: Callable[[Settings], Any], **kwargs: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """Run an app's lifespan and yield a client for it plus the app."""
    app = create_app(settings, engine_factory=factory, **kwargs)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        )
        yield client, app


async def until(condition: Callable[[], Any], *, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until condition() is true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


async def until_ready(client: httpx.AsyncClient, *, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until /readyz answers 200, i.e. the warm-up translation is done."""
    deadline = time.monotonic() + timeout_s
    while (ready := await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, f"never became ready: {ready.text}"
        await asyncio.sleep(0.01)


async def test_healthz_answers_at_once_and_readyz_waits_for_the_model(
    settings: Settings, fake_engine: Any
) -> None:
    """While the model loads: /healthz 200, /readyz and /v1/translate 503; then all ready."""
    fake_engine.gate.clear()  # hold the warm-up translation, i.e. the end of loading
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        try:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "loading"
            busy = await client.post("/v1/translate", json={"text": "Hallo."})
            assert busy.status_code == 503
            assert busy.headers["retry-after"]
            assert "loading" in busy.json()["detail"]
        finally:
            fake_engine.gate.set()
        await until(lambda: fake_engine.batches)  # the warm-up reached the engine
        await until_ready(client)
        body = (await client.post("/v1/translate", json={"text": "hallo welt."})).json()
        assert body["translation"] == "HALLO WELT."
        assert body["engine"] == "fake"


async def test_model_that_cannot_load_keeps_readyz_503_and_calls_on_fatal(
    settings: Settings,
) -> None:
    """A missing model: /readyz explains it with 503, and on_fatal stops the server."""
    fatal = asyncio.Event()

    def factory(_: Settings) -> Any:
        raise not_found("fake-model", "no such directory")

    async with in_process(settings, factory, on_fatal=fatal.set) as (client, _):
        await asyncio.wait_for(fatal.wait(), timeout=10)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "failed"
        assert "MODEL=/path" in ready.json()["detail"]
        translate = await client.post("/v1/translate", json={"text": "Hallo."})
        assert translate.status_code == 503
        assert "fake-model" in translate.json()["detail"]


async def test_unexpected_load_error_is_reported_without_a_trace(settings: Settings) -> None:
    """Any other load failure is a 503 with a short message, not a traceback."""

    def factory(_: Settings) -> Any:
        raise OSError("disk on fire")

    fatal = asyncio.Event()
    async with in_process(settings, factory, on_fatal=fatal.set) as (client, _):
        await asyncio.wait_for(fatal.wait(), timeout=10)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "Traceback" not in ready.text
        assert "see the server log" in ready.json()["detail"]
    assert issubclass(ModelNotFound, RuntimeError)


async def test_engine_failure_is_a_json_500_and_a_stream_error_line(
    settings: Settings, fake_engine: Any
) -> None:
    """A failing engine gives a JSON error (no trace) and ends a stream with an error line."""
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        # Fail only once the warm-up is over: a failed warm-up would be a failed start instead.
        await until_ready(client)
        fake_engine.fail = True
        response = await client.post("/v1/translate", json={"text": "eins. zwei."})
        assert response.status_code == 500
        assert "engine failed" in response.json()["detail"]
        assert "Traceback" not in response.text
        streamed = await client.post("/v1/translate/stream", json={"text": "drei. vier."})
        last = json.loads(streamed.text.splitlines()[-1])
        assert last == {"done": False, "error": "the translation engine failed; retry later"}


async def test_client_disconnect_cancels_the_remaining_segments(
    settings: Settings, fake_engine: Any
) -> None:
    """Closing a stream after its first line stops the rest of the document reaching the engine."""
    segments = 200
    paced = threading.Event()
    original = fake_engine.translate_batch

    def slow(batch: list[list[str]]) -> list[str]:
        paced.wait(0.02)  # pace the engine so the document cannot finish before the disconnect
        return original(batch)

    fake_engine.translate_batch = slow
    app = create_app(
        settings.model_copy(update={"max_batch_size": 1, "first_batch_size": 1, "cache_size": 0}),
        engine_factory=lambda _: fake_engine,
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await until(lambda: server.started)
            await until_ready(client)
            text = " ".join(f"satz {i}." for i in range(segments))
            async with client.stream("POST", "/v1/translate/stream", json={"text": text}) as resp:
                async for line in resp.aiter_lines():
                    assert json.loads(line)["index"] == 0
                    break
            # The response is closed: the server notices, the translator cancels the rest.
            state = app.state.backend
            await until(lambda: state._scheduler.queue_depth == 0)
            translated = sum(len(batch) for batch in fake_engine.batches) - 1  # minus warm-up
            assert translated < segments / 2
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=15)


async def test_unknown_paths_share_the_route_label_other(
    settings: Settings, fake_engine: Any
) -> None:
    """Scanners' and typos' paths never become label values: they all count as route="other"."""
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        await until_ready(client)
        for path in ("/wp-login.php", "/v1/translate/nope", "/.env"):
            assert (await client.get(path)).status_code == 404
        metrics = (await client.get("/metrics")).text
    assert (
        'translation_backend_request_duration_seconds_count{method="GET",route="other",'
        'status="404"} 3.0' in metrics
    )
    assert "wp-login" not in metrics
    assert "nope" not in metrics


async def test_max_wait_ms_is_milliseconds(settings: Settings, fake_engine: Any) -> None:
    """MAX_WAIT_MS=300: a lone segment waits 0.3 s for company, not 300 s nor 0.3 ms."""
    slow = settings.model_copy(update={"max_wait_ms": 300.0, "cache_size": 0})
    assert slow.max_wait_s == pytest.approx(0.3)
    async with in_process(slow, lambda _: fake_engine) as (client, _):
        await until_ready(client)
        started = time.monotonic()
        async with asyncio.timeout(10):
            response = await client.post("/v1/translate", json={"text": "allein."})
        waited_s = time.monotonic() - started
    assert response.status_code == 200
    assert waited_s >= 0.3


async def test_the_documented_metrics_count_what_happened(
    settings: Settings, fake_engine: Any
) -> None:
    """Cache misses then hits, segments per route, one duration per batch, the model's labels."""
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        await until_ready(client)
        warm_up = len(fake_engine.batches)  # straight to the engine, not a scheduled batch
        for _ in range(2):  # the second time both segments are cache hits
            assert (await client.post("/v1/translate", json={"text": "Eins. Zwei."})).is_success
        streamed = await client.post("/v1/translate/stream", json={"text": "Drei. Vier. Fünf."})
        assert streamed.is_success
        metrics = (await client.get("/metrics")).text
    batches = len(fake_engine.batches) - warm_up

    def value(sample: str) -> float:
        (line,) = [line for line in metrics.splitlines() if line.startswith(sample + " ")]
        return float(line.split()[-1])

    prefix = "translation_backend_"
    assert value(f"{prefix}cache_misses_total") == 5
    assert value(f"{prefix}cache_hits_total") == 2
    assert value(f'{prefix}segments_total{{route="translate"}}') == 4
    assert value(f'{prefix}segments_total{{route="stream"}}') == 3
    assert batches >= 2
    assert value(f"{prefix}batch_duration_seconds_count") == batches
    assert value(f"{prefix}batch_size_count") == batches
    assert value(f"{prefix}batch_padded_tokens_total") >= 5
    assert value(f"{prefix}truncated_translations_total") == 0
    info = next(line for line in metrics.splitlines() if line.startswith(f"{prefix}model_info{{"))
    for label in ("model", "engine", "device", "compute_type", "workers", "max_batch_size"):
        assert f'{label}="' in info
    assert 'model="fake-model"' in info
    assert 'engine="fake"' in info
