"""Limits the backend enforces on every connection and request, before any route runs.

* `BodyLimitMiddleware`: a request body may hold at most `max_body_bytes` (derived from
  MAX_TEXT_CHARS, as Traefik's body-limit): a larger Content-Length is refused at once, and a
  chunked body is counted while it is read, so a 500 MB upload is never read whole.
* `header_timeout_protocol`: uvicorn's HTTP/1.1 protocol with a deadline for the request line
  and headers (uvicorn has none: a slowloris client could hold a connection forever), and a
  lingering close: a connection closed while its request body is still arriving (a 413) is
  half-closed and read on for LINGER_S. Closing it at once with the body's bytes unread makes
  the kernel reset it, which can destroy the 413 before the peer has read it: Traefik, still
  copying the body, then answered 502 (Apache's and nginx's lingering close, Go's
  rstAvoidanceDelay).
* Deeply nested JSON (RecursionError while parsing) is answered 400, not 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import h11
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "HEADER_READ_TIMEOUT_S",
    "LINGER_S",
    "BodyLimitMiddleware",
    "header_timeout_protocol",
    "max_body_bytes",
]

log = logging.getLogger(__name__)

#: Seconds a client gets to send the request line and headers (Traefik sends them at once).
HEADER_READ_TIMEOUT_S = 10.0
#: Seconds a refused body is still read (and dropped) before its connection is closed.
LINGER_S = 2.0
# The JSON or form around the text.
_ENVELOPE_BYTES = 64 * 1024


def max_body_bytes(max_text_chars: int) -> int:
    """Return the largest body that can hold a valid text: 12 bytes a character + 64 KiB.

    12 bytes: the longest encoding of one character (a surrogate pair as two \\uXXXX escapes).
    """
    return max_text_chars * 12 + _ENVELOPE_BYTES


class _BodyTooLarge(HTTPException):
    """The body went past the limit while it was read.

    An HTTPException, so that FastAPI's body parsing passes it on as it is (it turns any other
    exception into a 400) and the app's handler answers 413; the middleware answers otherwise.
    """

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {limit_bytes:,} bytes.")


#: Routes that take a whole file: their bodies are bounded by MAX_FILE_BYTES, not by the text.
FILE_PATHS = frozenset({"/v1/documents", "/v1/documents/stream", "/translate_file"})


class BodyLimitMiddleware:
    """Refuse (413) a request body larger than `max_body_bytes`, counted as it arrives.

    File uploads (FILE_PATHS) may be as large as `max_file_bytes` plus the form around them.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_file_bytes: int = 0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.file_body_bytes = max(max_body_bytes, max_file_bytes + _ENVELOPE_BYTES)
        self.max_file_bytes = max_file_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in FILE_PATHS:
            await self._limited(scope, receive, send, self.file_body_bytes)
        else:
            await self._limited(scope, receive, send, self.max_body_bytes)

    def _too_large(self, scope: Scope, limit_bytes: int) -> str:
        if scope.get("path") in FILE_PATHS:
            return f"The file is larger than {self.max_file_bytes:,} bytes (MAX_FILE_BYTES)."
        return _BodyTooLarge(limit_bytes).detail

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, 413, self._too_large(scope, limit))
            return
        received = 0
        started = too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if too_large:
                    # The rest of the body stays unread: uvicorn must close, not keep reading.
                    headers = [*message.get("headers", []), (b"connection", b"close")]
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send, 413, self._too_large(scope, limit))
        except RecursionError:
            # json.loads gives up on deep nesting ([[[[…): the client's fault, not a 500.
            if not started:
                await self._refuse(send, 400, "The JSON is nested too deeply.")

    @staticmethod
    async def _refuse(send: Send, status: int, message: str) -> None:
        body = json.dumps({"detail": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        # The rest of the body is not read: close the connection rather than drain it.
        headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _LingeringTransport:
    """A transport whose close() lingers while the protocol's request body is unread.

    uvicorn closes connections through the transport it was given (the protocol's and each
    request cycle's), so wrapping it catches every close; everything else is passed through.
    """

    def __init__(self, transport: Any, body_unread: Callable[[], bool], linger_s: float) -> None:
        self._transport = transport
        self._body_unread = body_unread
        self._linger_s = linger_s
        self._timer: asyncio.TimerHandle | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    @property
    def lingering(self) -> bool:
        return self._timer is not None

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        if self.lingering:
            return
        if self._linger_s <= 0 or self._transport.is_closing() or not self._body_unread():
            self._transport.close()
            return
        # The answer is written; send FIN after it and read on until the peer closes.
        if self._transport.can_write_eof():
            self._transport.write_eof()
        self._transport.resume_reading()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._linger_s, self.close_now)

    def close_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._transport.close()


def header_timeout_protocol(
    timeout_s: float = HEADER_READ_TIMEOUT_S, linger_s: float = LINGER_S
) -> type[H11Protocol]:
    """Return uvicorn's h11 protocol closing connections whose headers take over `timeout_s`.

    The deadline starts with a connection and with the first byte of each further request, and
    ends once h11 has parsed the headers; idle keep-alive connections keep uvicorn's own timeout.
    A connection closed with its request body unread lingers `linger_s` (module docstring).
    """

    class HeaderTimeoutH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None
        _lingering_transport: _LingeringTransport | None = None

        def connection_made(self, transport: Any) -> None:
            self._lingering_transport = _LingeringTransport(
                transport, lambda: self.conn.their_state is h11.SEND_BODY, linger_s
            )
            super().connection_made(self._lingering_transport)  # type: ignore[arg-type]
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._lingering_transport is not None and self._lingering_transport.lingering:
                return  # the answer is out: the rest of the body is read and dropped
            if self._header_timer is None and self.conn.their_state is h11.IDLE:
                self._arm()
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def eof_received(self) -> None:
            if self._lingering_transport is not None and self._lingering_transport.lingering:
                self._lingering_transport.close_now()
                return
            super().eof_received()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._lingering_transport is not None and self._lingering_transport.lingering:
                self._lingering_transport.close_now()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._header_timer = self.loop.call_later(timeout_s, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            log.info("closing a connection whose headers took over %.0f s", timeout_s)
            self.transport.close()

    return HeaderTimeoutH11Protocol
