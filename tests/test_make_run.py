"""`make run` (scripts/run_local.py): the whole app on one machine, in a browser, stops cleanly."""

from __future__ import annotations

import signal
import stat
from pathlib import Path

import bcrypt
import psutil
import pytest

from scripts.local_setup import ensure_admin_login
from testkit.servers import http_status
from tests.local_app import running, start, stop

PARAGRAPHS = [
    "Der Bericht ist fertig. Wir haben alle Zahlen geprüft.",
    "Am 3. Oktober beginnt die nächste Phase, z. B. mit neuen Tests.",
]
GERMAN = "\n\n".join(PARAGRAPHS)


def children_of(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def wait_for_exit(process, timeout_s: float = 30.0) -> int:
    return process.wait(timeout=timeout_s)


@pytest.mark.browser
def test_a_person_translates_and_finds_it_in_history_through_traefik(
    tiny_model: Path, tmp_path: Path, page, chromium, screenshot_dir: Path
) -> None:
    with running(tmp_path, tiny_model) as app:
        page.goto(app.url + "/")
        page.fill("#source-text", GERMAN)
        page.click("#translate-button")
        page.wait_for_selector("#status a", timeout=60_000)
        translation = page.text_content("#translation-pane")
        page.screenshot(path=str(screenshot_dir / "make_run_translate.png"), full_page=True)
        assert len(translation.strip().split("\n\n")) == len(PARAGRAPHS)
        progress = page.evaluate(
            "[document.querySelector('#progress').value, document.querySelector('#progress').max]"
        )
        assert progress[0] == progress[1]

        # Without credentials the browser gets the challenge (navigating would only show an error).
        assert page.request.get(app.url + "/history").status == 401
        admin = chromium.new_context(
            http_credentials={"username": app.admin[0], "password": app.admin[1]}
        )
        history = admin.new_page()
        assert history.goto(app.url + "/history").status == 200
        assert "Der Bericht ist fertig" in history.content()
        history.screenshot(path=str(screenshot_dir / "make_run_history.png"), full_page=True)
        admin.close()


def test_sigterm_stops_every_process_and_frees_the_ports(tiny_model: Path, tmp_path: Path) -> None:
    app = start(tmp_path, tiny_model)
    processes = children_of(app.process.pid)
    assert {"backend", "frontend", "traefik"} <= {
        word
        for p in processes
        for word in ("backend", "frontend", "traefik")
        if word in " ".join(p.cmdline())
    }
    assert stop(app, signum=signal.SIGTERM) == 0
    _gone, alive = psutil.wait_procs(processes, timeout=5)
    assert not alive
    assert http_status(app.url + "/ping", timeout_s=1) is None
    assert "stopping" in app.output()


def test_a_dying_service_is_named_and_the_others_are_stopped(
    tiny_model: Path, tmp_path: Path
) -> None:
    app = start(tmp_path, tiny_model)
    try:
        processes = children_of(app.process.pid)
        backend = next(p for p in processes if "backend" in p.cmdline())
        backend.kill()
        assert wait_for_exit(app.process) == 1
        _gone, alive = psutil.wait_procs(processes, timeout=5)
        assert not alive
        assert "backend was killed by SIGKILL; stopping the others" in app.output()
    finally:
        stop(app)


def test_the_admin_password_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = ensure_admin_login(tmp_path)
    second = ensure_admin_login(tmp_path)
    assert first.created
    assert not second.created
    assert second.password == first.password
    assert len(first.password) >= 20
    user, hashed = first.users_file.read_text().strip().split(":", 1)
    assert user == "admin"
    assert hashed.startswith("$2y$")
    assert bcrypt.checkpw(first.password.encode(), hashed.replace("$2y$", "$2b$", 1).encode())
    for path in (first.password_path, first.users_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_model_that_cannot_be_loaded_gets_a_clear_hint(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as error:
        start(tmp_path, tiny_model, {"MODEL": "nobody/no-such-model"})
    message = str(error.value)
    assert "backend exited with code" in message
    assert "MODEL=/path/to/model make run" in message
    assert "make random-model" in message
