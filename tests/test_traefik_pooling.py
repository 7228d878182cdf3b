"""Traefik keeps its connections to the services open, through every transport the stack names.

A serversTransport declared in traefik/dynamic/middlewares.yml gets no maxIdleConnsPerHost by
default (0). The fast proxy's pool then holds no idle connection: Traefik dials one per request,
and when the dialled connection comes back before the request waits for it, the pool drops it
and the request waits forever (1 request in 300 through the overlay transport on loopback, and
the single-node Swarm test's requests that never came back). The property: whatever the
transport, a client's sequential requests travel over one kept-alive upstream connection, and
each is answered.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import yaml

from testkit.servers import LOOPBACK, REPO_ROOT, serving
from testkit.traefik import running_traefik

MIDDLEWARES_FILE = REPO_ROOT / "traefik" / "dynamic" / "middlewares.yml"
TRANSPORTS = sorted(yaml.safe_load(MIDDLEWARES_FILE.read_text())["http"]["serversTransports"])
#: Without pooling each of these opens its own connection; with it, one carries them all.
SEQUENTIAL_REQUESTS = 200
#: A reconnect is allowed (an idle timeout, a scheduling accident); one per request is not.
MAX_CONNECTIONS = 2
#: The upstream answers at once: a request that takes this long is one that never will.
ANSWER_TIMEOUT_S = 10.0


class _CountingServer(ThreadingHTTPServer):
    """Answers every GET with 200 "ok" over kept-alive HTTP/1.1; counts the connections."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.connections = 0
        self._lock = threading.Lock()

    def count_connection(self) -> None:
        with self._lock:
            self.connections += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CountingServer

    def setup(self) -> None:
        self.server.count_connection()
        super().setup()
        # Head and body are two writes: without this, Nagle's algorithm holds the body until
        # Traefik's delayed ACK (40 ms a request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture(scope="module")
def upstream() -> Iterator[_CountingServer]:
    server = _CountingServer()
    with serving(server):
        yield server


@pytest.fixture(scope="module")
def traefik_url(
    upstream: _CountingServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Traefik with the project's middlewares.yml and one route per transport it declares."""
    work_dir = tmp_path_factory.mktemp("traefik-pooling")
    dynamic_dir = work_dir / "dynamic"
    dynamic_dir.mkdir()
    shutil.copy2(MIDDLEWARES_FILE, dynamic_dir)
    upstream_url = f"http://{LOOPBACK}:{upstream.server_address[1]}"
    routers = {"ready": {"rule": "Path(`/readyz`)", "service": TRANSPORTS[0]}}
    services = {}
    for name in TRANSPORTS:
        routers[name] = {"rule": f"PathPrefix(`/{name}/`)", "service": name}
        services[name] = {
            "loadBalancer": {"serversTransport": f"{name}@file", "servers": [{"url": upstream_url}]}
        }
    routes = {"http": {"routers": routers, "services": services}}
    (dynamic_dir / "routes.yml").write_text(yaml.safe_dump(routes), encoding="utf-8")
    with running_traefik(dynamic_dir, log_path=work_dir / "traefik.log") as traefik:
        yield traefik.base_url


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sequential_requests_share_one_upstream_connection(
    transport: str, traefik_url: str, upstream: _CountingServer
) -> None:
    before = upstream.connections
    unanswered = []
    with httpx.Client(base_url=traefik_url, timeout=ANSWER_TIMEOUT_S) as client:
        for number in range(SEQUENTIAL_REQUESTS):
            try:
                answer = client.get(f"/{transport}/{number}")
            except httpx.TimeoutException:
                unanswered.append(number)
                continue
            assert answer.status_code == 200, (number, answer.status_code, answer.text[:200])
    opened = upstream.connections - before
    assert not unanswered, f"requests {unanswered} got no answer in {ANSWER_TIMEOUT_S:g} s"
    assert opened <= MAX_CONNECTIONS, (
        f"{SEQUENTIAL_REQUESTS} requests through {transport}@file opened {opened} connections "
        "to the service: Traefik does not pool them (set maxIdleConnsPerHost)"
    )
