"""`python -m frontend` against slow and oversized clients, over raw sockets (frontend/http11.py).

One real server with a short header deadline: a request head that dribbles in is answered 408
and closed once the deadline passes, while an idle keep-alive connection, which has sent no byte
of its next request, stays open much longer; a body the server refused is still read (and
dropped) for a while, so that the peer sees the answer rather than a connection reset.
"""

from __future__ import annotations

import select
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.raw_http import idle_connection_survives
from testkit.servers import ServerProcess, free_port, python_env

#: Short, so that the tests are quick; the load on a shared machine still fits in the margins.
HEAD_TIMEOUT_S = 1.5
#: How long after the deadline the cut may come on a loaded machine.
SLACK_S = 2.5
#: The frontend's body limit with MAX_TEXT_CHARS=1000 (12 bytes a character + 64 KiB).
BODY_LIMIT_BYTES = 12 * 1000 + 64 * 1024


@pytest.fixture(scope="module")
def frontend(tmp_path_factory: pytest.TempPathFactory, test_output_dir: Path) -> Iterator[int]:
    """Run the real frontend with HEADER_READ_TIMEOUT_S=1.5; yield its port."""
    tmp_path = tmp_path_factory.mktemp("slow-clients")
    port = free_port()
    env = python_env(
        {
            "BACKEND_URL": f"http://127.0.0.1:{free_port()}",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
            "ENVIRONMENT": "development",
            "HEADER_READ_TIMEOUT_S": str(HEAD_TIMEOUT_S),
            "MAX_TEXT_CHARS": "1000",
        }
    )
    argv = [sys.executable, "-m", "frontend", "--host", "127.0.0.1", "--port", str(port)]
    log_path = test_output_dir / "logs" / "frontend-slow-clients.log"
    with ServerProcess(
        argv, ready_url=f"http://127.0.0.1:{port}/healthz", log_path=log_path, env=env
    ):
        yield port


def _dribble_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Send a header line whenever the server is quiet; return what it answered and when."""
    started = time.monotonic()
    answer = b""
    sock.settimeout(0.3)
    while time.monotonic() - started < limit_s:
        try:
            more = sock.recv(4096)
        except TimeoutError:
            sock.sendall(b"X-Slow: 1\r\n")
            continue
        except ConnectionError:
            break
        if not more:
            break
        answer += more
    return answer, time.monotonic() - started


def test_a_dribbled_request_head_is_answered_408_and_closed_at_the_deadline(frontend: int) -> None:
    with socket.create_connection(("127.0.0.1", frontend), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer, elapsed_s = _dribble_until_closed(sock, HEAD_TIMEOUT_S + SLACK_S + 5)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"took longer than 1.5 s" in answer
    assert HEAD_TIMEOUT_S - 0.1 < elapsed_s < HEAD_TIMEOUT_S + SLACK_S


def test_a_silent_new_connection_is_closed_at_the_deadline(frontend: int) -> None:
    """A connection that never sends its first request counts as a head that never ends."""
    with socket.create_connection(("127.0.0.1", frontend), timeout=5) as sock:
        started = time.monotonic()
        readable, _, _ = select.select([sock], [], [], HEAD_TIMEOUT_S + SLACK_S + 5)
        elapsed_s = time.monotonic() - started
        assert readable, "the server kept a silent connection open"
        assert sock.recv(4096).startswith(b"HTTP/1.1 408 ")
    assert HEAD_TIMEOUT_S - 0.1 < elapsed_s < HEAD_TIMEOUT_S + SLACK_S


def test_an_idle_keep_alive_connection_outlives_the_deadline(frontend: int) -> None:
    """Idle between requests is keep-alive (120 s), not a slow head."""
    assert idle_connection_survives("127.0.0.1", frontend, "/healthz", 2 * HEAD_TIMEOUT_S + 0.5)


def test_a_later_requests_deadline_starts_with_its_first_byte(frontend: int) -> None:
    """After an idle pause longer than the deadline, the next head still gets all of it."""
    with socket.create_connection(("127.0.0.1", frontend), timeout=5) as sock:
        reader = sock.makefile("rb")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reader.readline().startswith(b"HTTP/1.1 200")
        while reader.readline() not in (b"\r\n", b""):
            pass
        time.sleep(2 * HEAD_TIMEOUT_S)
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        answer, elapsed_s = _dribble_until_closed(sock, HEAD_TIMEOUT_S + SLACK_S + 5)
    # Whatever is left of the first answer's body comes first; the 408 follows it.
    assert b"HTTP/1.1 408 " in answer, answer[-300:]
    assert HEAD_TIMEOUT_S - 0.1 < elapsed_s < HEAD_TIMEOUT_S + SLACK_S


def test_a_head_sent_in_pieces_within_the_deadline_is_served(frontend: int) -> None:
    with socket.create_connection(("127.0.0.1", frontend), timeout=5) as sock:
        for piece in (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(HEAD_TIMEOUT_S / 8)
        assert sock.makefile("rb").readline().startswith(b"HTTP/1.1 200")


def test_a_refused_body_is_read_on_instead_of_reset(frontend: int) -> None:
    """A declared oversized body gets its 413 at once, and the connection is not reset.

    Closing with the body's bytes unread makes the kernel reset the connection: a proxy still
    copying the body then loses the answer (Traefik's 502). The server reads on for a while.
    """
    head = (
        f"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {BODY_LIMIT_BYTES * 1000}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", frontend), timeout=5) as sock:
        sock.sendall(head + b"[" * 65536)
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        # Go on sending the body, as a proxy does, for a second: no reset meanwhile.
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            sock.sendall(b"[" * 65536)
            time.sleep(0.01)
