"""Supervise `make run`'s processes: start them, wait until they answer, stop them in order."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from local_setup import REPO_ROOT

POLL_S = 0.2
STOP_GRACE_S = 15.0


@dataclass
class Child:
    """One supervised process: how to start it, where it logs, and when it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the process in its own session, so a terminal's Ctrl-C reaches only us."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # The argv is built here from fixed modules and the venv's own binaries.
            self.process = subprocess.Popen(  # noqa: S603
                self.argv,
                env=self.env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exit_reason(self) -> str | None:
        """Say how the process ended, or None while it runs."""
        code = None if self.process is None else self.process.poll()
        if code is None:
            return None
        if code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def log_tail(self, lines: int = 15) -> str:
        """Return the last lines of the process's log, indented."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join("    " + line for line in text.splitlines()[-lines:])


def answers_200(url: str) -> bool:
    """Tell whether a GET on url answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback URL)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def first_dead(children: list[Child]) -> Child | None:
    """Return the first child that has exited, if any."""
    return next((child for child in children if child.exit_reason() is not None), None)


def wait_until_ready(children: list[Child], stop: threading.Event, timeout_s: float) -> str | None:
    """Wait for every child's ready URL; return why not (death, timeout, stop) or None."""
    pending = list(children)
    deadline = time.monotonic() + timeout_s
    while pending:
        if stop.is_set():
            return "stopped before it was ready"
        dead = first_dead(children)
        if dead is not None:
            return f"{dead.name} {dead.exit_reason()} while starting"
        if time.monotonic() > deadline:
            return f"{', '.join(c.name for c in pending)} not ready after {timeout_s:.0f} s"
        pending = [child for child in pending if not answers_200(child.ready_url)]
        time.sleep(POLL_S)
    return None


def stop_all(children: list[Child]) -> None:
    """Stop the children in reverse start order: SIGTERM, then SIGKILL after a grace period."""
    for child in reversed(children):
        if child.process is not None and child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for child in reversed(children):
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run_local: {child.name} ignored SIGTERM; killing it", flush=True)
            child.process.kill()
            child.process.wait()
