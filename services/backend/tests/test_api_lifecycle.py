"""Start-up, readiness and engine failures with the fake engine (see test_stream_disconnect.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from backend.config import Settings
from backend.main import create_app
from backend.model_store import ModelNotFound, not_found

from testkit.waiting import until, until_ready


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
        # Ready means the warm-up translation has finished: failing the engine now cannot fail it.
        await until_ready(client)
        fake_engine.fail = True
        response = await client.post("/v1/translate", json={"text": "eins. zwei."})
        assert response.status_code == 500
        assert "engine failed" in response.json()["detail"]
        assert "Traceback" not in response.text
        streamed = await client.post("/v1/translate/stream", json={"text": "drei. vier."})
        last = json.loads(streamed.text.splitlines()[-1])
        assert last == {"done": False, "error": "the translation engine failed; retry later"}


async def test_stream_sends_blank_heartbeat_lines_while_a_segment_is_translated(
    settings: Settings, fake_engine: Any
) -> None:
    """With X-Stream-Heartbeat-S, a held segment is preceded by blank lines; without, none."""
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        await until_ready(client)
        fake_engine.gate.clear()

        async def release_later() -> None:
            await asyncio.sleep(0.5)
            fake_engine.gate.set()

        releasing = asyncio.create_task(release_later())
        headers = {"X-Stream-Heartbeat-S": "0.1"}
        beating = await client.post(
            "/v1/translate/stream", json={"text": "Hallo Welt."}, headers=headers
        )
        await releasing
        plain = await client.post("/v1/translate/stream", json={"text": "Guten Tag."})
    lines = beating.text.split("\n")
    first_segment = next(i for i, line in enumerate(lines) if line.strip())
    assert first_segment >= 1, f"no heartbeat before the held segment: {lines}"
    assert set(lines[:first_segment]) == {""}
    assert [json.loads(line)["text"] for line in lines if '"index"' in line] == ["HALLO WELT."]
    assert json.loads([line for line in lines if line.strip()][-1])["done"] is True
    assert "" not in plain.text.split("\n")[:-1], "heartbeats nobody asked for"


@pytest.mark.parametrize("value", ["0", "soon", "nan", "100000"])
async def test_stream_refuses_a_heartbeat_interval_out_of_bounds(
    settings: Settings, fake_engine: Any, value: str
) -> None:
    """An unusable X-Stream-Heartbeat-S is a 400 that names the header, not a silent default."""
    async with in_process(settings, lambda _: fake_engine) as (client, _):
        await until_ready(client)
        response = await client.post(
            "/v1/translate/stream",
            json={"text": "Hallo."},
            headers={"X-Stream-Heartbeat-S": value},
        )
    assert response.status_code == 400
    assert "X-Stream-Heartbeat-S" in response.json()["detail"]


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


async def test_a_closed_app_is_freed(settings: Settings, fake_engine: Any) -> None:
    """Nothing process-wide keeps an app after its lifespan: FastAPI caches every endpoint it
    classified (4,096 of them), so an endpoint closing over its app kept ~75 MB per app alive."""
    async with in_process(settings, lambda _: fake_engine) as (client, app):
        await until_ready(client)
        for path in ("/docs", "/healthz", "/openapi.json"):
            assert (await client.get(path)).status_code == 200
        await client.post("/v1/translate", json={"text": "Hallo Welt."})
        freed = weakref.ref(app)
    del app, client
    gc.collect()
    assert freed() is None, [type(r).__name__ for r in gc.get_referrers(freed())]
