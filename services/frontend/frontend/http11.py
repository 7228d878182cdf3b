"""Hypercorn's HTTP/1.1 protocol with a deadline on the request head and a lingering close.

Hypercorn has no header-read timeout. Its idle timer (`keep_alive_timeout`, 120 s here so that
Traefik closes idle connections first) runs from the connection's start until a request's head
is parsed, so a client dribbling header lines holds a connection that long; `read_timeout`
would bound every read, the idle keep-alive between requests included. So this protocol adds:

* A deadline for the request line and headers (`header_read_timeout_s`): it starts when a
  connection opens and with the first byte of each later request (idle keep-alive time is not
  counted), and ends once h11 has parsed the head. Past it the client gets a 408 and the
  connection is closed (nginx's client_header_timeout, Go's ReadHeaderTimeout).
* A lingering close: when hypercorn closes a connection whose request body is still arriving
  (a 413 answered on the Content-Length, or a body refused half-way), closing at once makes the
  kernel answer the unread bytes with a reset, which can destroy the answer before the peer has
  read it; Traefik then reported 502 instead of the 413. The connection stays open for
  `linger_s` more, reading and dropping, or until the peer closes (Apache's and nginx's
  lingering close, Go's rstAvoidanceDelay).

Hypercorn picks its HTTP/1.1 class from `hypercorn.protocol` at each connection; `install()`
puts this one there. It only changes connections served with a `ServerConfig`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import hypercorn.protocol
from hypercorn.config import Config
from hypercorn.events import Closed, Event, RawData, Updated
from hypercorn.protocol.h11 import H11Protocol

__all__ = ["HardenedH11Protocol", "ServerConfig", "install"]

log = logging.getLogger(__name__)


class ServerConfig(Config):
    """Hypercorn's configuration plus the two bounds this protocol enforces."""

    #: Seconds a client gets to send a request line and its headers; None: no deadline.
    header_read_timeout_s: float | None = None
    #: Seconds a connection is still read (and the bytes dropped) after answering a request
    #: whose body was not read, before it is closed.
    linger_s: float = 2.0


class HardenedH11Protocol(H11Protocol):
    """Hypercorn's H11Protocol with the request-head deadline and the lingering close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every event hypercorn's protocol sends to its TCP server passes _to_server first.
        self._server_send = self.send
        self.send = self._to_server
        self._head_timer: asyncio.TimerHandle | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._peer_closed = False

    @property
    def _head_timeout_s(self) -> float | None:
        return getattr(self.config, "header_read_timeout_s", None)

    async def initiate(self) -> None:
        """Start the first request's head deadline with the connection."""
        await super().initiate()
        self._arm()

    async def handle(self, event: Event) -> None:
        """Count the head's time from its first byte; drop what arrives while lingering."""
        if isinstance(event, Closed):
            self._peer_closed = True
            self._disarm()
            if self._linger_timer is not None:
                await self._end_linger()
                return
        elif self._linger_timer is not None:
            return  # the answer is out: the rest of the body is read and dropped
        elif isinstance(event, RawData) and self.connection.their_state is h11.IDLE:
            self._arm()
        await super().handle(event)

    async def _to_server(self, event: Event) -> None:
        if isinstance(event, Updated):
            if not event.idle:
                self._disarm()  # h11 has parsed a request head
            elif self.connection.trailing_data[0]:
                self._arm()  # the next request's head has begun (pipelined)
        elif isinstance(event, Closed) and self._body_unread():
            self._begin_linger()
            return
        await self._server_send(event)

    def _body_unread(self) -> bool:
        return not self._peer_closed and self.connection.their_state is h11.SEND_BODY

    def _arm(self) -> None:
        timeout_s = self._head_timeout_s
        if timeout_s is None or self._head_timer is not None or self._expiry is not None:
            return
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(timeout_s, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        self._expiry = asyncio.get_running_loop().create_task(self._refuse_slow_head())

    async def _refuse_slow_head(self) -> None:
        log.info("closing a connection whose request head took over %s s", self._head_timeout_s)
        message = f"The request's headers took longer than {self._head_timeout_s} s.\n".encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(message)),
            (b"connection", b"close"),
        ]
        try:
            data = self.connection.send(h11.Response(status_code=408, headers=headers))
            data += self.connection.send(h11.Data(data=message))
            data += self.connection.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            data = b""  # h11 cannot answer in this state: just close
        if data:
            await self._server_send(RawData(data=data))
        await self._server_send(Closed())

    def _begin_linger(self) -> None:
        if self._linger_timer is not None:
            return
        linger_s = getattr(self.config, "linger_s", 0.0)
        loop = asyncio.get_running_loop()
        self._linger_timer = loop.call_later(linger_s, lambda: loop.create_task(self._end_linger()))

    async def _end_linger(self) -> None:
        if self._linger_timer is None:
            return
        self._linger_timer.cancel()
        self._linger_timer = None
        await self._server_send(Closed())


def install() -> None:
    """Make hypercorn serve HTTP/1.1 with HardenedH11Protocol (before `serve`)."""
    hypercorn.protocol.H11Protocol = HardenedH11Protocol  # type: ignore[misc]
