"""Graceful drain: on SIGTERM /readyz fails at once while pages are still served, then exit 0."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from frontend.app import create_app
from frontend.config import ConfigError, Settings
from frontend.state import EXTENSION_KEY

from testkit.servers import ServerProcess, free_port, python_module, sqlite_frontend_env
from testkit.waiting import wait_for_status

DRAIN_S = 3.0


def start_frontend(tmp_path: Path, log_path: Path) -> ServerProcess:
    # Nothing listens at the backend's address: the translate page renders without it.
    env = sqlite_frontend_env(
        f"http://127.0.0.1:{free_port()}",
        tmp_path / "translations.db",
        {"SHUTDOWN_DRAIN_S": str(DRAIN_S)},
    )
    return python_module(
        "frontend", port=free_port(), ready_path="/readyz", log_path=log_path, env=env
    )


def test_sigterm_drains_then_exits_zero(tmp_path: Path, test_output_dir: Path) -> None:
    """/readyz says 503 at once, new connections still get pages, and the exit follows the drain."""
    server = start_frontend(tmp_path, test_output_dir / "logs" / "frontend-drain.log")
    with server:
        base_url = server.base_url
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        ready = wait_for_status(f"{base_url}/readyz", 503, timeout_s=1.0).status_code
        ready_for_traefik = httpx.get(f"{base_url}/readyz?exclude=database", timeout=2.0)
        # A fresh connection each: the listener itself is still open during the drain.
        page = httpx.get(f"{base_url}/", timeout=2.0)
        health = httpx.get(f"{base_url}/healthz", timeout=2.0)
        served_within_s = time.monotonic() - signalled
        exit_code = server.process.wait(timeout=DRAIN_S + 25)
        exited_after_s = time.monotonic() - signalled
    assert ready == 503
    assert ready_for_traefik.status_code == 503
    assert ready_for_traefik.json()["status"] == "draining"
    assert page.status_code == 200
    assert health.status_code == 200
    assert served_within_s < DRAIN_S, (
        "the checks above ran after the drain: the test proves nothing"
    )
    assert exit_code == 0
    assert exited_after_s >= DRAIN_S - 0.5, f"exited {exited_after_s:.1f}s after SIGTERM"


async def test_readyz_is_503_while_draining(offline_app, offline_client) -> None:
    """The app's drain flag alone turns readiness off; liveness stays on."""
    offline_app.extensions[EXTENSION_KEY].draining = True
    ready = await offline_client.get("/readyz?exclude=database")
    assert ready.status_code == 503
    assert (await ready.get_json())["status"] == "draining"
    assert (await offline_client.get("/healthz")).status_code == 200


async def test_readyz_can_exclude_the_database(make_settings: Callable[..., Settings]) -> None:
    """With MySQL down /readyz is 503, but ?exclude=database (Traefik's check) keeps serving."""
    # Nothing listens on the port: the server database is down from the start.
    url = f"mysql+asyncmy://app:pw-not-used@127.0.0.1:{free_port()}/translations"
    app = create_app(make_settings(database_url=url, database_readonly_url=url))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        full = await client.get("/readyz")
        for_traefik = await client.get("/readyz?exclude=database")
    assert full.status_code == 503
    assert for_traefik.status_code == 200


def test_negative_drain_is_refused() -> None:
    """SHUTDOWN_DRAIN_S below zero is a configuration error."""
    with pytest.raises(ConfigError, match="SHUTDOWN_DRAIN_S"):
        Settings.from_env({"SHUTDOWN_DRAIN_S": "-1"})
