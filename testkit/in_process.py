"""Serve ASGI apps in the test's own event loop, over real HTTP on free loopback ports.

Unlike httpx's ASGI transport, a real server sees a client close its connection the way
production does (uvicorn for the backend, hypercorn for the frontend), and the test can still
look into the app's state while it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn
from hypercorn.asyncio import serve
from hypercorn.config import Config

from testkit.servers import LOOPBACK, free_port


async def until(condition: Callable[[], Any], *, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until condition() is true: a deadline for an event, not a proof."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    """Serve app with uvicorn (as `python -m backend` does); yield its URL once it listens."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started or serving.done())
        assert server.started, "uvicorn did not start"
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=15)


@contextlib.asynccontextmanager
async def hypercorn_serving(app: Any) -> AsyncIterator[str]:
    """Serve app with hypercorn (as `python -m frontend` does); yield its URL once it listens."""
    port = free_port()
    config = Config()
    config.bind = [f"{LOOPBACK}:{port}"]
    config.accesslog = None
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        await until(lambda: _listening(port) or serving.done())
        assert not serving.done(), "hypercorn did not start"
        yield f"http://{LOOPBACK}:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=15)


def _listening(port: int) -> bool:
    """Tell whether something accepts connections on the loopback port."""
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
        return True
    return False
