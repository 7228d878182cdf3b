"""Throttle failed logins per client and per account, in memory, without touching bcrypt.

Per client: after `client_failures` wrong passwords a client waits, doubling with each further
failure (1 s, 2 s, 4 s … up to `max_lockout_s`); a success clears it.
Per account: after `account_failures` wrong passwords from clients the account has never seen
log in, such clients wait as well (again doubling). Clients holding a *device token* (given to
a browser after a successful login, OWASP's "device cookie") are exempt from the account lock,
so a guesser elsewhere can slow the account down for strangers but cannot lock its operator out.
The refusal is a dictionary look-up: it is answered before any bcrypt check. Both tables are
bounded (oldest forgotten first), so a flood of addresses or names cannot grow memory.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle"]

_MAX_TRACKED = 10_000
# Failures older than this are forgotten (a new burst starts from the free allowance again).
_FORGET_AFTER_S = 3600.0


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginThrottle:
    """Decide whether a login attempt may be checked now, and record its outcome."""

    def __init__(
        self,
        *,
        client_failures: int = 5,
        account_failures: int = 20,
        max_lockout_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_failures = client_failures
        self._account_failures = account_failures
        self._max_lockout_s = max_lockout_s
        self._clock = clock
        self._clients: OrderedDict[str, _Failures] = OrderedDict()
        self._accounts: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after_s(self, client: str, account: str, *, trusted_device: bool) -> int | None:
        """Return the whole seconds to wait before this attempt may be checked, or None."""
        now = self._clock()
        waits = [self._wait(self._clients, client, now)]
        if not trusted_device:
            waits.append(self._wait(self._accounts, account, now))
        longest = max(waits)
        return math.ceil(longest) if longest > 0 else None

    def failed(self, client: str, account: str, *, trusted_device: bool) -> None:
        """Record a wrong password (after the check ran)."""
        now = self._clock()
        self._record(self._clients, client, self._client_failures, now)
        if not trusted_device:
            self._record(self._accounts, account, self._account_failures, now)

    def succeeded(self, client: str) -> None:
        """Clear the client's failures (the account's stay: other clients may be guessing)."""
        self._clients.pop(client, None)

    def _wait(self, table: OrderedDict[str, _Failures], key: str, now: float) -> float:
        entry = table.get(key)
        if entry is None:
            return 0.0
        if now - entry.last_failure > _FORGET_AFTER_S:
            del table[key]
            return 0.0
        return max(0.0, entry.locked_until - now)

    def _record(
        self, table: OrderedDict[str, _Failures], key: str, allowance: int, now: float
    ) -> None:
        entry = table.get(key)
        if entry is None or now - entry.last_failure > _FORGET_AFTER_S:
            entry = _Failures()
        entry.count += 1
        entry.last_failure = now
        over = entry.count - allowance
        if over >= 0:
            entry.locked_until = now + min(self._max_lockout_s, 2.0**over)
        table[key] = entry
        table.move_to_end(key)
        while len(table) > _MAX_TRACKED:
            table.popitem(last=False)
