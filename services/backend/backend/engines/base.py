"""The one small protocol every translation engine implements.

The batcher, the cache, the segmenter's long-sentence splitting and the tests only ever see this
protocol, so they never care whether CTranslate2 or transformers runs underneath.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class EngineError(RuntimeError):
    """A batch could not be translated; every request waiting on it must fail with this."""


class BatchEngine(Protocol):
    """What a batch scheduler drives: blocking batch translation, on `workers` threads at once."""

    workers: int

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        ...


@runtime_checkable
class Engine(Protocol):
    """Translate batches of source token sequences; blocking, so run it off the event loop."""

    #: "ctranslate2" or "transformers" (reported in API responses and metrics).
    name: str
    #: The model identifier the engine was loaded from (HF id or local path), reported to clients.
    model: str
    #: The longest source token sequence the model accepts, end-of-sentence token excluded.
    max_input_tokens: int
    #: How many translate_batch calls may run at once, from different threads, without slowing
    #: each other down; the scheduler keeps that many batches in flight.
    workers: int

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Return the source sub-word tokens of each text, without the end-of-sentence token."""
        ...

    @property
    def truncated(self) -> int:
        """Count the translations so far that filled the model's output limit (never logged)."""
        ...

    def budget(self, input_tokens: int) -> int:
        """Return the output budget a sequence of input_tokens is first decoded with.

        The scheduler batches only sequences of one budget; the engine decodes each budget group
        on its own anyway, so a translation never depends on its batch.
        """
        ...

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        ...
