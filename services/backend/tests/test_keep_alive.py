"""`python -m backend` never ends a kept-alive connection before Traefik does (no reuse race).

Traefik's fast proxy reuses a pooled connection the server is closing: the request sent on it
fails or hangs (services/frontend/frontend/__main__.py, KEEP_ALIVE_MAX_REQUESTS). So the server
must close neither an idle connection (before Traefik's idle timeout) nor a busy one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.raw_http import answers_before_close, idle_connection_survives
from testkit.servers import free_port, python_module, tiny_backend_env

#: Past uvicorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0
#: As many as the frontend's check: past the per-connection cap servers commonly have (1,000).
REQUESTS_ON_ONE_CONNECTION = 1_200


@pytest.fixture(scope="module")
def backend_port(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory, test_output_dir: Path
) -> Iterator[int]:
    port = free_port()
    server = python_module(
        "backend",
        port=port,
        ready_path="/healthz",
        log_path=test_output_dir / "logs" / "backend-keep-alive.log",
        env=tiny_backend_env(tiny_model, tmp_path_factory.mktemp("keep-alive-cache")),
    )
    with server:
        yield port


def test_an_idle_keep_alive_connection_stays_open(backend_port: int) -> None:
    """A connection idle longer than uvicorn's default still carries the next request."""
    assert idle_connection_survives("127.0.0.1", backend_port, "/healthz", IDLE_S)


def test_a_busy_connection_is_never_ended_by_the_server(backend_port: int) -> None:
    """Many requests on one connection, none told to close."""
    answered = answers_before_close(
        "127.0.0.1", backend_port, "/healthz", REQUESTS_ON_ONE_CONNECTION
    )
    assert answered == REQUESTS_ON_ONE_CONNECTION
