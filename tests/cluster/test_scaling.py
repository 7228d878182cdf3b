"""Scaling the backends 1 → 2 → 3 across the GPU nodes, with the throughput at each step, and a
fourth replica left pending because every GPU is taken."""

from __future__ import annotations

import time

import httpx

from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.tasks import pending_tasks, stable_tasks
from tests.cluster.traffic import page_load
from tests.swarm.cli import docker
from tests.swarm.load import LoadReport
from tests.swarm.scaling import replicas_answering
from tests.swarm.stack import Stack

pytestmark = CLUSTER_MARKS

MEASURE_S = 10.0
LOAD_WORKERS = 4
ALL_GPUS = 3


def scale_to(stack: Stack, replicas: int) -> None:
    """Ask for replicas backends (the CLI does not wait)."""
    docker("service", "scale", "--detach", f"{stack.service('backend')}={replicas}")


def throughput(base_url: str) -> tuple[float, LoadReport]:
    """Translate through the pages with LOAD_WORKERS users for MEASURE_S; return per second."""
    started = time.monotonic()
    with page_load(base_url, workers=LOAD_WORKERS, max_duration_s=MEASURE_S) as load:
        time.sleep(MEASURE_S)
    elapsed = time.monotonic() - started
    return (load.report.sent - load.report.failed) / elapsed, load.report


def test_scaling_the_backends_adds_replicas_that_serve(
    deployed: Stack, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """At 1, 2 and 3 replicas every one answers; the figures are translations per second."""
    with cluster_summary.check("scaling backends 1 → 2 → 3 across nodes") as figures:
        base_url = entrypoints["node1"]
        for replicas in (1, 2, 3):
            started = time.monotonic()
            scale_to(deployed, replicas)
            tasks = stable_tasks(deployed.service("backend"), replicas, timeout_s=300)
            wanted = {task.hostname for task in tasks}
            with httpx.Client(timeout=60) as client:
                seen, _ = replicas_answering(client, base_url, wanted, timeout_s=120)
            ready_s = time.monotonic() - started
            assert wanted <= seen, f"at {replicas}: {sorted(wanted - seen)} never answered"
            per_s, load = throughput(base_url)
            nodes = sorted(task.node for task in tasks)
            figures.append(
                f"{replicas} on {nodes}: serving after {ready_s:.0f}s, {per_s:.2f} translations/s"
                f" ({load.summary()})"
            )
            assert load.failed == 0, f"at {replicas} replicas: {load.summary()}"


def test_a_replica_beyond_the_gpus_stays_pending(
    deployed: Stack, cluster_summary: ClusterSummary
) -> None:
    """With every GPU taken, a fourth backend waits (insufficient resources), then scale back."""
    with cluster_summary.check("one backend per GPU: a fourth replica stays pending") as figures:
        scale_to(deployed, ALL_GPUS + 1)
        running = stable_tasks(deployed.service("backend"), ALL_GPUS, stable_s=15)
        waiting = pending_tasks(deployed.service("backend"))
        figures.append(f"{len(running)} running, {waiting} pending")
        assert waiting == 1, f"{waiting} backend tasks pending with {ALL_GPUS + 1} wanted"
        scale_to(deployed, 2)
        stable_tasks(deployed.service("backend"), 2)
