"""with_heartbeats: a quiet source gets heartbeats in between its items, never instead of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from backend.heartbeats import with_heartbeats
from hypothesis import given, settings
from hypothesis import strategies as st

BEAT = "beat"


async def items_after(gates: list[asyncio.Event], items: list[str]) -> AsyncIterator[str]:
    """Yield each item once its gate is set."""
    for gate, item in zip(gates, items, strict=True):
        await gate.wait()
        yield item


async def test_a_silent_source_gets_a_heartbeat_and_its_item_still_comes() -> None:
    """While the source waits, the stream yields beats; the item waited for follows them."""
    gate = asyncio.Event()
    stream = with_heartbeats(items_after([gate], ["one"]), interval_s=0.01, beat=BEAT)
    assert await anext(stream) == BEAT
    assert await anext(stream) == BEAT
    gate.set()
    rest = [item async for item in stream]
    assert rest[-1] == "one"
    assert set(rest[:-1]) <= {BEAT}


async def test_a_busy_source_gets_no_heartbeat() -> None:
    """Items that come faster than the interval pass through alone."""
    ready = [asyncio.Event() for _ in range(3)]
    for gate in ready:
        gate.set()
    stream = with_heartbeats(items_after(ready, ["a", "b", "c"]), interval_s=60, beat=BEAT)
    assert [item async for item in stream] == ["a", "b", "c"]


async def test_closing_the_stream_cancels_the_wait_and_closes_the_source() -> None:
    """A client going away reaches the source: its pending wait is cancelled, its cleanup runs."""
    cleaned = asyncio.Event()

    async def never_ending() -> AsyncIterator[str]:
        try:
            await asyncio.Event().wait()
            yield "never"
        finally:
            cleaned.set()

    stream = with_heartbeats(never_ending(), interval_s=0.01, beat=BEAT)
    assert await anext(stream) == BEAT
    await stream.aclose()
    assert cleaned.is_set()


@settings(max_examples=30, deadline=None)
@given(items=st.lists(st.text(max_size=5), max_size=8), quiet=st.lists(st.booleans(), max_size=8))
def test_without_the_beats_the_stream_is_the_source(items: list[str], quiet: list[bool]) -> None:
    """Whatever the pauses, dropping the beats gives back exactly the source's items in order."""

    async def source() -> AsyncIterator[str]:
        for index, item in enumerate(items):
            if index < len(quiet) and quiet[index]:
                await asyncio.sleep(0.003)
            yield item

    async def collect() -> list[str]:
        stream = with_heartbeats(source(), interval_s=0.001, beat=None)
        return [item async for item in stream]

    received = asyncio.run(collect())
    assert [item for item in received if item is not None] == items
