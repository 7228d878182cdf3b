"""A streamed translation that survives a broken stream: reopen it and skip what already arrived."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from frontend.backend_client import (
    BackendAbsent,
    BackendClient,
    BackendError,
    BackendFailed,
    BackendStream,
    Segment,
    StreamDone,
)

log = logging.getLogger(__name__)

#: How often a translation asks again while no backend replica is there to take it.
ABSENT_RETRY_INTERVAL_S = 0.5


class ResumingStream:
    """Iterate a translation's segments once each, reopening the backend stream when it breaks.

    Translation is deterministic and the backend caches segments, so a reopened stream replays
    the segments already received cheaply; they are skipped by index. Only errors marked
    retryable (unreachable, connection broken, stream cut) are retried, within `attempts`
    requests in all; a refused text, a failed translation or a malformed stream is not.

    While no replica is there to take the request at all (BackendAbsent: every replica
    restarting), the stream waits for one instead, asking every `absent_retry_interval_s`, for
    up to `absent_wait_s` in all; those requests do not count against `attempts`.
    """

    def __init__(
        self,
        backend: BackendClient,
        text: str,
        *,
        request_id: str,
        attempts: int,
        backoff_s: float,
        absent_wait_s: float = 0.0,
        absent_retry_interval_s: float = ABSENT_RETRY_INTERVAL_S,
    ) -> None:
        self._backend = backend
        self._text = text
        self._request_id = request_id
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._absent_wait_s = absent_wait_s
        self._absent_interval_s = absent_retry_interval_s
        # When the wait for a replica must end (set by the first BackendAbsent).
        self._absent_deadline: float | None = None
        self._used = 0
        self._received = 0
        self._current: BackendStream | None = None
        self.done: StreamDone | None = None

    @classmethod
    async def open(
        cls,
        backend: BackendClient,
        text: str,
        *,
        request_id: str,
        attempts: int,
        backoff_s: float,
        absent_wait_s: float = 0.0,
        absent_retry_interval_s: float = ABSENT_RETRY_INTERVAL_S,
    ) -> ResumingStream:
        """Start translating `text`; raise BackendError if no attempt could start the stream."""
        stream = cls(
            backend,
            text,
            request_id=request_id,
            attempts=attempts,
            backoff_s=backoff_s,
            absent_wait_s=absent_wait_s,
            absent_retry_interval_s=absent_retry_interval_s,
        )
        stream._current = await stream._open()
        return stream

    async def __aiter__(self) -> AsyncIterator[Segment]:
        """Yield every segment once, in order; set `done` at the end or raise BackendError."""
        while True:
            assert self._current is not None, "use ResumingStream.open()"
            try:
                async with aclosing(aiter(self._current)) as segments:
                    async for segment in segments:
                        if segment.index < self._received:
                            continue  # Replayed by a reopened stream: already yielded.
                        if segment.index != self._received:
                            raise BackendFailed("The translation service skipped segments.")
                        self._received += 1
                        yield segment
                self.done = self._current.done
                return
            except BackendError as error:
                await self._before_retry(error)
            self._current = await self._open()

    async def aclose(self) -> None:
        """Close the current connection; the backend sees the disconnect and cancels the rest."""
        if self._current is not None:
            await self._current.aclose()

    async def _open(self) -> BackendStream:
        while True:
            self._used += 1
            try:
                return await self._backend.open_stream(self._text, request_id=self._request_id)
            except BackendAbsent as error:
                if await self._waited_for_replica(error):
                    self._used -= 1
                    continue
                await self._before_retry(error)
            except BackendError as error:
                await self._before_retry(error)

    async def _waited_for_replica(self, error: BackendAbsent) -> bool:
        """Wait a moment for a replica if the wait allows it; False once it is spent."""
        now = asyncio.get_running_loop().time()
        if self._absent_deadline is None:
            self._absent_deadline = now + self._absent_wait_s
        left_s = self._absent_deadline - now
        if left_s <= 0:
            return False
        log.warning(
            "no backend replica took the stream (%s); asking again, %.1f s of %.0f s left",
            error,
            left_s,
            self._absent_wait_s,
        )
        await asyncio.sleep(min(self._absent_interval_s, left_s))
        return True

    async def _before_retry(self, error: BackendError) -> None:
        """Re-raise `error` unless another attempt is allowed; then wait a short backoff."""
        if not error.retryable or self._used >= self._attempts:
            raise error
        log.warning(
            "backend stream failed (%s) after %d segments; attempt %d of %d",
            type(error).__name__,
            self._received,
            self._used + 1,
            self._attempts,
        )
        await asyncio.sleep(self._backoff_s * self._used)
