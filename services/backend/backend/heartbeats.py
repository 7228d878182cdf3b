"""Keep a quiet stream alive: send a heartbeat whenever its source has said nothing for a while.

A client that reads with a short *idle* timeout (the frontend) can then tell a replica that is
busy translating a long segment (heartbeats keep coming) from one whose node lost its power (no
byte and no reset ever comes), and resume elsewhere within seconds instead of minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import suppress
from typing import TypeVar

Item = TypeVar("Item")


async def with_heartbeats(
    source: AsyncIterator[Item], *, interval_s: float, beat: Item
) -> AsyncGenerator[Item, None]:
    """Yield source's items in order, and `beat` after every interval_s without one.

    The source's next item is awaited in a task of its own, so a heartbeat never interrupts
    it. Closing this generator (the client went away) cancels that wait and closes the source,
    which cancels whatever it was translating.
    """
    pending: asyncio.Task[Item] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(source))
            done, _ = await asyncio.wait({pending}, timeout=interval_s)
            if not done:
                yield beat
                continue
            finished, pending = pending, None
            try:
                item = finished.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        if pending is not None:
            pending.cancel()
            with suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        closing = getattr(source, "aclose", None)
        if closing is not None:
            await closing()
