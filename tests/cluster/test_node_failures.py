"""GPU nodes going away under load: a power cut, a drain, and a rolling update of the backends
across the GPU nodes. None of them may fail a request; a power cut delays the translations in
flight on the lost node by the frontend's stream idle timeout, within a bound.

Three GPU nodes with one GPU each and two backends: there is always a free GPU node for the
backend of the node that goes away, and every test starts from "two backends, two GPU nodes".
"""

from __future__ import annotations

import time

from tests.cluster.cluster import Cluster, wait_until
from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.tasks import CHANGE_STABLE_S, START_STABLE_S, Task, stable_tasks
from tests.cluster.topology import gpu_nodes
from tests.cluster.traffic import FAILOVER_BOUND_S, page_load
from tests.swarm.cli import docker
from tests.swarm.stack import Stack

pytestmark = CLUSTER_MARKS

MOVE_TIMEOUT_S = 300.0
# More users than backends, so the load goes on while requests on a lost node hang.
LOSS_WORKERS = 4


def two_backends(stack: Stack, *, stable_s: float = CHANGE_STABLE_S) -> tuple[list[Task], str, str]:
    """Wait for two stable backends on two GPU nodes; return them, one's node and the free one."""
    tasks = stable_tasks(stack.service("backend"), 2, stable_s=stable_s)
    nodes = sorted(task.node for task in tasks)
    assert len(set(nodes)) == 2, f"two backends share a node: {nodes}"
    free = [spec.name for spec in gpu_nodes() if spec.name not in nodes]
    assert len(free) == 1, f"backends on {nodes}, free GPU nodes {free}"
    return tasks, nodes[0], free[0]


def node_state(cluster: Cluster, name: str) -> tuple[str, str]:
    """Return (Status, Availability) of a node as the managers see it."""
    for row in cluster.node_list():
        if row["Hostname"] == name:
            return row["Status"], row["Availability"]
    raise AssertionError(f"{name} is not in `docker node ls`")


def test_cutting_a_gpu_nodes_power_moves_its_backend_and_fails_no_request(
    deployed: Stack, cluster: Cluster, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """Power off a backend's GPU node under load: the free GPU node takes over, 0 failed.

    A powered-off host sends no reset: the translations in flight on it fall silent, and the
    frontend resumes them elsewhere after its stream idle timeout (heartbeats tell a busy
    replica from a lost one), each within FAILOVER_BOUND_S.
    """
    with cluster_summary.check("GPU node powered off under load") as figures:
        _, victim, free = two_backends(deployed, stable_s=START_STABLE_S)
        try:
            with page_load(entrypoints["node1"], workers=LOSS_WORKERS) as load:
                load.wait_for_requests(5)
                lost_at = time.monotonic()
                cluster.nodes[victim].power_off()
                down_s = wait_until(
                    f"{victim} marked down",
                    lambda: None if node_state(cluster, victim)[0] == "Down" else "still ready",
                    timeout_s=120,
                )
                after, _, _ = two_backends(deployed)
                moved_s = time.monotonic() - lost_at
                load.wait_for_requests(load.report.sent + 10)
            in_flight = load.outcomes.in_flight_at(lost_at)
            slowest_s = max(load.outcomes.durations_after(lost_at), default=0.0)
            figures.append(
                f"{victim} down after {down_s:.1f}s, backend on {free} after {moved_s:.1f}s"
            )
            figures.append(
                f"{len(in_flight)} in flight at the cut, done in "
                f"{', '.join(f'{s:.1f}s' for s in in_flight) or '-'}; slowest request after "
                f"the cut {slowest_s:.1f}s (bound {FAILOVER_BOUND_S:.0f}s); {load.report.summary()}"
            )
            assert free in {task.node for task in after}, f"backends on {[t.node for t in after]}"
            assert load.report.failed == 0, load.report.summary()
            assert slowest_s <= FAILOVER_BOUND_S, f"a request took {slowest_s:.1f}s"
        finally:
            boot_s = cluster.nodes[victim].boot()
            wait_until(
                f"{victim} ready again",
                lambda: None if node_state(cluster, victim)[0] == "Ready" else "still down",
                timeout_s=120,
            )
        figures.append(f"{victim} booted in {boot_s:.1f}s and rejoined")


def test_draining_a_gpu_node_moves_its_backend_without_failed_requests(
    deployed: Stack, cluster: Cluster, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """Drain a backend's GPU node: its backend moves to the free one; reactivate. 0 failed."""
    with cluster_summary.check("drain and reactivate a GPU node under load") as figures:
        _, victim, free = two_backends(deployed, stable_s=START_STABLE_S)
        with page_load(entrypoints["node1"]) as load:
            load.wait_for_requests(5)
            started = time.monotonic()
            docker("node", "update", "--availability", "drain", victim)
            try:
                after, _, _ = two_backends(deployed)
                moved_s = time.monotonic() - started
            finally:
                docker("node", "update", "--availability", "active", victim)
            wait_until(
                f"{victim} active",
                lambda: None if node_state(cluster, victim)[1] == "Active" else "not yet",
                timeout_s=30,
            )
            load.wait_for_requests(load.report.sent + 5)
        figures.append(f"backend moved from {victim} to {free} in {moved_s:.1f}s")
        figures.append(load.report.summary())
        assert free in {task.node for task in after}, f"backends on {[t.node for t in after]}"
        assert load.report.failed == 0, load.report.summary()


def test_rolling_update_of_the_backends_across_nodes_fails_no_request(
    deployed: Stack, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """`docker service update --force` replaces both backends one at a time; 0 failed."""
    with cluster_summary.check("rolling update of the backends across nodes") as figures:
        service = deployed.service("backend")
        before, _, _ = two_backends(deployed, stable_s=START_STABLE_S)
        old = {task.id for task in before}
        with page_load(entrypoints["node1"]) as load:
            load.wait_for_requests(5)
            started = time.monotonic()
            docker("service", "update", "--detach", "--force", service)
            wait_until(
                "both backends replaced",
                lambda: replaced(service, old),
                timeout_s=MOVE_TIMEOUT_S,
                interval_s=2,
            )
            after, _, _ = two_backends(deployed)
            updated_s = time.monotonic() - started
            load.wait_for_requests(load.report.sent + 5)
        figures.append(
            f"updated in {updated_s:.1f}s from {sorted(t.node for t in before)} "
            f"to {sorted(t.node for t in after)}"
        )
        figures.append(load.report.summary())
        assert not old & {task.id for task in after}, "an old backend task still runs"
        assert load.report.failed == 0, load.report.summary()


def replaced(service: str, old: set[str]) -> str | None:
    """Return None once two backends run and neither is one of old."""
    tasks = stable_tasks(service, 2, stable_s=0, timeout_s=30)
    still = old & {task.id for task in tasks}
    return f"old tasks {sorted(still)} still run" if still else None
