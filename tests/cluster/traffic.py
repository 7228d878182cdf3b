"""What users do, as the cluster checks count it: translate through Traefik and say how it went."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.swarm.client import Translator
from tests.swarm.load import BackgroundLoad

# Requests in flight on a node that loses its power hang (no reset comes back) until a timeout;
# requests started this long after the loss must all succeed: Traefik's health checks (every
# 3 s, 2 s timeout) have dropped the lost replicas by then.
AFTER_LOSS_GRACE_S = 10.0


# A translation in flight on a GPU node that loses its power: the frontend's stream idle
# timeout (BACKEND_STREAM_IDLE_TIMEOUT_S, 15 s) notices the silence and resumes it on a live
# backend. Up to two silent waits (its /detect and its stream, or a retry that reached a Traefik
# which had not dropped the lost replica yet: 30.4 s on a machine at load 36), plus margin.
FAILOVER_BOUND_S = 50.0

FAILED_REQUEST_PAUSE_S = 0.2

# The X-Request-ID a page load sends: "load-<run>-<number>", which the app and Traefik log on
# every hop, so a failed check can show each stalled request's trail (diagnostics.py).
LOAD_REQUEST_ID = re.compile(r"\bload-[0-9a-f]{8}-\d+\b")


@dataclass
class Outcomes:
    """When each request of a load started, how long it took and whether it failed."""

    records: list[tuple[float, float, str | None]] = field(default_factory=list)
    running: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, request_id: str) -> float:
        """Record that a request starts now; return the moment (time.monotonic())."""
        started = time.monotonic()
        with self.lock:
            self.running[request_id] = started
        return started

    def add(
        self, started: float, problem: str | None, *, took_s: float = 0.0, request_id: str = ""
    ) -> None:
        """Record one request (that ended, when request_id was begun)."""
        with self.lock:
            self.records.append((started, took_s, problem))
            self.running.pop(request_id, None)

    def still_running(self) -> list[tuple[str, float]]:
        """Return (request id, seconds so far) of each request not done yet, longest first."""
        now = time.monotonic()
        with self.lock:
            running = [(request_id, now - started) for request_id, started in self.running.items()]
        return sorted(running, key=lambda item: -item[1])

    def after(self, moment: float) -> tuple[int, int]:
        """Return (sent, failed) of the requests started after moment (time.monotonic())."""
        with self.lock:
            later = [problem for started, _, problem in self.records if started > moment]
        return len(later), sum(1 for problem in later if problem is not None)

    def durations_after(self, moment: float) -> list[float]:
        """Return how long each request took that was running at moment or started after it."""
        with self.lock:
            return [took for started, took, _ in self.records if started + took > moment]

    def in_flight_at(self, moment: float) -> list[float]:
        """Return how long each request that was running at moment took, slowest first."""
        with self.lock:
            running = [
                took for started, took, _ in self.records if started <= moment < started + took
            ]
        return sorted(running, reverse=True)


def detailed_problem(translator: Translator, text: str, *, request_id: str = "") -> str | None:
    """Like Translator.problem, with the transport error's message (which connection broke how)."""
    try:
        result = translator(text, request_id=request_id)
    except AssertionError as error:
        return str(error)[:240]
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {str(error)[:80]}"
    return None if result["segments"] else "no segments"


class PageLoad(BackgroundLoad):
    """A bounded background load of page translations (a user's flow), with per-request times."""

    def __init__(self, base_url: str, *, workers: int, max_duration_s: float) -> None:
        self.outcomes = Outcomes()
        run = secrets.token_hex(4)

        def session(client: httpx.Client):
            translator = Translator(client, base_url)

            def request(number: int) -> str | None:
                request_id = f"load-{run}-{number}"
                started = self.outcomes.begin(request_id)
                text = f"Satz Nummer {number}. Das Wetter ist."
                problem = detailed_problem(translator, text, request_id=request_id)
                took_s = time.monotonic() - started
                self.outcomes.add(started, problem, took_s=took_s, request_id=request_id)
                if problem is not None:
                    # As a user would: a path that fails at once must not become a flood (a run
                    # once sent 14,787 failing page loads in 10 s, drowning what it measured).
                    time.sleep(FAILED_REQUEST_PAUSE_S)
                return problem

            return request

        super().__init__(
            session,
            workers=workers,
            max_requests=100_000,
            max_duration_s=max_duration_s,
            timeout_s=60,
        )

    def wait_for_requests(self, count: int, *, timeout_s: float = 60.0) -> None:
        """Like BackgroundLoad's, naming the requests still running when the load stalls."""
        try:
            super().wait_for_requests(count, timeout_s=timeout_s)
        except AssertionError as stalled:
            running = self.outcomes.still_running()
            listed = ", ".join(f"{request_id} for {s:.1f}s" for request_id, s in running[:8])
            raise AssertionError(f"{stalled}; still running: {listed or 'none'}") from None

    def after_loss(self, lost_at: float) -> tuple[int, int]:
        """Return (sent, failed) of the requests started AFTER_LOSS_GRACE_S after lost_at."""
        return self.outcomes.after(lost_at + AFTER_LOSS_GRACE_S)


def page_load(base_url: str, *, workers: int = 2, max_duration_s: float = 600.0) -> PageLoad:
    """Return a bounded background load of page translations through base_url."""
    return PageLoad(base_url, workers=workers, max_duration_s=max_duration_s)
