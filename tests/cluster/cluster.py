"""Bring the simulated cluster up (network, registry, nodes, Swarm, labels) and take it down
completely, this run's or what an interrupted run left behind."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.cluster import network, storage
from tests.cluster.nodes import NODE_INIT, PID_FILE, Node, kill_leftover, remove_cgroups
from tests.cluster.registry import kill_leftover_registry, start_registry, stop_registry
from tests.cluster.topology import (
    NODES,
    REGISTRY_ADDRESS,
    REGISTRY_NETNS,
    SWARM_ADDRESS_POOL,
    managers,
)
from tests.swarm.cli import CommandError

logger = logging.getLogger(__name__)

SWARM_PORT = 2377


class ClusterError(RuntimeError):
    """The cluster could not be brought up; the message says which step failed."""


@dataclass
class Cluster:
    """The running cluster: its nodes by name, its registry, and where their files live."""

    workdir: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    registry: subprocess.Popen[bytes] | None = None
    timings_s: dict[str, float] = field(default_factory=dict)

    def manager(self, exclude: tuple[str, ...] = ()) -> Node:
        """Return a running manager node to send Swarm commands to (not one of exclude)."""
        for spec in managers():
            node = self.nodes[spec.name]
            if spec.name not in exclude and node.running():
                return node
        raise ClusterError("no manager node is running")

    def node_list(self) -> list[dict[str, str]]:
        """Return `docker node ls` as dicts (Hostname, Status, Availability, ManagerStatus)."""
        fields = "{{.Hostname}}|{{.Status}}|{{.Availability}}|{{.ManagerStatus}}"
        rows = self.manager().docker("node", "ls", "--format", fields).splitlines()
        keys = ("Hostname", "Status", "Availability", "ManagerStatus")
        return [dict(zip(keys, row.split("|"), strict=True)) for row in rows]


def clean_leftovers(run_dir: Path) -> list[str]:
    """Remove what an earlier run left: its node processes, registry, namespaces, cgroups, files."""
    found = []
    for spec in NODES:
        if kill_leftover(run_dir / spec.name / PID_FILE, str(NODE_INIT)):
            found.append(f"{spec.name}'s processes")
    if kill_leftover_registry(run_dir / "registry"):
        found.append("the registry")
    if found:
        # SIGKILLed trees take a moment to be reaped before their cgroups can go.
        time.sleep(1)
    leftover_netns = network.our_namespaces()
    if leftover_netns:
        found.append(f"namespaces {leftover_netns}")
    network.delete_all()
    for spec in NODES:
        remove_cgroups(spec.name)
    if storage.mounted(run_dir):
        found.append(f"the tmpfs on {run_dir}")
        storage.unmount(run_dir)
    return found


def build_network() -> None:
    """Create the hub, one namespace per node, and the registry's namespace."""
    network.create_hub()
    for spec in NODES:
        network.add_host(spec.netns, spec.address)
    network.add_host(REGISTRY_NETNS, REGISTRY_ADDRESS)


def form_swarm(cluster: Cluster) -> None:
    """Initialise the Swarm on the first manager, join the others, label the nodes."""
    first, *others = NODES
    leader = cluster.nodes[first.name]
    leader.docker(
        "swarm", "init",
        "--advertise-addr", first.address,
        "--listen-addr", f"{first.address}:{SWARM_PORT}",
        "--default-addr-pool", SWARM_ADDRESS_POOL,
        "--default-addr-pool-mask-length", "24",
        timeout_s=60,
    )  # fmt: skip
    tokens = {
        role: leader.docker("swarm", "join-token", "--quiet", role)
        for role in ("manager", "worker")
    }
    for spec in others:
        cluster.nodes[spec.name].docker(
            "swarm", "join",
            "--advertise-addr", spec.address,
            "--listen-addr", f"{spec.address}:{SWARM_PORT}",
            "--token", tokens["manager" if spec.manager else "worker"],
            f"{first.address}:{SWARM_PORT}",
            timeout_s=90,
        )  # fmt: skip
    for spec in NODES:
        if spec.labels:
            args = [part for label in spec.labels for part in ("--label-add", label)]
            leader.docker("node", "update", *args, spec.name)


def swarm_complete(cluster: Cluster) -> str | None:
    """Return None once every node is Ready and every manager Leader or Reachable."""
    rows = cluster.node_list()
    ready = sorted(row["Hostname"] for row in rows if row["Status"] == "Ready")
    if ready != sorted(spec.name for spec in NODES):
        return f"ready nodes: {ready}"
    voting = [row for row in rows if row["ManagerStatus"] in {"Leader", "Reachable"}]
    if len(voting) != len(managers()):
        return f"{len(voting)} of {len(managers())} managers reachable"
    return None


def bring_up(run_dir: Path, registry_data: Path) -> Cluster:
    """Start the whole cluster; on any failure take down what was started and raise.

    The nodes' disks are a tmpfs on run_dir: gone in an instant at the end (deleting the
    image layers of five engines from a busy disk took minutes), kept across power cuts.
    """
    cluster = Cluster(workdir=run_dir)
    try:
        started = time.monotonic()
        storage.mount(run_dir)
        build_network()
        cluster.registry = start_registry(run_dir / "registry", registry_data)
        for spec in NODES:
            cluster.nodes[spec.name] = Node(spec, run_dir / spec.name)
        for node in cluster.nodes.values():
            node.boot()
        cluster.timings_s[f"network, registry and {len(NODES)} dockerd answering"] = (
            time.monotonic() - started
        )
        started = time.monotonic()
        form_swarm(cluster)
        wait_until("the Swarm formed", lambda: swarm_complete(cluster), timeout_s=120)
        cluster.timings_s["Swarm formed (init, joins, labels)"] = time.monotonic() - started
    except (CommandError, OSError, RuntimeError) as error:
        logs = "\n".join(f"--- {n.spec.name}\n{n.log_tail(15)}" for n in cluster.nodes.values())
        tear_down(cluster)
        raise ClusterError(f"the cluster did not come up: {error}\n{logs}") from error
    return cluster


def wait_until(what: str, check, *, timeout_s: float, interval_s: float = 0.5) -> float:
    """Poll check() (None when satisfied, else what is missing); return the seconds it took."""
    started = time.monotonic()
    missing = "never checked"
    while time.monotonic() - started < timeout_s:
        try:
            missing = check()
        except CommandError as error:
            missing = str(error)[-300:]
        if missing is None:
            return time.monotonic() - started
        time.sleep(interval_s)
    raise ClusterError(f"{what} not reached within {timeout_s:.0f}s: {missing}")


def tear_down(cluster: Cluster) -> None:
    """Power every node off, stop the registry, delete namespaces, cgroups and node data."""
    for node in cluster.nodes.values():
        node.power_off()
    stop_registry(cluster.registry, cluster.workdir / "registry")
    clean_leftovers(cluster.workdir)


def use_manager(cluster: Cluster, exclude: tuple[str, ...] = ()) -> Node:
    """Point this process's docker CLI (DOCKER_HOST) at a running manager; return it."""
    node = cluster.manager(exclude)
    os.environ["DOCKER_HOST"] = f"unix://{node.socket}"
    return node
