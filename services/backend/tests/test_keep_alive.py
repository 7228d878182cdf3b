"""`python -m backend` keeps idle connections open longer than Traefik does (no reuse race)."""

from __future__ import annotations

import sys
from pathlib import Path

from testkit.servers import ServerProcess, free_port, idle_connection_survives, python_env

#: Past uvicorn's default keep-alive (5 s), far below Traefik's idle timeout (90 s).
IDLE_S = 6.0


def test_an_idle_keep_alive_connection_stays_open(
    tiny_model: Path, tmp_path: Path, test_output_dir: Path
) -> None:
    """A connection idle longer than uvicorn's default still carries the next request."""
    port = free_port()
    env = python_env(
        {
            "MODEL": str(tiny_model),
            # Random weights seldom end a sentence: do not re-decode each one to 511 tokens.
            "RETRY_TRUNCATED": "false",
            "MODEL_CACHE_DIR": str(tmp_path / "cache"),
            "HF_HUB_OFFLINE": "1",
        }
    )
    argv = [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(port)]
    log_path = test_output_dir / "logs" / "backend-keep-alive.log"
    ready_url = f"http://127.0.0.1:{port}/healthz"
    with ServerProcess(argv, ready_url=ready_url, log_path=log_path, env=env):
        assert idle_connection_survives("127.0.0.1", port, "/healthz", IDLE_S)
