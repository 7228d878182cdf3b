"""Translate texts of any length: segment, tokenize, serve from cache, batch the rest, reassemble.

The service the HTTP routes call. It knows nothing of HTTP: it takes text and yields text, and lets
``EngineError`` from the engine or the scheduler propagate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field

from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.engines.base import Engine
from backend.segmentation import Segment, iter_segments, split_segment
from backend.segmentation.protect import restore

#: Texts longer than this are segmented and tokenized in a worker thread, not on the event loop.
OFFLOAD_CHARS = 256
#: Texts longer than this are planned chunk by chunk, the first one small, so the first segment
#: is in the engine long before the last is read; shorter ones in one go (``total`` exact at once).
INCREMENTAL_CHARS = 20_000
FIRST_CHUNK_SEGMENTS = 4
CHUNK_SEGMENTS = 256
#: How far planning runs ahead of the segments handed out: enough to keep every engine worker's
#: batches full, without segmenting a huge text on the CPU the first batch needs.
PLAN_AHEAD_SEGMENTS = 1024
#: Segments yielded between two pauses that let other requests in: cached and repeated segments
#: complete without suspending, and a long run of them would hold the event loop.
PAUSE_EVERY_SEGMENTS = 256

Segmenter = Callable[[str], Iterator[Segment]]


@dataclass(frozen=True, slots=True)
class Translated:
    """A whole translation and how many segments it was translated in."""

    translation: str
    segments: int


@dataclass(frozen=True, slots=True)
class StreamedSegment:
    """One translated segment with the untranslated material before it (and after, if last).

    ``total`` counts the segments known so far: exact on every segment of a text up to
    INCREMENTAL_CHARS, and on the last segment of any text; for longer texts it grows as the
    text is read (never less than index + 1).
    """

    index: int
    total: int
    text: str
    #: The source this segment translates, laid out like ``text`` (prefix, and tail if last):
    #: joining every ``source`` gives the input text. Not compared: equality is about the output.
    source: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """Prepared segments: per segment its prefix and source tokens; the tail once the text ends."""

    prefixes: list[str]
    kept: list[tuple[str | None, ...]]
    tokens: list[list[str]]
    tail: str | None
    #: Per segment its source sentence, protected spans put back (what the page aligns).
    sentences: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Progress:
    """What the planning of one text has done so far."""

    #: Every future submitted for the text, to cancel those left when the caller goes away.
    futures: list[asyncio.Future[str]] = field(default_factory=list)
    #: Segments planned so far (the ``total`` streamed with each segment).
    planned: int = 0


@dataclass(slots=True)
class _Item:
    """One planned segment: a cached translation or the future of one."""

    prefix: str
    kept: tuple[str | None, ...]
    tokens: tuple[str, ...]
    hit: str | None
    future: asyncio.Future[str] | None
    sentence: str = ""


class Translator:
    """Translate texts through one engine, one shared batch scheduler and one cache."""

    def __init__(
        self,
        engine: Engine,
        scheduler: BatchScheduler,
        cache: TranslationCache,
        *,
        offload_chars: int = OFFLOAD_CHARS,
        segmenter: Segmenter = iter_segments,
    ) -> None:
        self._engine = engine
        self._scheduler = scheduler
        self._cache = cache
        self._offload_chars = offload_chars
        self._segmenter = segmenter

    async def translate(self, text: str, *, request_id: str, offload: bool = False) -> Translated:
        """Translate text whole; whitespace-only text comes back unchanged with 0 segments.

        offload: prepare it in a worker thread however short it is (the many texts of a list:
        their preparation, on the event loop, added up to seconds).
        """
        async with aclosing(self._translate(text, request_id, offload)) as parts_iter:
            parts = [part async for part in parts_iter]
        if not parts:
            return Translated(text, 0)
        return Translated("".join(part.text for part in parts), len(parts))

    async def stream(self, text: str, *, request_id: str) -> AsyncGenerator[StreamedSegment, None]:
        """Yield translated segments in order, each as soon as it and all before it are ready.

        Joining every ``text`` gives exactly ``translate(text).translation``. A text with no
        sentence in it (whitespace, rules, numbers) yields one StreamedSegment(0, 1, text), and an
        empty text yields nothing. Closing the iterator early (the client went away) cancels the
        segments not yet translated, so the scheduler drops them.
        """
        sent = 0
        async with aclosing(self._translate(text, request_id)) as parts:
            async for part in parts:
                sent += 1
                yield part
        if not sent and text:
            yield StreamedSegment(0, 1, text, source=text)

    async def _translate(
        self, text: str, request_id: str, offload: bool = False
    ) -> AsyncGenerator[StreamedSegment, None]:
        """Plan text chunk by chunk in the background and yield its segments in order."""
        items: asyncio.Queue[_Item | str | BaseException] = asyncio.Queue(PLAN_AHEAD_SEGMENTS)
        progress = _Progress()
        producer = asyncio.create_task(self._produce(text, request_id, items, progress, offload))
        try:
            held: _Item | None = None  # the last segment carries the tail: wait for the next
            index = 0
            while True:
                got = await items.get()
                if isinstance(got, BaseException):
                    raise got
                if isinstance(got, str):  # the tail: the text is fully planned
                    if held is not None:
                        translated = await self._text(held) + got
                        source = held.prefix + held.sentence + got
                        yield StreamedSegment(index, index + 1, translated, source=source)
                    return
                if held is not None:
                    total = max(progress.planned, index + 2)
                    translated = await self._text(held)
                    source = held.prefix + held.sentence
                    if index % PAUSE_EVERY_SEGMENTS == PAUSE_EVERY_SEGMENTS - 1:
                        await asyncio.sleep(0)  # a run of ready segments must let others in
                    yield StreamedSegment(index, total, translated, source=source)
                    index += 1
                held = got
        finally:
            # Cancel everything before the first await: under an anyio cancel scope (Starlette
            # cancels a streaming response's task group when the client disconnects) every await
            # here raises CancelledError again, and nothing after it would run.
            producer.cancel()
            _release(progress.futures)
            await asyncio.gather(producer, return_exceptions=True)

    async def _text(self, item: _Item) -> str:
        """Return an item's prefix and translation, caching a fresh translation."""
        translation = item.hit
        if translation is None:
            assert item.future is not None
            translation = await item.future
            self._cache.put(item.tokens, translation)
        return item.prefix + restore(translation, item.kept)

    async def _produce(
        self,
        text: str,
        request_id: str,
        out: asyncio.Queue[_Item | str | BaseException],
        progress: _Progress,
        offload: bool = False,
    ) -> None:
        """Plan text chunk by chunk: serve cache hits, submit misses, queue items in order."""
        segments = self._segmenter(text)
        size = FIRST_CHUNK_SEGMENTS if len(text) > INCREMENTAL_CHARS else None
        # A sentence repeated within one text is translated once.
        own: dict[tuple[str, ...], asyncio.Future[str]] = {}
        try:
            while True:
                if offload or len(text) > self._offload_chars:
                    chunk = await asyncio.to_thread(self._prepare, segments, size)
                else:
                    chunk = self._prepare(segments, size)
                for item in self._submit(chunk, request_id, own, progress):
                    await out.put(item)  # waits while planning is far enough ahead
                if chunk.tail is not None:
                    await out.put(chunk.tail)
                    return
                size = CHUNK_SEGMENTS
        except Exception as error:  # the consumer raises it in the caller's task
            await out.put(error)

    def _submit(
        self,
        chunk: _Chunk,
        request_id: str,
        own: dict[tuple[str, ...], asyncio.Future[str]],
        progress: _Progress,
    ) -> list[_Item]:
        """Look a chunk's segments up in the cache, submit the misses; return the items."""
        keys = [tuple(seq) for seq in chunk.tokens]
        hits = [self._cache.get(key) for key in keys]
        misses = list(dict.fromkeys(k for k, h in zip(keys, hits, strict=True) if h is None))
        misses = [key for key in misses if key not in own]
        if misses:
            submitted = self._scheduler.submit(
                request_id,
                [list(key) for key in misses],
                continuing=progress.planned > 0,
                # A long text's first chunk is small, but its first segment is what the reader
                # waits for: it must not go out in a full batch with the chunks after it.
                more_to_come=chunk.tail is None,
            )
            own.update(zip(misses, submitted, strict=True))
            progress.futures.extend(submitted)
        progress.planned += len(keys)
        rows = zip(chunk.prefixes, chunk.kept, keys, hits, chunk.sentences, strict=True)
        return [
            _Item(prefix, kept, key, hit, None if hit is not None else own[key], sentence)
            for prefix, kept, key, hit, sentence in rows
        ]

    def _prepare(self, segments: Iterator[Segment], size: int | None) -> _Chunk:
        """Take up to size segments (None: all), tokenize them, cut those too long for the model."""
        taken: list[Segment] = []
        tail: str | None = None
        for seg in segments:
            if not seg.text:
                tail = seg.prefix
                break
            taken.append(seg)
            if size is not None and len(taken) >= size:
                break
        else:
            tail = ""
        token_seqs = self._engine.tokenize([seg.text for seg in taken]) if taken else []
        limit = self._engine.max_input_tokens
        prepared: list[Segment] = []
        tokens: list[list[str]] = []
        for seg, seq in zip(taken, token_seqs, strict=True):
            if len(seq) <= limit:
                prepared.append(seg)
                tokens.append(seq)
                continue
            pieces = split_segment(seg, self._count_tokens, limit)
            prepared.extend(pieces)
            tokens.extend(self._engine.tokenize([piece.text for piece in pieces]))
        return _Chunk(
            [s.prefix for s in prepared],
            [s.kept for s in prepared],
            tokens,
            tail,
            [restore(s.text, s.kept) for s in prepared],
        )

    def _count_tokens(self, text: str) -> int:
        return len(self._engine.tokenize([text])[0])


def _release(futures: list[asyncio.Future[str]]) -> None:
    """Cancel the futures still pending; mark the failed ones' errors as seen."""
    for future in futures:
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            # Only the first failure is raised to the caller; the rest must not be logged by
            # asyncio as "never retrieved" when the futures are collected.
            future.exception()
