"""A per-client limit on article fetches: each one makes this server fetch a page for someone.

A sliding window of the last minute per client address, in memory per replica (Traefik's
api-ratelimit adds a shared first line for the public API). Bounded: the least recently seen
clients are forgotten first.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    """Allow at most `per_minute` events per client key in any 60-second window."""

    def __init__(
        self,
        per_minute: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_minute = per_minute
        self._max_clients = max_clients
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def try_acquire(self, client: str) -> float:
        """Count one event for `client` and return 0, or return the seconds until one is allowed."""
        now = self._clock()
        events = self._events.pop(client, None) or deque()
        while events and now - events[0] >= WINDOW_S:
            events.popleft()
        self._events[client] = events  # most recently seen last
        while len(self._events) > self._max_clients:
            self._events.popitem(last=False)
        if len(events) >= self._per_minute:
            return WINDOW_S - (now - events[0])
        events.append(now)
        return 0.0


def client_key(remote_addr: str | None, forwarded_for: str | None) -> str:
    """Return the address that identifies a client for the rate limit.

    Behind our own proxy (Traefik, whose address is private or loopback) the client is the last
    X-Forwarded-For entry, the one Traefik appended; a peer with a public address is the client
    itself, whatever header it sends.
    """
    peer = remote_addr or "unknown"
    try:
        behind_proxy = not ipaddress.ip_address(peer).is_global
    except ValueError:
        behind_proxy = False
    if behind_proxy and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last
    return peer
