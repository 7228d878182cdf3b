"""A backend for stream tests whose engine holds the marked text's batches after the first.

With it a test can tell, without timing, whether a stream's client going away cancelled the
rest of its text: the engine holds the second batch while the client leaves, and once the
backend has ended the request and the engine goes on, no third batch of the text may come.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
from backend.config import Settings
from backend.main import create_app
from backend.metrics import PREFIX

from testkit.in_process import until

STREAM = "/v1/translate/stream"

#: The token that marks the text under test: batches without it (warm-up, probes) pass.
MARK = "Satz"


class HeldEngine:
    """Translate by upper-casing words; hold every marked batch after the first until `go_on`.

    Counts the marked batches it received (`marked_batches`); `second_arrived` is set when the
    second one reaches it. Satisfies backend.engines.base.Engine for an app's engine_factory.
    """

    name = "held"
    model = "held-model"
    workers = 1
    max_input_tokens = 512
    truncated = 0

    def __init__(self) -> None:
        self.go_on = threading.Event()
        self.second_arrived = threading.Event()
        self.marked_batches = 0
        self._lock = threading.Lock()

    def budget(self, input_tokens: int) -> int:
        return input_tokens + 2

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [text.split() for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        if any(MARK in tokens for tokens in batch):
            with self._lock:
                self.marked_batches += 1
                later = self.marked_batches > 1
            if later:
                self.second_arrived.set()
                if not self.go_on.wait(30):
                    raise TimeoutError("the test never let the engine go on")
        return [" ".join(tokens).upper() for tokens in batch]


def held_backend(engine: HeldEngine, cache_dir: Path) -> Any:
    """Return a backend app on engine: one segment per batch, no cache, so each one shows."""
    settings = Settings(
        model=engine.model,
        model_cache_dir=cache_dir,
        replica_name="held",
        max_batch_size=1,
        first_batch_size=1,
        cache_size=0,
    )
    return create_app(settings, engine_factory=lambda _: engine)


def finished_streams(app: Any) -> float:
    """Return how many stream requests the backend has finished (its request-log middleware)."""
    labels = {"method": "POST", "route": STREAM, "status": "200"}
    registry = app.state.backend.metrics.registry
    return registry.get_sample_value(f"{PREFIX}_request_duration_seconds_count", labels) or 0


async def assert_nothing_more_reaches_the_engine(app: Any, engine: HeldEngine, url: str) -> None:
    """Once the backend ended the stream, let the engine go on: no more of the text may come."""
    await until(lambda: finished_streams(app) == 1)
    engine.go_on.set()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        probe = await client.post("/v1/translate", json={"text": "Noch da."})
    assert probe.json()["translation"] == "NOCH DA."
    await until(lambda: app.state.backend._scheduler.queue_depth == 0)
    assert engine.marked_batches == 2  # the first segment's, and the one held at the disconnect
