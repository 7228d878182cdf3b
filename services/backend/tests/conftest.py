"""Fixtures shared by the backend service tests."""

from __future__ import annotations

import threading

import pytest

# --- fake engine for the domain tests (segmentation, batching, cache, translator) ---


class FakeEngine:
    """Translate by upper-casing words; one token per word; record every batch it receives.

    `gate` (a threading.Event, set by default) holds each batch until the test opens it;
    `started` is set whenever a batch reaches the engine; `fail` makes every batch raise.
    """

    name = "fake"
    model = "fake-model"

    def __init__(self, max_input_tokens: int = 512) -> None:
        self.max_input_tokens = max_input_tokens
        self.batches: list[list[list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = False

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [text.split() for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        self.batches.append(batch)
        self.started.set()
        if not self.gate.wait(timeout=30):
            raise TimeoutError("the test never opened the fake engine gate")
        if self.fail:
            raise RuntimeError("fake engine failure")
        return [" ".join(tokens).upper() for tokens in batch]


@pytest.fixture
def fake_engine() -> FakeEngine:
    """Return a fake engine whose translation of a sentence is the sentence upper-cased."""
    return FakeEngine()
