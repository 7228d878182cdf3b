"""Watch what each manager's Traefik routes to the backends, for the whole cluster run.

One Traefik's internal entrypoint once answered 404 (no router for the backends) for minutes
after a GPU node's power cut, with nothing in its log at INFO. This records, every few seconds
and per Traefik, whether the backend's router exists and which servers its service holds, and at
every change what that node's dockerd reports (the swarm provider reads the same API): so the
summary says when a router went away, on which node, and what the provider was given then.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.swarm.cli import CommandError

ROUTER = "backend-internal@swarm"
SERVICE = "backend@swarm"
POLL_INTERVAL_S = 2.0


@dataclass(frozen=True)
class RoutingState:
    """What one Traefik holds for the backends: its router, and its servers with their status."""

    router: str
    servers: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the state as one short phrase."""
        servers = ", ".join(self.servers) or "no servers"
        return f"router {self.router}; {servers}"


def routing_state(client: httpx.Client, base_url: str) -> RoutingState:
    """Ask a Traefik's API (behind the admin login) for the backend's router and servers."""
    try:
        router = client.get(f"{base_url}/traefik/api/http/routers/{ROUTER}")
        if router.status_code == 404:
            return RoutingState("missing")
        router.raise_for_status()
        status = router.json().get("status", "?")
        service = client.get(f"{base_url}/traefik/api/http/services/{SERVICE}")
        service.raise_for_status()
        servers = service.json().get("serverStatus", {}) or {}
    except httpx.HTTPError as error:
        return RoutingState(f"unreadable ({type(error).__name__}: {str(error)[:60]})")
    except ValueError:
        return RoutingState("unreadable (not JSON)")
    return RoutingState(status, tuple(f"{url} {up}" for url, up in sorted(servers.items())))


@dataclass
class RouterWatch:
    """Poll every manager's Traefik in a thread; keep one line per change of what it routes.

    entrypoints: node name → URL of that node's published Traefik port. dockerd_view: node name
    → what that node's dockerd says of the backend's tasks and the swarm networks, asked at each
    change (the provider's inputs).
    """

    entrypoints: dict[str, str]
    credentials: tuple[str, str]
    dockerd_view: Callable[[str], str]
    interval_s: float = POLL_INTERVAL_S
    events: list[str] = field(default_factory=list)
    _states: dict[str, RoutingState] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> RouterWatch:
        """Start polling."""
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._poll, name="router-watch", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def mark(self, what: str) -> None:
        """Record a moment of the run (a check starting), so events read against it."""
        with self._lock:
            self.events.append(f"t+{time.monotonic() - self._started:7.1f}s ---- {what}")

    def lines(self) -> list[str]:
        """Return the recorded events."""
        with self._lock:
            return list(self.events)

    def lost_router(self) -> list[str]:
        """Return the events where a Traefik had no router for the backends."""
        return [line for line in self.lines() if "router missing" in line]

    def poll_once(self, client: httpx.Client) -> None:
        """Ask every Traefik once; record the ones whose routing changed."""
        for node, base_url in self.entrypoints.items():
            state = routing_state(client, base_url)
            if state != self._states.get(node):
                self._record(node, state)

    def _poll(self) -> None:
        with httpx.Client(auth=self.credentials, timeout=5) as client:
            while not self._stop.is_set():
                self.poll_once(client)
                self._stop.wait(self.interval_s)

    def _record(self, node: str, state: RoutingState) -> None:
        first = node not in self._states
        self._states[node] = state
        line = f"t+{time.monotonic() - self._started:7.1f}s {node}: {state.describe()}"
        if not first and state.router != "enabled":
            try:
                line += f"\n    {node}'s dockerd: {self.dockerd_view(node)}"
            except CommandError as error:
                line += f"\n    {node}'s dockerd unreadable: {str(error)[-200:]}"
        with self._lock:
            self.events.append(line)
