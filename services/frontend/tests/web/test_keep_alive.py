"""`python -m frontend` keeps idle connections open longer than Traefik does (no reuse race)."""

from __future__ import annotations

import sys
from pathlib import Path

from testkit.servers import ServerProcess, free_port, idle_connection_survives, python_env

#: Past hypercorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0


def test_an_idle_keep_alive_connection_stays_open(tmp_path: Path, test_output_dir: Path) -> None:
    """A connection idle longer than hypercorn's default still carries the next request."""
    port = free_port()
    env = python_env(
        {
            "BACKEND_URL": f"http://127.0.0.1:{free_port()}",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
            "ENVIRONMENT": "development",
        }
    )
    argv = [sys.executable, "-m", "frontend", "--host", "127.0.0.1", "--port", str(port)]
    log_path = test_output_dir / "logs" / "frontend-keep-alive.log"
    ready_url = f"http://127.0.0.1:{port}/healthz"
    with ServerProcess(argv, ready_url=ready_url, log_path=log_path, env=env):
        assert idle_connection_survives("127.0.0.1", port, "/healthz", IDLE_S)
