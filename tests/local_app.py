"""Run `make run` (scripts/run_local.py) for tests: free ports, the tiny model, temporary state."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import REPO_ROOT, free_port, python_env
from testkit.waiting import NotInTime, wait_until

RUN_LOCAL = REPO_ROOT / "scripts" / "run_local.py"
READY_LINE = "Press Ctrl-C to stop."
READY_TIMEOUT_S = 180.0


@dataclass
class LocalApp:
    """A running `make run`: its public URL, admin login, run folder and process."""

    url: str
    admin: tuple[str, str]
    run_dir: Path
    output_path: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        """Return everything run_local.py printed so far."""
        return self.output_path.read_text(errors="replace")


def distinct_free_ports(count: int) -> list[int]:
    """Return count different free loopback ports."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def start(work_dir: Path, tiny_model: Path, extra_env: dict[str, str] | None = None) -> LocalApp:
    """Start run_local.py and wait until it prints that everything is ready."""
    traefik, backend, frontend = distinct_free_ports(3)
    env = python_env(
        {
            "MODEL": str(tiny_model),
            # Random weights seldom end a sentence: do not re-decode each one to 511 tokens.
            "RETRY_TRUNCATED": "false",
            "ENGINE": "ctranslate2",
            "HF_HUB_OFFLINE": "1",
            "MODEL_CACHE_DIR": str(work_dir / "model-cache"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{work_dir / 'translations.db'}",
            "TRAEFIK_PORT": str(traefik),
            "BACKEND_PORT": str(backend),
            "FRONTEND_PORT": str(frontend),
            "RUN_DIR": str(work_dir / "run"),
            "READY_TIMEOUT_S": str(READY_TIMEOUT_S),
            **(extra_env or {}),
        }
    )
    output_path = work_dir / "run_local.out"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(RUN_LOCAL)],
            env=env,
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    app = LocalApp(f"http://127.0.0.1:{traefik}", ("", ""), work_dir / "run", output_path, process)
    _wait_ready(app)
    password = (app.run_dir / "admin_password").read_text().strip()
    app.admin = ("admin", password)
    return app


def stop(app: LocalApp, *, signum: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
    """Stop run_local.py as a person would (Ctrl-C) and return its exit code."""
    if app.process.poll() is None:
        app.process.send_signal(signum)
        try:
            app.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait()
    return app.process.returncode


@contextlib.contextmanager
def running(
    work_dir: Path, tiny_model: Path, extra_env: dict[str, str] | None = None
) -> Iterator[LocalApp]:
    """Run the app for the duration of the block."""
    app = start(work_dir, tiny_model, extra_env)
    try:
        yield app
    finally:
        stop(app)


def _wait_ready(app: LocalApp) -> None:
    def ready() -> bool:
        if app.process.poll() is not None:
            raise RuntimeError(
                f"run_local.py exited with {app.process.returncode}:\n{app.output()}"
            )
        return READY_LINE in app.output()

    try:
        wait_until(ready, timeout_s=READY_TIMEOUT_S + 10, interval_s=0.2, what=repr(READY_LINE))
    except NotInTime:
        stop(app)
        raise RuntimeError(f"run_local.py not ready in time:\n{app.output()}") from None
