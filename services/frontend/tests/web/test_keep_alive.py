"""`python -m frontend` keeps idle connections open longer than Traefik does (no reuse race)."""

from __future__ import annotations

from pathlib import Path

from testkit.raw_http import idle_connection_survives
from testkit.servers import free_port, python_module, sqlite_frontend_env

#: Past hypercorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0


def test_an_idle_keep_alive_connection_stays_open(tmp_path: Path, test_output_dir: Path) -> None:
    """A connection idle longer than hypercorn's default still carries the next request."""
    port = free_port()
    # Nothing listens at the backend's address: /healthz answers without it.
    env = sqlite_frontend_env(f"http://127.0.0.1:{free_port()}", tmp_path / "translations.db")
    log_path = test_output_dir / "logs" / "frontend-keep-alive.log"
    with python_module("frontend", port=port, ready_path="/healthz", log_path=log_path, env=env):
        assert idle_connection_survives("127.0.0.1", port, "/healthz", IDLE_S)
