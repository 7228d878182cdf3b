"""Per-client token buckets for the routes that cost: translations and console statements.

Each (route group, client) pair has a bucket of `burst` tokens refilled at `rate_per_s`; a
request takes one token or is told how long to wait. The table is bounded: the least recently
seen clients are forgotten first (a forgotten client starts with a full bucket, which costs at
most one burst).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]

_MAX_TRACKED = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: `rate_per_s` sustained, `burst` at once."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self._rate_per_s = rate_per_s
        self._burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> int | None:
        """Take a token for `key`; return None, or the whole seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self._burst), updated=now)
        else:
            refill = (now - bucket.updated) * self._rate_per_s
            bucket.tokens = min(float(self._burst), bucket.tokens + refill)
            bucket.updated = now
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        while len(self._buckets) > _MAX_TRACKED:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate_per_s))
