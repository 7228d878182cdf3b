"""Graceful shutdown in two phases: drain (not ready, still serving), then stop accepting."""

from __future__ import annotations

import asyncio
import logging
import signal

from frontend.state import AppState

log = logging.getLogger(__name__)


class GracefulShutdown:
    """Turn SIGTERM into: /readyz 503 at once, keep serving drain_s, then trigger the stop.

    A load balancer keeps sending requests to a task for a while after Swarm signals it (until
    its next failed health check); closing the listener at once would make them fail. A second
    signal skips the rest of the drain.
    """

    def __init__(self, state: AppState, *, drain_s: float) -> None:
        self._state = state
        self._drain_s = drain_s
        self._stop = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Handle SIGTERM (Swarm's stop signal) and SIGINT (Ctrl-C) on `loop`."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.begin)

    def begin(self) -> None:
        """Start draining; when already draining, stop now."""
        if self._state.draining:
            log.info("second stop signal: ending the drain early")
            self._stop.set()
            return
        self._state.draining = True
        log.info("draining for %.1f s before closing the listener", self._drain_s)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._drain_s, self._stop.set)

    async def wait(self) -> None:
        """Return once the drain is over (hypercorn's shutdown trigger)."""
        await self._stop.wait()
        if self._timer is not None:
            self._timer.cancel()
        log.info("drain over: closing the listener, letting running requests finish")
