"""The stack files as the docker CLI renders them (no daemon needed), for the stack's tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from testkit.servers import REPO_ROOT

STACK = REPO_ROOT / "stack.yml"
CPU_OVERRIDE = REPO_ROOT / "stack.cpu.yml"
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"
EXAMPLE_ENV = {"TAG": "1.2.3"}

# Service keys `docker stack deploy` ignores or refuses (docs: "Compose file v3 reference").
SWARM_IGNORED_KEYS = {
    "build", "cap_add", "cap_drop", "cgroup_parent", "container_name", "depends_on", "devices",
    "external_links", "gpus", "ipc", "links", "mem_limit", "memswap_limit", "cpus", "cpu_shares",
    "network_mode", "pid", "privileged", "restart", "runtime", "security_opt", "shm_size",
    "tmpfs", "userns_mode", "volume_driver", "volumes_from", "oom_score_adj", "scale",
}  # fmt: skip


def docker_stack_config(
    *files: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `docker stack config` on files with a clean environment plus env."""
    if not Path(DOCKER).exists():
        pytest.fail("the docker CLI is missing: run `make system-deps` (installs docker.io)")
    args = [DOCKER, "stack", "config"]
    for path in files:
        args += ["-c", str(path)]
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        args, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )


def rendered(*files: Path) -> dict[str, Any]:
    """Return the configuration docker renders from files with the example values."""
    result = docker_stack_config(*files, env=EXAMPLE_ENV)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def labels(service: dict[str, Any]) -> dict[str, str]:
    """Return a service's deploy labels (Traefik reads these)."""
    return service.get("deploy", {}).get("labels", {})
