"""A streamed translation that survives a broken stream: reopen it and skip what already arrived."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from frontend.backend_client import (
    BackendClient,
    BackendError,
    BackendFailed,
    BackendStream,
    Segment,
    StreamDone,
)

log = logging.getLogger(__name__)


class ResumingStream:
    """Iterate a translation's segments once each, reopening the backend stream when it breaks.

    Translation is deterministic and the backend caches segments, so a reopened stream replays
    the segments already received cheaply; they are skipped by index. Only errors marked
    retryable (unreachable, connection broken, stream cut) are retried, within `attempts`
    requests in all; a refused text, a failed translation or a malformed stream is not.
    """

    def __init__(
        self,
        backend: BackendClient,
        text: str,
        *,
        request_id: str,
        attempts: int,
        backoff_s: float,
    ) -> None:
        self._backend = backend
        self._text = text
        self._request_id = request_id
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
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
    ) -> ResumingStream:
        """Start translating `text`; raise BackendError if no attempt could start the stream."""
        stream = cls(backend, text, request_id=request_id, attempts=attempts, backoff_s=backoff_s)
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
            except BackendError as error:
                await self._before_retry(error)

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
