"""python -m backend drains on SIGTERM: /readyz 503 at once, translations still served, exit 0."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import httpx

from testkit.servers import ServerProcess, free_port, python_env

DRAIN_S = 3.0


def test_sigterm_drains_then_exits_zero(
    tiny_model: Path, tmp_path: Path, test_output_dir: Path
) -> None:
    """During the drain the replica says not ready, yet still translates on new connections."""
    port = free_port()
    env = python_env(
        {
            "MODEL": str(tiny_model),
            # Random weights seldom end a sentence: do not re-decode each one to 511 tokens.
            "RETRY_TRUNCATED": "false",
            "ENGINE": "ctranslate2",
            "MODEL_CACHE_DIR": str(tmp_path / "cache"),
            "HF_HUB_OFFLINE": "1",
            "SHUTDOWN_DRAIN_S": str(DRAIN_S),
        }
    )
    base_url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(port)]
    log_path = test_output_dir / "logs" / "backend-drain.log"
    with ServerProcess(argv, ready_url=f"{base_url}/readyz", log_path=log_path, env=env) as server:
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        deadline = signalled + 1.0
        ready = httpx.get(f"{base_url}/readyz", timeout=2.0)
        while ready.status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.05)
            ready = httpx.get(f"{base_url}/readyz", timeout=2.0)
        translated = httpx.post(
            f"{base_url}/v1/translate", json={"text": "Guten Morgen. Wie geht es?"}, timeout=10.0
        )
        served_within_s = time.monotonic() - signalled
        exit_code = server.process.wait(timeout=DRAIN_S + 20)
        exited_after_s = time.monotonic() - signalled
    assert ready.status_code == 503
    assert ready.json()["status"] == "draining"
    assert translated.status_code == 200
    assert translated.json()["segments"] == 2
    assert served_within_s < DRAIN_S, "the checks ran after the drain: they prove nothing"
    assert exit_code == 0
    assert exited_after_s >= DRAIN_S - 0.5, f"exited {exited_after_s:.1f}s after SIGTERM"
