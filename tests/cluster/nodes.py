"""Start, power off and clean up the cluster's nodes: one dockerd each, in namespaces of its own.

A node's data (engine state, Swarm membership, images) lives under <workdir>/<node>/ and survives
a power cut, as a disk does; everything under /run is a fresh tmpfs at every boot.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.topology import (
    ENGINE_ADDRESS_POOL,
    PREFIX,
    REGISTRY,
    NodeSpec,
)
from tests.swarm.cli import CommandError, run

logger = logging.getLogger(__name__)

NODE_INIT = Path(__file__).resolve().parent / "node_init.sh"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PID_FILE = "init.pid"


class NodeError(RuntimeError):
    """A node could not be started or did not answer."""


def daemon_config(spec: NodeSpec, node_dir: Path) -> dict:
    """Return the node's daemon.json: its own paths, socket, cgroup parent and fake GPUs."""
    config = {
        "data-root": str(node_dir / "data"),
        "exec-root": "/run/docker-exec",
        "pidfile": "/run/docker.pid",
        # The test's socket, and the node's own /var/run/docker.sock that Traefik mounts.
        "hosts": [f"unix://{node_dir / 'docker.sock'}", "unix:///run/docker.sock"],
        "storage-driver": "overlay2",
        "exec-opts": ["native.cgroupdriver=cgroupfs"],
        # Its containers' cgroups in a tree of its own, removable after a power cut.
        "cgroup-parent": f"/{PREFIX}{spec.name}",
        "default-address-pools": [{"base": ENGINE_ADDRESS_POOL, "size": 24}],
        # The cluster's registry speaks plain HTTP on the private network.
        "insecure-registries": [REGISTRY],
        "labels": [f"simulated-node={spec.name}"],
        # Every container's log stays readable with `docker logs` on its node.
        "log-driver": "json-file",
    }
    if spec.gpus:
        # Named resources, one per GPU UUID, as the runbook tells operators to configure.
        config["node-generic-resources"] = [f"NVIDIA-GPU={gpu}" for gpu in spec.gpu_ids()]
    return config


@dataclass
class Node:
    """A running (or powered-off) node and the process tree that is its power supply."""

    spec: NodeSpec
    dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        """Return the path of the node's API socket, reachable from the test."""
        return self.dir / "docker.sock"

    def docker_env(self) -> dict[str, str]:
        """Return an environment whose docker CLI talks to this node."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def docker(self, *args: str, check: bool = True, timeout_s: float = 120.0) -> str:
        """Run `docker args...` against this node and return its stripped output."""
        result = run(["docker", *args], check=check, timeout_s=timeout_s, env=self.docker_env())
        return result.stdout.strip()

    def answers(self) -> bool:
        """Return whether the node's dockerd answers."""
        try:
            self.docker("version", "--format", "{{.Server.Version}}", timeout_s=10)
        except CommandError:
            return False
        return True

    def running(self) -> bool:
        """Return whether the node's process tree is alive."""
        return self.process is not None and self.process.poll() is None

    def boot(self, *, ready_timeout_s: float = 60.0) -> float:
        """Power the node on and wait until its dockerd answers; return the seconds it took."""
        started = time.monotonic()
        for sub in ("data", "etc-docker"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        config = daemon_config(self.spec, self.dir)
        (self.dir / "etc-docker" / "daemon.json").write_text(json.dumps(config, indent=2))
        self.socket.unlink(missing_ok=True)
        with (self.dir / "node.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "nsenter",
                    f"--net=/run/netns/{self.spec.netns}",
                    "unshare",
                    "--mount",
                    "--uts",
                    "--pid",
                    "--fork",
                    "--mount-proc",
                    "--propagation",
                    "slave",
                    # The node's init dies with unshare: killing this one process is a power cut.
                    "--kill-child=SIGKILL",
                    str(NODE_INIT),
                    self.spec.name,
                    str(self.dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        (self.dir / PID_FILE).write_text(str(self.process.pid))
        while time.monotonic() - started < ready_timeout_s:
            if self.process.poll() is not None:
                raise NodeError(f"{self.spec.name} stopped at boot: {self.log_tail()}")
            if self.socket.exists() and self.answers():
                return time.monotonic() - started
            time.sleep(0.2)
        raise NodeError(f"{self.spec.name}'s dockerd did not answer: {self.log_tail()}")

    def power_off(self) -> None:
        """Cut the node's power: every process of the node ends at once, nothing shuts down."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None
        (self.dir / PID_FILE).unlink(missing_ok=True)
        remove_cgroups(self.spec.name)

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the node's log (init and dockerd)."""
        log = self.dir / "node.log"
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def remove_cgroups(node_name: str, *, attempts: int = 20) -> None:
    """Remove the node's container cgroups once their processes are gone."""
    for _ in range(attempts):
        left = [path for path in CGROUP_ROOT.glob(f"*/{PREFIX}{node_name}") if path.is_dir()]
        for tree in left:
            for cgroup in sorted(tree.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if cgroup.is_dir():
                    try_rmdir(cgroup)
            try_rmdir(tree)
        if not any(path.is_dir() for path in CGROUP_ROOT.glob(f"*/{PREFIX}{node_name}")):
            return
        time.sleep(0.25)


def try_rmdir(path: Path) -> None:
    """Remove an empty cgroup directory, ignoring one still busy (retried by the caller)."""
    with contextlib.suppress(OSError):
        path.rmdir()


def kill_leftover(pid_file: Path, marker: str) -> bool:
    """SIGKILL the process a stale pid file names, if its command line still carries marker.

    The check keeps a recycled pid (some unrelated process by now) from being killed.
    """
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return False
    pid_file.unlink(missing_ok=True)
    if marker not in cmdline:
        return False
    os.kill(pid, signal.SIGKILL)
    return True
