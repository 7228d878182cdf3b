"""Translate LibreTranslate's lists without stalling the replica, plain or as HTML.

A list of 30,000 short texts submitted at once prepared every item on the event loop and queued
30,000 requests for the scheduler in one go: /healthz waited 11 s. Here at most ``MAX_IN_FLIGHT``
texts are in flight per request, each prepared as the translator prepares it, and the loop is free
between them; the batches stay full (``MAX_IN_FLIGHT`` is several engine batches).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence, Sized
from typing import TypeVar

from backend.markup import MarkupDocument
from backend.translator import Translated, Translator

#: Texts of one request translated at once: enough for every worker's batch, few enough that
#: other requests' segments are never queued behind thousands of this one's.
MAX_IN_FLIGHT = 64
#: Event-loop time the workers of one request use before others get their turn.
SLICE_S = 0.001
#: Documents longer than this are parsed and rendered in a worker thread.
OFFLOAD_MARKUP_CHARS = 4096

_Argument = TypeVar("_Argument", bound=Sized)
_Result = TypeVar("_Result")


async def bounded_map(
    work: Callable[[str], Awaitable[str]], items: Sequence[str], limit: int = MAX_IN_FLIGHT
) -> list[str]:
    """Return [await work(item) for item in items], with at most limit of them running at once.

    Cache hits complete without suspending, so the workers share a time slice per event-loop
    iteration: once SLICE_S is spent, every worker yields until the loop has polled its sockets.
    """
    loop = asyncio.get_running_loop()
    results: list[str] = [""] * len(items)
    indexes = iter(range(len(items)))
    # Set while the slice lasts; cleared when it is spent, set again on the next iteration.
    turn = asyncio.Event()
    turn.set()
    slice_started = time.perf_counter()

    def next_turn() -> None:
        nonlocal slice_started
        slice_started = time.perf_counter()
        turn.set()

    async def worker() -> None:
        for index in indexes:
            await turn.wait()
            results[index] = await work(items[index])
            if turn.is_set() and time.perf_counter() - slice_started > SLICE_S:
                turn.clear()
                loop.call_soon(next_turn)  # after the workers queued now, before the next poll

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(items)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return results


async def translate_texts(
    translator: Translator, texts: Sequence[str], *, request_id: str, html: bool = False
) -> list[str]:
    """Translate each text (as plain text, or as HTML keeping its markup), in order."""

    # One text is prepared on the loop when short, as always; a list's texts in worker threads.
    offload = len(texts) > 1

    async def plain(text: str) -> str:
        translated = await translator.translate(text, request_id=request_id, offload=offload)
        return translated.translation

    if not html:
        return await bounded_map(plain, texts)
    return [done.translation for done in await translate_html(translator, texts, request_id)]


async def translate_html(
    translator: Translator, texts: Sequence[str], request_id: str
) -> list[Translated]:
    """Translate HTML texts keeping their markup (backend.markup); segments = units of text."""

    async def plain(text: str) -> str:
        return (await translator.translate(text, request_id=request_id)).translation

    documents = [await _off_loop(MarkupDocument.parse, text) for text in texts]
    units = [unit for document in documents for unit in document.texts]
    translated = iter(await bounded_map(plain, units))
    rendered = []
    for document in documents:
        own = [next(translated) for _ in document.texts]
        html = await _off_loop(document.render, own, size=len(document.source))
        rendered.append(Translated(html, len(own)))
    return rendered


async def _off_loop(
    function: Callable[[_Argument], _Result], argument: _Argument, *, size: int | None = None
) -> _Result:
    length = size if size is not None else len(argument)
    if length > OFFLOAD_MARKUP_CHARS:
        return await asyncio.to_thread(function, argument)
    return function(argument)
