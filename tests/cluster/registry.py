"""The cluster's registry (Debian's docker-registry, the distribution project's `registry:2`) and
the push of the test's images to it, from which every node pulls what it runs."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path

from tests.cluster.forward import connect
from tests.cluster.nodes import kill_leftover
from tests.cluster.topology import REGISTRY, REGISTRY_ADDRESS, REGISTRY_NETNS, REGISTRY_PORT

logger = logging.getLogger(__name__)

REGISTRY_BINARY = "docker-registry"
PID_FILE = "registry.pid"


class RegistryError(RuntimeError):
    """The registry did not start."""


def config_text(data_dir: Path) -> str:
    """Return the registry's configuration: file storage, plain HTTP on the private network."""
    return json.dumps(
        {
            "version": 0.1,
            "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(data_dir)}},
            "http": {"addr": REGISTRY},
        }
    )


def registry_answers() -> bool:
    """Return whether the registry accepts connections."""
    try:
        connect(REGISTRY_NETNS, REGISTRY_ADDRESS, REGISTRY_PORT, timeout_s=1).close()
    except OSError:
        return False
    return True


def start_registry(
    workdir: Path, data_dir: Path, *, ready_timeout_s: float = 30.0
) -> subprocess.Popen[bytes]:
    """Run the registry in its own namespace of the cluster's network; wait until it listens.

    data_dir outlives the run: layers pushed once are not pushed again.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    # YAML is a superset of JSON: the registry reads this file as its config.yml.
    config = workdir / "config.yml"
    config.write_text(config_text(data_dir))
    with (workdir / "registry.log").open("ab") as log:
        process = subprocess.Popen(
            [
                "nsenter",
                f"--net=/run/netns/{REGISTRY_NETNS}",
                REGISTRY_BINARY,
                "serve",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (workdir / PID_FILE).write_text(str(process.pid))
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RegistryError(f"docker-registry exited with {process.returncode}; see {workdir}")
        if registry_answers():
            return process
        time.sleep(0.1)
    process.kill()
    raise RegistryError(f"docker-registry did not listen on {REGISTRY} within {ready_timeout_s}s")


def stop_registry(process: subprocess.Popen[bytes] | None, workdir: Path) -> None:
    """Stop the registry we started (and forget its pid file)."""
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=30)
    (workdir / PID_FILE).unlink(missing_ok=True)


def kill_leftover_registry(workdir: Path) -> bool:
    """Kill a registry an interrupted run left behind (recognised by its config's path)."""
    return kill_leftover(workdir / PID_FILE, str(workdir / "config.yml"))
