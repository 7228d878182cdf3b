"""python -m backend drains on SIGTERM: /readyz 503 at once, translations still served, exit 0."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from testkit.servers import free_port, python_module, tiny_backend_env
from testkit.waiting import wait_for_status

DRAIN_S = 3.0


def test_sigterm_drains_then_exits_zero(
    tiny_model: Path, tmp_path: Path, test_output_dir: Path
) -> None:
    """During the drain the replica says not ready, yet still translates on new connections."""
    server = python_module(
        "backend",
        port=free_port(),
        ready_path="/readyz",
        log_path=test_output_dir / "logs" / "backend-drain.log",
        env=tiny_backend_env(tiny_model, tmp_path / "cache", {"SHUTDOWN_DRAIN_S": str(DRAIN_S)}),
    )
    base_url = server.base_url
    with server:
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        ready = wait_for_status(f"{base_url}/readyz", 503, timeout_s=1.0)
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
