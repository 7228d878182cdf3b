"""The fetcher, the one process that connects to addresses users give, reaches nothing inside.

From inside its container neither the database nor Traefik (whose internal entrypoint leads to
the backends) nor the backends resolve; the frontend still reaches the fetcher.
"""

from __future__ import annotations

from tests.swarm.cli import docker
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack, task_containers

pytestmark = SWARM_MARKS

# Prints "unresolved", "connected" or "unreachable" for host and port (argv 1 and 2).
PROBE = """
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
except OSError:
    print("unresolved"); sys.exit()
try:
    socket.create_connection(addresses[0][4][:2], timeout=3).close()
    print("connected")
except OSError:
    print("unreachable")
"""


def probe(container: str, host: str, port: int) -> str:
    """Return what a connection attempt from inside `container` to host:port finds."""
    return docker("exec", container, "python", "-c", PROBE, host, str(port))


def test_the_fetcher_cannot_resolve_the_database_traefik_or_the_backends(deployed: Stack) -> None:
    containers = task_containers(deployed.service("fetcher"))
    assert containers, "the fetcher has a running task on this node"
    for short in ("mysql", "traefik", "backend"):
        for host, port in (
            (short, 3306),
            (deployed.service(short), 8081),
            (f"tasks.{short}", 8001),
        ):
            assert probe(containers[0], host, port) == "unresolved", host


def test_the_frontend_reaches_the_fetcher(deployed: Stack) -> None:
    containers = task_containers(deployed.service("frontend"))
    assert containers, "the frontend has a running task on this node"
    assert probe(containers[0], "fetcher", 8003) == "connected"
