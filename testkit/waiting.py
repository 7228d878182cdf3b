"""Wait, bounded, until something holds: a condition, an HTTP status, a server's readiness.

Every helper fails with what it waited for once its time is up, so a test can never go on
silently after a wait that did not succeed.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import httpx


class NotInTime(AssertionError):
    """What a test waited for did not happen within its time."""


def wait_until(
    condition: Callable[[], object],
    *,
    timeout_s: float = 10.0,
    interval_s: float = 0.05,
    what: str = "the condition",
) -> None:
    """Block until condition() is true, checking every interval_s; fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            raise NotInTime(f"{what} did not hold within {timeout_s} s")
        time.sleep(interval_s)


async def until(
    condition: Callable[[], object | Awaitable[object]],
    *,
    timeout_s: float = 10.0,
    interval_s: float = 0.01,
    what: str = "the condition",
) -> None:
    """Await until condition() (plain or async) is true, checking every interval_s; bounded."""
    deadline = time.monotonic() + timeout_s
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() >= deadline:
            raise NotInTime(f"{what} did not hold within {timeout_s} s")
        await asyncio.sleep(interval_s)


def wait_for_status(
    url: str, status: int, *, timeout_s: float, interval_s: float = 0.05
) -> httpx.Response:
    """Poll GET url until it answers status; return the last response, for the test to assert.

    The caller asserts, so that a test about timing can say what the server answered instead.
    """
    deadline = time.monotonic() + timeout_s
    response = httpx.get(url, timeout=2.0)
    while response.status_code != status and time.monotonic() < deadline:
        time.sleep(interval_s)
        response = httpx.get(url, timeout=2.0)
    return response


async def until_ready(
    client: httpx.AsyncClient, *, path: str = "/readyz", timeout_s: float = 30.0
) -> None:
    """Poll an app's readiness endpoint through client until it answers 200; bounded."""

    async def ready() -> bool:
        return (await client.get(path)).status_code == 200

    await until(ready, timeout_s=timeout_s, interval_s=0.02, what=f"{path} answering 200")
