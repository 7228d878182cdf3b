"""A client that leaves a long stream cancels its remaining work, over real HTTP (uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from backend.config import Settings
from backend.main import create_app
from backend.metrics import PREFIX
from backend.translator import INCREMENTAL_CHARS

from testkit.servers import LOOPBACK, free_port

#: A text planned chunk by chunk (as a long document is), and one planned in one go.
LONG_TEXT = " ".join(f"Satz {i} steht hier." for i in range(4000))
SHORT_TEXT = " ".join(f"Satz {i} steht hier." for i in range(200))
STREAM = "/v1/translate/stream"


class HeldEngine:
    """Translate by upper-casing; hold every batch after the long text's first until `go_on`.

    Counts the batches of the long text (those holding a "Satz" token) it received.
    """

    name = "held"
    model = "held-model"
    workers = 1
    max_input_tokens = 512
    truncated = 0

    def __init__(self) -> None:
        self.go_on = threading.Event()
        self.long_batches = 0
        self._lock = threading.Lock()
        self.second_arrived = threading.Event()

    def budget(self, input_tokens: int) -> int:
        return input_tokens + 2

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [text.split() for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        if any("Satz" in tokens for tokens in batch):
            with self._lock:
                self.long_batches += 1
                later = self.long_batches > 1
            if later:
                self.second_arrived.set()
                if not self.go_on.wait(30):
                    raise TimeoutError("the test never let the engine go on")
        return [" ".join(tokens).upper() for tokens in batch]


async def until(condition: Callable[[], Any], *, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until condition() is true: a deadline, not a proof."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve app with uvicorn on a free loopback port; yield its URL once it is ready."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    url = f"http://{LOOPBACK}:{port}"
    try:
        await until(lambda: server.started or serving.done())
        assert server.started, "uvicorn did not start"
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await until_ready(client)
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=15)


async def until_ready(client: httpx.AsyncClient) -> None:
    """Wait (bounded) until /readyz answers 200."""
    deadline = time.monotonic() + 10
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the backend never became ready"
        await asyncio.sleep(0.01)


def finished_streams(app: Any) -> float:
    """Return how many stream requests the server has finished (its request-log middleware)."""
    labels = {"method": "POST", "route": STREAM, "status": "200"}
    registry = app.state.backend.metrics.registry
    return registry.get_sample_value(f"{PREFIX}_request_duration_seconds_count", labels) or 0


@pytest.mark.parametrize("text", [LONG_TEXT, SHORT_TEXT], ids=["chunked", "whole"])
async def test_leaving_a_stream_stops_its_segments_reaching_the_engine(tmp_path, text) -> None:
    """Read the first segment, close the connection: no later segment reaches the engine.

    The engine holds the text's second batch; the server must notice the closed connection
    and cancel every other segment, so that once the engine goes on, the queue empties
    without one more of the text's batches reaching it.
    """
    assert len(LONG_TEXT) > INCREMENTAL_CHARS > len(SHORT_TEXT)
    engine = HeldEngine()
    settings = Settings(
        model="held-model",
        model_cache_dir=tmp_path,
        replica_name="r",
        max_batch_size=1,
        first_batch_size=1,
        cache_size=0,
    )
    app = create_app(settings, engine_factory=lambda _: engine)
    try:
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            async with client.stream("POST", STREAM, json={"text": text}) as response:
                lines = response.aiter_lines()
                assert json.loads(await anext(lines))["text"] == "SATZ 0 STEHT HIER."
                assert await asyncio.to_thread(engine.second_arrived.wait, 10)
            # The connection is closed. Once the server has ended the request, let the engine
            # finish the batch it holds: nothing of the text may follow it.
            await until(lambda: finished_streams(app) == 1)
            engine.go_on.set()
            scheduler = app.state.backend._scheduler
            probe = await client.post("/v1/translate", json={"text": "Noch da."})
            assert probe.json()["translation"] == "NOCH DA."
            await until(lambda: scheduler.queue_depth == 0)
            assert engine.long_batches == 2
    finally:
        engine.go_on.set()
