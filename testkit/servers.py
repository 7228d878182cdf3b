"""Start real servers as subprocesses on free loopback ports, and wait until they answer."""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@contextmanager
def serving(server: socketserver.TCPServer, *, name: str | None = None) -> Iterator[int]:
    """Serve `server` from a daemon thread for the block and yield its port.

    Afterwards, also after a failure, the server is shut down and closed and its thread ended.
    """
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def http_status(url: str, *, timeout_s: float = 2.0) -> int | None:
    """Return the HTTP status of a GET on url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def python_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return this environment with both service packages importable, plus extra variables."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "services" / "backend"), str(REPO_ROOT / "services" / "frontend")]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Test servers stop at once on SIGTERM; a test about draining passes its own value.
    env.setdefault("SHUTDOWN_DRAIN_S", "0")
    env.update(extra or {})
    return env


def tiny_backend_env(
    model_dir: Path, cache_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the variables that run `python -m backend` offline on a random test model."""
    return {
        "MODEL": str(model_dir),
        # Random weights seldom end a sentence: do not re-decode each one to 511 tokens.
        "RETRY_TRUNCATED": "false",
        "ENGINE": "ctranslate2",
        "MODEL_CACHE_DIR": str(cache_dir),
        "HF_HUB_OFFLINE": "1",
        **(extra or {}),
    }


def sqlite_frontend_env(
    backend_url: str, database: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the variables that run `python -m frontend` on a fresh SQLite file, in development."""
    return {
        "BACKEND_URL": backend_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "ENVIRONMENT": "development",
        **(extra or {}),
    }


class ServerError(RuntimeError):
    """A server subprocess exited or did not become ready in time; carries its log tail."""


class ServerProcess:
    """A server subprocess whose output goes to a log file, stopped with SIGTERM then SIGKILL."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        ready_url: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO_ROOT,
        ready_timeout_s: float = 120.0,
    ) -> None:
        self.argv = list(argv)
        self.ready_url = ready_url
        self.log_path = log_path
        self.env = dict(env) if env is not None else python_env()
        self.cwd = cwd
        self.ready_timeout_s = ready_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and block until ready_url answers 200."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise ServerError(f"{self.argv[:4]} exited with {code}:\n{self.log_tail()}")
            if http_status(self.ready_url, timeout_s=1.0) == 200:
                return
            time.sleep(0.2)
        self.stop()
        waited = f"{self.ready_timeout_s}s"
        raise ServerError(f"{self.ready_url} not ready after {waited}:\n{self.log_tail()}")

    def stop(self, *, grace_s: float = 10.0) -> int | None:
        """Stop the process gracefully (SIGTERM), killing it after grace_s; return its exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    @property
    def base_url(self) -> str:
        """Return the scheme and address of ready_url, e.g. http://127.0.0.1:8001."""
        parts = urlsplit(self.ready_url)
        return f"{parts.scheme}://{parts.netloc}"

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines the process printed."""
        if not self.log_path.exists():
            return "(no output)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def python_module(
    module: str,
    *,
    port: int,
    ready_path: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    ready_timeout_s: float = 120.0,
) -> ServerProcess:
    """Return, not started, `python -m module --host 127.0.0.1 --port port` with both packages.

    `with python_module(...) as server:` starts it, waits until ready_path answers 200, and stops
    it at the end; `server.base_url` is where it listens, `server.process` the process itself.
    """
    argv = [sys.executable, "-m", module, "--host", LOOPBACK, "--port", str(port)]
    return ServerProcess(
        argv,
        ready_url=f"http://{LOOPBACK}:{port}{ready_path}",
        log_path=log_path,
        env=python_env(env),
        ready_timeout_s=ready_timeout_s,
    )
