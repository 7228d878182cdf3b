"""`python -m backend` keeps idle connections open longer than Traefik does (no reuse race)."""

from __future__ import annotations

from pathlib import Path

from testkit.raw_http import idle_connection_survives
from testkit.servers import free_port, python_module, tiny_backend_env

#: Past uvicorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0


def test_an_idle_keep_alive_connection_stays_open(
    tiny_model: Path, tmp_path: Path, test_output_dir: Path
) -> None:
    """A connection idle longer than uvicorn's default still carries the next request."""
    port = free_port()
    server = python_module(
        "backend",
        port=port,
        ready_path="/healthz",
        log_path=test_output_dir / "logs" / "backend-keep-alive.log",
        env=tiny_backend_env(tiny_model, tmp_path / "cache"),
    )
    with server:
        assert idle_connection_survives("127.0.0.1", port, "/healthz", IDLE_S)
