"""`python -m frontend`: JSON logs, and SIGTERM lets a running translation finish."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from testkit.csrf import csrf_token_in
from testkit.servers import ServerProcess, free_port, python_module, sqlite_frontend_env

LONG_TEXT = " ".join(f"Das ist der Satz Nummer {n} in diesem langen Text." for n in range(200))


def start_frontend(backend_url: str, tmp_path: Path, log_path: Path) -> ServerProcess:
    env = sqlite_frontend_env(backend_url, tmp_path / "translations.db")
    return python_module(
        "frontend", port=free_port(), ready_path="/readyz", log_path=log_path, env=env
    )


def test_sigterm_lets_a_running_translation_finish(
    backend_url: str, tmp_path: Path, test_output_dir: Path
) -> None:
    log_path = test_output_dir / "logs" / "frontend-sigterm.log"
    server = start_frontend(backend_url, tmp_path, log_path)
    with server, httpx.Client(base_url=server.base_url) as client:
        token = csrf_token_in(client.get("/").text)
        headers = {"X-CSRF-Token": token}
        body = {"text": LONG_TEXT}
        with client.stream("POST", "/api/translate/stream", json=body, headers=headers) as response:
            lines = response.iter_lines()
            first = json.loads(next(lines))
            server.process.send_signal(signal.SIGTERM)
            rest = [json.loads(line) for line in lines if line.strip()]
        exit_code = server.process.wait(timeout=30)
    assert first["index"] == 0
    assert rest[-1]["done"] is True
    assert rest[-1]["saved"] is True
    assert rest[-1]["segments"] == first["total"]
    assert exit_code == 0


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
