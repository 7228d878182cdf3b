"""`python -m frontend` never ends a kept-alive connection before Traefik does (no reuse race).

Traefik's fast proxy reuses a pooled connection the server is closing: the request sent on it
fails or hangs. So the server must close neither an idle connection (before Traefik's idle
timeout) nor a busy one (after some number of requests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.raw_http import answers_before_close, idle_connection_survives
from testkit.servers import free_port, python_module, sqlite_frontend_env

#: Past hypercorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0
#: Past hypercorn's default cap on requests per connection (keep_alive_max_requests, 1,000).
REQUESTS_ON_ONE_CONNECTION = 1_200


@pytest.fixture(scope="module")
def frontend_port(tmp_path_factory: pytest.TempPathFactory, test_output_dir: Path) -> Iterator[int]:
    port = free_port()
    # Nothing listens at the backend's address: /healthz answers without it.
    database = tmp_path_factory.mktemp("keep-alive") / "translations.db"
    env = sqlite_frontend_env(f"http://127.0.0.1:{free_port()}", database)
    log_path = test_output_dir / "logs" / "frontend-keep-alive.log"
    with python_module("frontend", port=port, ready_path="/healthz", log_path=log_path, env=env):
        yield port


def test_an_idle_keep_alive_connection_stays_open(frontend_port: int) -> None:
    """A connection idle longer than hypercorn's default still carries the next request."""
    assert idle_connection_survives("127.0.0.1", frontend_port, "/healthz", IDLE_S)


def test_a_busy_connection_is_never_ended_by_the_server(frontend_port: int) -> None:
    """More requests than hypercorn's default cap, all on one connection, none told to close."""
    answered = answers_before_close(
        "127.0.0.1", frontend_port, "/healthz", REQUESTS_ON_ONE_CONNECTION
    )
    assert answered == REQUESTS_ON_ONE_CONNECTION
