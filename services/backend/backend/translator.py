"""Translate texts of any length: segment, tokenize, serve from cache, batch the rest, reassemble.

The service the HTTP routes call. It knows nothing of HTTP: it takes text and yields text, and lets
``EngineError`` from the engine or the scheduler propagate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field

from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.engines.base import Engine
from backend.segmentation import Segment, segment, split_segment

#: Texts longer than this are segmented and tokenized in a worker thread, not on the event loop.
OFFLOAD_CHARS = 256
#: Segments yielded between two pauses that let other requests in.
PAUSE_EVERY_SEGMENTS = 256


@dataclass(frozen=True, slots=True)
class Translated:
    """A whole translation and how many segments it was translated in."""

    translation: str
    segments: int


@dataclass(frozen=True, slots=True)
class StreamedSegment:
    """One translated segment with the untranslated material before it (and after, if last)."""

    index: int
    total: int
    text: str
    #: The source this segment translates, laid out like ``text`` (prefix, and trailer if last):
    #: joining every ``source`` gives the input text. Not compared: equality is about the output.
    source: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to send to the engine: per segment its prefix and source tokens, then the trailer."""

    prefixes: list[str]
    tokens: list[list[str]]
    trailer: str
    #: Per segment its source sentence (the text the tokens came from).
    sentences: list[str] = field(default_factory=list)


class Translator:
    """Translate texts through one engine, one shared batch scheduler and one cache."""

    def __init__(
        self,
        engine: Engine,
        scheduler: BatchScheduler,
        cache: TranslationCache,
        *,
        offload_chars: int = OFFLOAD_CHARS,
    ) -> None:
        self._engine = engine
        self._scheduler = scheduler
        self._cache = cache
        self._offload_chars = offload_chars

    async def translate(self, text: str, *, request_id: str, offload: bool = False) -> Translated:
        """Translate text whole; whitespace-only text comes back unchanged with 0 segments.

        offload: prepare it in a worker thread however short it is (the many texts of a list:
        their preparation, on the event loop, added up to seconds).
        """
        plan = await self._plan(text, offload=offload)
        if not plan.tokens:
            return Translated(text, 0)
        async with aclosing(self._translate_plan(plan, request_id)) as parts_iter:
            parts = [part.text async for part in parts_iter]
        return Translated("".join(parts), len(parts))

    async def stream(self, text: str, *, request_id: str) -> AsyncIterator[StreamedSegment]:
        """Yield translated segments in order, each as soon as it and all before it are ready.

        Joining every ``text`` gives exactly ``translate(text).translation``. A text with no
        sentence in it (whitespace, rules, numbers) yields one StreamedSegment(0, 1, text), and an
        empty text yields nothing. Closing the iterator early (the client went away) cancels the
        segments not yet translated, so the scheduler drops them.
        """
        plan = await self._plan(text)
        if not plan.tokens:
            if text:
                yield StreamedSegment(0, 1, text, source=text)
            return
        async with aclosing(self._translate_plan(plan, request_id)) as parts:
            async for part in parts:
                yield part

    async def _plan(self, text: str, *, offload: bool = False) -> _Plan:
        """Segment and tokenize text, off the event loop when it is long (blocking CPU work)."""
        if offload or len(text) > self._offload_chars:
            return await asyncio.to_thread(self._prepare, text)
        return self._prepare(text)

    def _prepare(self, text: str) -> _Plan:
        """Segment text and tokenize its sentences, cutting those too long for the model."""
        segmented = segment(text)
        segments = list(segmented.segments)
        token_seqs = self._engine.tokenize([seg.text for seg in segments]) if segments else []
        limit = self._engine.max_input_tokens
        prefixes: list[str] = []
        tokens: list[list[str]] = []
        sentences: list[str] = []
        for seg, seq in zip(segments, token_seqs, strict=True):
            if len(seq) <= limit:
                prefixes.append(seg.prefix)
                tokens.append(seq)
                sentences.append(seg.text)
                continue
            pieces = split_segment(seg, self._count_tokens, limit)
            prefixes.extend(piece.prefix for piece in pieces)
            tokens.extend(self._tokenize_pieces(pieces))
            sentences.extend(piece.text for piece in pieces)
        return _Plan(prefixes, tokens, segmented.trailer, sentences)

    def _count_tokens(self, text: str) -> int:
        return len(self._engine.tokenize([text])[0])

    def _tokenize_pieces(self, pieces: list[Segment]) -> list[list[str]]:
        return self._engine.tokenize([piece.text for piece in pieces])

    async def _translate_plan(self, plan: _Plan, request_id: str) -> AsyncIterator[StreamedSegment]:
        """Serve cache hits, submit the misses in one call, and yield the segments in order."""
        total = len(plan.tokens)
        cached: list[str | None] = []
        # A sentence repeated within one text is translated once.
        slots: dict[tuple[str, ...], int] = {}
        for index, seq in enumerate(plan.tokens):
            hit = self._cache.get(seq)
            cached.append(hit)
            if hit is None:
                slots.setdefault(tuple(seq), len(slots))
            if index % PAUSE_EVERY_SEGMENTS == PAUSE_EVERY_SEGMENTS - 1:
                await asyncio.sleep(0)  # 55,000 lookups in a row held the loop for 0.1 s
        futures = self._scheduler.submit(request_id, [list(key) for key in slots]) if slots else []
        try:
            for index, (seq, hit) in enumerate(zip(plan.tokens, cached, strict=True)):
                translation = hit
                if translation is None:
                    translation = await futures[slots[tuple(seq)]]
                    self._cache.put(seq, translation)
                text = plan.prefixes[index] + translation
                source = plan.prefixes[index] + plan.sentences[index]
                if index == total - 1:
                    text += plan.trailer
                    source += plan.trailer
                if index % PAUSE_EVERY_SEGMENTS == PAUSE_EVERY_SEGMENTS - 1:
                    # Cached and repeated segments complete without suspending; a long run of
                    # them would hold the event loop (issue #12: /healthz must stay fast).
                    await asyncio.sleep(0)
                yield StreamedSegment(index, total, text, source=source)
        finally:
            _release(futures)


def _release(futures: list[asyncio.Future[str]]) -> None:
    """Cancel the futures still pending; mark the failed ones' errors as seen."""
    for future in futures:
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            # Only the first failure is raised to the caller; the rest must not be logged by
            # asyncio as "never retrieved" when the futures are collected.
            future.exception()
