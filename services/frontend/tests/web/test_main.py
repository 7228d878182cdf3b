"""`python -m frontend`: JSON logs; SIGTERM lets a running translation finish, a second one
ends the drain at once."""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
from pathlib import Path

import httpx

from testkit.csrf import csrf_token_in
from testkit.held_backend import held_backend
from testkit.servers import ServerProcess, free_port, python_env

LONG_TEXT = " ".join(f"Das ist der Satz Nummer {n} in diesem langen Text." for n in range(200))


def start_frontend(
    backend_url: str, tmp_path: Path, log_path: Path, **extra_env: str
) -> ServerProcess:
    port = free_port()
    env = python_env(
        {
            "BACKEND_URL": backend_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
            "ENVIRONMENT": "development",
            **extra_env,
        }
    )
    argv = [sys.executable, "-m", "frontend", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(
        argv, ready_url=f"http://127.0.0.1:{port}/readyz", log_path=log_path, env=env
    )


def wait_for_log(server: ServerProcess, words: str, *, timeout_s: float = 15.0) -> None:
    """Wait (bounded) until the server's log has a line with `words`."""
    deadline = time.monotonic() + timeout_s
    while words not in server.log_path.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"no {words!r} in the log:\n{server.log_tail()}"
        time.sleep(0.05)


def test_sigterm_lets_a_running_translation_finish(tmp_path: Path, test_output_dir: Path) -> None:
    """The stream is held by the backend while the frontend stops: it still ends, saved."""
    log_path = test_output_dir / "logs" / "frontend-sigterm.log"
    with held_backend(segments=3) as backend:
        server = start_frontend(backend.url, tmp_path, log_path, SHUTDOWN_DRAIN_S="0.2")
        with server, httpx.Client(base_url=server.ready_url.removesuffix("/readyz")) as client:
            headers = {"X-CSRF-Token": csrf_token_in(client.get("/").text)}
            body = {"text": LONG_TEXT}
            with client.stream(
                "POST", "/api/translate/stream", json=body, headers=headers
            ) as response:
                lines = response.iter_lines()
                first = json.loads(next(lines))
                assert backend.streaming.wait(10), "the backend never started streaming"
                server.process.send_signal(signal.SIGTERM)
                # The drain is over and the listener closed: only the running request is left.
                wait_for_log(server, "drain over")
                assert server.process.poll() is None, "exited with a translation running"
                backend.release()
                rest = [json.loads(line) for line in lines if line.strip()]
            exit_code = server.process.wait(timeout=30)
    assert first["index"] == 0
    assert [line["index"] for line in rest[:-1]] == [1, 2]
    assert rest[-1]["done"] is True
    assert rest[-1]["saved"] is True
    assert rest[-1]["segments"] == 3
    assert backend.disconnected == 0
    assert exit_code == 0


def test_a_second_signal_ends_the_drain_at_once(tmp_path: Path, test_output_dir: Path) -> None:
    """SHUTDOWN_DRAIN_S is a minute; after the second SIGTERM the process exits within seconds."""
    log_path = test_output_dir / "logs" / "frontend-second-signal.log"
    server = start_frontend(
        f"http://127.0.0.1:{free_port()}", tmp_path, log_path, SHUTDOWN_DRAIN_S="60"
    )
    with server:
        server.process.send_signal(signal.SIGTERM)
        wait_for_log(server, "draining for 60.0 s")
        assert server.process.poll() is None
        server.process.send_signal(signal.SIGTERM)
        second = time.monotonic()
        exit_code = server.process.wait(timeout=15)
        exited_after_s = time.monotonic() - second
    assert exit_code == 0
    assert exited_after_s < 15
    assert "second stop signal" in log_path.read_text()


def test_logs_are_json_lines_without_the_text(
    backend_url: str, tmp_path: Path, test_output_dir: Path
) -> None:
    log_path = test_output_dir / "logs" / "frontend-json.log"
    server = start_frontend(backend_url, tmp_path, log_path)
    with server, httpx.Client(base_url=server.base_url) as client:
        token = csrf_token_in(client.get("/").text)
        client.post("/", data={"text": "Vertraulicher Inhalt.", "csrf_token": token})
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    assert any(e.get("endpoint") == "translate.translate_form" for e in entries)
    assert all("request_id" in e for e in entries)
    assert "Vertraulicher" not in log_path.read_text()


def test_sigterm_saves_what_waits_for_the_database(
    backend_url: str, tmp_path: Path, test_output_dir: Path
) -> None:
    """A translation kept in memory while the database was locked is saved on the way out.

    The lock is held through SIGTERM, so the background retry (cancelled by the stop) cannot
    be what stores it: only the stop's last attempt, made after the lock is released, can.
    """
    log_path = test_output_dir / "logs" / "frontend-sigterm-pending.log"
    database = tmp_path / "translations.db"
    server = start_frontend(backend_url, tmp_path, log_path, SHUTDOWN_DRAIN_S="0.2")
    with server, httpx.Client(base_url=server.ready_url.removesuffix("/readyz")) as client:
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            headers = {"X-CSRF-Token": csrf_token_in(client.get("/").text)}
            response = client.post(
                "/api/translate/stream",
                json={"text": "Der Zug kommt später."},
                headers=headers,
                timeout=60,
            )
            done = json.loads(response.text.splitlines()[-1])
            assert (done["saved"], done["status"]) == (False, "not saved yet"), done
            server.process.send_signal(signal.SIGTERM)
            wait_for_log(server, "drain over")
        finally:
            holder.rollback()
            holder.close()
        exit_code = server.process.wait(timeout=30)
    assert exit_code == 0
    rows = sqlite3.connect(database).execute("SELECT count(*) FROM translations").fetchone()
    assert rows == (1,), server.log_tail()
    assert "not saved" not in log_path.read_text().split("drain over", 1)[1]
