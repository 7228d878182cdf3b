"""A bounded background client that sends requests continuously and counts the failed ones."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class LoadReport:
    """What a load run saw: how many requests, how many failed, and why."""

    sent: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """Return one line describing the run."""
        reasons = ", ".join(f"{reason} x{count}" for reason, count in self.reasons.most_common(5))
        counts = f"{self.failed} failed of {self.sent} requests"
        return f"{counts} ({reasons})" if reasons else counts


# Given a worker's own HTTP client, return its request function: request number → None when
# the request succeeded, else a short reason (worker sessions keep their cookies this way).
RequestFactory = Callable[[httpx.Client], Callable[[int], str | None]]


class BackgroundLoad:
    """Send requests from `workers` threads until stopped, max_requests or max_duration_s."""

    def __init__(
        self,
        make_request: RequestFactory,
        *,
        workers: int = 2,
        max_requests: int = 2000,
        max_duration_s: float = 300.0,
        timeout_s: float = 30.0,
    ) -> None:
        self.make_request = make_request
        self.workers = workers
        self.max_requests = max_requests
        self.max_duration_s = max_duration_s
        self.timeout_s = timeout_s
        self.report = LoadReport()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _worker(self) -> None:
        deadline = time.monotonic() + self.max_duration_s
        with httpx.Client(timeout=self.timeout_s) as client:
            request = self.make_request(client)
            while not self._stop.is_set() and time.monotonic() < deadline:
                with self._lock:
                    if self.report.sent >= self.max_requests:
                        return
                    self.report.sent += 1
                    number = self.report.sent
                try:
                    problem = request(number)
                except httpx.HTTPError as error:
                    problem = type(error).__name__
                if problem is not None:
                    with self._lock:
                        self.report.failed += 1
                        self.report.reasons[problem] += 1

    def __enter__(self) -> BackgroundLoad:
        for index in range(self.workers):
            thread = threading.Thread(target=self._worker, name=f"load-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout_s + 5)

    def wait_for_requests(self, count: int, *, timeout_s: float = 60.0) -> None:
        """Block until at least count requests were sent (proof the load is really running)."""
        if count > self.max_requests:
            raise AssertionError(
                f"the load stops at max_requests={self.max_requests}, so it never sends {count}: "
                "give it a higher cap"
            )
        deadline = time.monotonic() + timeout_s
        while self.report.sent < count and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.report.sent < count:
            raise AssertionError(f"load sent only {self.report.sent} requests in {timeout_s}s")
