"""The shared test support: waits that fail when they time out, the CSRF reader, server set-up."""

from __future__ import annotations

import http.server
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.csrf import MissingCsrfToken, csrf_token_in
from testkit.servers import (
    LOOPBACK,
    python_module,
    serving,
    sqlite_frontend_env,
    tiny_backend_env,
)
from testkit.waiting import NotInTime, until, until_ready, wait_for_status, wait_until


def test_wait_until_returns_as_soon_as_the_condition_holds() -> None:
    calls = itertools.count()
    wait_until(lambda: next(calls) >= 3, timeout_s=5.0, interval_s=0.001)
    assert next(calls) == 4


def test_wait_until_fails_naming_what_it_waited_for() -> None:
    started = time.monotonic()
    with pytest.raises(NotInTime, match=r"the queue draining did not hold within 0\.2 s"):
        wait_until(lambda: False, timeout_s=0.2, interval_s=0.01, what="the queue draining")
    assert 0.2 <= time.monotonic() - started < 2.0


async def test_until_awaits_async_conditions_too() -> None:
    answers = iter([False, False, True])

    async def saved() -> bool:
        return next(answers)

    await until(saved, timeout_s=5.0, interval_s=0.001)
    assert next(answers, "exhausted") == "exhausted"


async def test_until_fails_when_the_condition_never_holds() -> None:
    with pytest.raises(NotInTime, match="the warm-up"):
        await until(lambda: 0, timeout_s=0.1, interval_s=0.01, what="the warm-up")


class _ReadyAfter(http.server.BaseHTTPRequestHandler):
    """Answer /readyz with 503 twice, then 200; every other path with 404."""

    answered = itertools.count()

    def do_GET(self) -> None:
        if self.path != "/readyz":
            self.send_response(404)
        else:
            self.send_response(200 if next(self.answered) >= 2 else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        return


@pytest.fixture
def becomes_ready() -> Iterator[str]:
    handler = type("Handler", (_ReadyAfter,), {"answered": itertools.count()})
    with serving(http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)) as port:
        yield f"http://{LOOPBACK}:{port}"


def test_wait_for_status_returns_the_awaited_answer(becomes_ready: str) -> None:
    assert wait_for_status(becomes_ready + "/readyz", 200, timeout_s=5.0).status_code == 200


def test_wait_for_status_returns_the_last_answer_when_time_is_up(becomes_ready: str) -> None:
    started = time.monotonic()
    assert wait_for_status(becomes_ready + "/gone", 200, timeout_s=0.2).status_code == 404
    assert time.monotonic() - started >= 0.2


async def test_until_ready_waits_for_200_and_fails_without_it(becomes_ready: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=becomes_ready) as client:
        await until_ready(client, timeout_s=5.0)
        with pytest.raises(NotInTime, match="/nowhere answering 200"):
            await until_ready(client, path="/nowhere", timeout_s=-1)


@given(token=st.text(alphabet=st.characters(exclude_characters='"'), min_size=1, max_size=60))
def test_the_csrf_token_is_read_from_a_form(token: str) -> None:
    page = f'<form><input type="hidden" name="csrf_token" value="{token}"><textarea></textarea>'
    assert csrf_token_in(page) == token


def test_a_page_without_a_form_fails_clearly() -> None:
    with pytest.raises(MissingCsrfToken, match="no csrf_token field"):
        csrf_token_in("<html><body>Service Unavailable</body></html>")


def test_a_python_module_server_is_built_not_started(tmp_path: Path) -> None:
    env = tiny_backend_env(tmp_path / "model", tmp_path / "cache", {"SHUTDOWN_DRAIN_S": "3"})
    server = python_module(
        "backend", port=8123, ready_path="/readyz", log_path=tmp_path / "log", env=env
    )
    assert server.process is None
    assert server.base_url == f"http://{LOOPBACK}:8123"
    assert server.argv[1:] == ["-m", "backend", "--host", LOOPBACK, "--port", "8123"]
    assert server.env["MODEL"] == str(tmp_path / "model")
    assert server.env["RETRY_TRUNCATED"] == "false"
    assert server.env["SHUTDOWN_DRAIN_S"] == "3"  # the caller's value wins over the test default
    assert "services/backend" in server.env["PYTHONPATH"]


def test_the_frontend_runs_on_its_own_sqlite_file_in_development(tmp_path: Path) -> None:
    env = sqlite_frontend_env("http://127.0.0.1:9", tmp_path / "t.db", {"LOG_LEVEL": "DEBUG"})
    assert env["DATABASE_URL"] == f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    assert env["ENVIRONMENT"] == "development"
    assert env["BACKEND_URL"] == "http://127.0.0.1:9"
    assert env["LOG_LEVEL"] == "DEBUG"


def test_temporary_files_opened_records_each_one(temporary_files_opened: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryFile() as spooled:
        spooled.write(b"upload")
    assert temporary_files_opened == ["temporary file"]


def test_the_status_line_is_the_first_line_and_empty_once_closed() -> None:
    import socket

    from testkit.raw_http import status_line

    server, client = socket.socketpair()
    with server, client:
        for piece in (b"HTTP/1.1 4", b"13 Request Entity", b" Too Large\r\nContent-Length: 0\r\n"):
            server.sendall(piece)
        assert status_line(client, timeout_s=5.0) == b"HTTP/1.1 413 Request Entity Too Large"
        server.close()
        assert status_line(client, timeout_s=5.0) == b""  # closed: nothing more to read
