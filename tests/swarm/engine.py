"""Get a Docker engine with a single-node Swarm: reuse a running one or start dockerd ourselves."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.swarm.cli import CommandError, docker, docker_ok, run

logger = logging.getLogger(__name__)

DOCKERD = "dockerd"
# The fake GPUs Swarm schedules against: the stack reserves one NVIDIA-GPU per backend task, so
# two entries allow two backend replicas and leave a third one pending ("insufficient resources").
FAKE_GPUS = ("NVIDIA-GPU=fake-gpu-0", "NVIDIA-GPU=fake-gpu-1")
NODE_LABELS = ("gpu=true", "db=true")


class EngineError(RuntimeError):
    """No usable Docker engine could be found or started."""


@dataclass
class Engine:
    """The engine the tests use, and what the harness started (so it stops only that)."""

    workdir: Path
    dockerd: subprocess.Popen[bytes] | None = None
    started_swarm: bool = False
    notes: list[str] = field(default_factory=list)


def engine_running() -> bool:
    """Return whether a Docker engine answers on the default socket."""
    return docker_ok("info", "--format", "{{.ServerVersion}}", timeout_s=15)


def ensure_docker_installed(repo_root: Path) -> None:
    """Install Debian's docker.io through scripts/system-deps.sh when dockerd is missing."""
    if shutil.which(DOCKERD) or Path("/usr/sbin/dockerd").exists():
        return
    run(["bash", str(repo_root / "scripts" / "system-deps.sh")], timeout_s=900)
    if not Path("/usr/sbin/dockerd").exists():
        raise EngineError("dockerd is still missing after scripts/system-deps.sh")


def write_daemon_config(workdir: Path) -> Path:
    """Write a daemon configuration advertising the fake NVIDIA-GPU generic resources."""
    config = workdir / "daemon.json"
    config.write_text(json.dumps({"node-generic-resources": list(FAKE_GPUS)}, indent=2))
    return config


def start_dockerd(workdir: Path, log_path: Path, *, ready_timeout_s: float = 60.0):
    """Start dockerd (as root) with our configuration and wait until the API answers."""
    if os.geteuid() != 0:
        raise EngineError("no Docker engine is running and starting dockerd needs root")
    config = write_daemon_config(workdir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            ["/usr/sbin/dockerd", "--config-file", str(config), "--pidfile", str(workdir / "pid")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineError(f"dockerd exited with {process.returncode}; see {log_path}")
        if engine_running():
            return process
        time.sleep(0.5)
    stop_dockerd(process)
    raise EngineError(f"dockerd did not answer within {ready_timeout_s}s; see {log_path}")


def stop_dockerd(process: subprocess.Popen[bytes], *, grace_s: float = 30.0) -> None:
    """Stop a dockerd we started: SIGTERM (it stops its containers), SIGKILL after grace_s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def swarm_state() -> str:
    """Return this engine's Swarm state (inactive, active, pending, error, locked)."""
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}", timeout_s=15)


def init_swarm() -> None:
    """Initialise a single-node Swarm, advertising the first non-loopback address."""
    # The address only matters for other nodes joining; loopback is refused by swarm init.
    address = run(["hostname", "-I"]).stdout.split()[0]
    docker("swarm", "init", "--advertise-addr", address, timeout_s=60)


def node_gpus() -> list[str]:
    """Return the NVIDIA-GPU generic resources this node advertises to Swarm."""
    raw = docker("node", "inspect", "self", "--format", "{{json .Description.Resources}}")
    resources = json.loads(raw).get("GenericResources") or []
    specs = [r.get("NamedResourceSpec") or r.get("DiscreteResourceSpec") for r in resources]
    return [kind["Value"] for kind in specs if kind and kind.get("Kind") == "NVIDIA-GPU"]


def label_node() -> None:
    """Label this node gpu=true and db=true so the stack's placement constraints match it."""
    args = [part for label in NODE_LABELS for part in ("--label-add", label)]
    # `node inspect` knows "self", `node update` does not.
    docker("node", "update", *args, docker("info", "--format", "{{.Swarm.NodeID}}"))


def acquire_engine(repo_root: Path, workdir: Path, log_dir: Path) -> Engine:
    """Return a usable engine with an active, labelled single-node Swarm advertising two GPUs."""
    workdir.mkdir(parents=True, exist_ok=True)
    engine = Engine(workdir=workdir)
    if engine_running():
        engine.notes.append("using the Docker engine that was already running")
    else:
        ensure_docker_installed(repo_root)
        engine.dockerd = start_dockerd(workdir, log_dir / "dockerd.log")
        engine.notes.append("started dockerd with two fake NVIDIA-GPU generic resources")
    try:
        if swarm_state() != "active":
            init_swarm()
            engine.started_swarm = True
            engine.notes.append("initialised a single-node Swarm")
        label_node()
        gpus = node_gpus()
        if len(gpus) < 2:
            raise EngineError(
                f"the node advertises {len(gpus)} NVIDIA-GPU resources, the tests need 2: start "
                f"dockerd with node-generic-resources {list(FAKE_GPUS)} (see daemon.json)"
            )
    except (CommandError, EngineError):
        release_engine(engine)
        raise
    return engine


def release_engine(engine: Engine) -> None:
    """Leave the Swarm and stop dockerd, but only where this harness started them."""
    if engine.started_swarm:
        docker("swarm", "leave", "--force", check=False, timeout_s=60)
    if engine.dockerd is not None:
        stop_dockerd(engine.dockerd)
