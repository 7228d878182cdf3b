"""Monitoring: Prometheus in the stack discovers every replica on every node through the Swarm
API and scrapes it; a backend that stops answering fires BackendDown."""

from __future__ import annotations

from collections import Counter

import httpx

from tests.cluster.cluster import Cluster, wait_until
from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.tasks import START_STABLE_S, running_tasks, stable_tasks
from tests.swarm.stack import Stack

pytestmark = CLUSTER_MARKS

JOBS = ("backend", "frontend", "traefik")
ALERT_TIMEOUT_S = 90.0


def prometheus(base_url: str, auth: tuple[str, str], path: str) -> dict:
    """GET Prometheus' API under Traefik's /prometheus prefix (behind the admin login)."""
    response = httpx.get(f"{base_url}/prometheus/api/v1/{path}", auth=auth, timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def healthy_targets(base_url: str, auth: tuple[str, str]) -> dict[str, Counter[str]]:
    """Return, per job, how many targets on each node are up."""
    targets = prometheus(base_url, auth, "targets?state=active")["activeTargets"]
    up: dict[str, Counter[str]] = {job: Counter() for job in JOBS}
    for target in targets:
        job = target["labels"].get("job")
        if job in up and target["health"] == "up":
            up[job][target["labels"].get("node", "?")] += 1
    return up


def every_replica_scraped(stack: Stack, base_url: str, auth: tuple[str, str]) -> str | None:
    """Return None once each job has exactly one healthy target per running task, per node."""
    up = healthy_targets(base_url, auth)
    for job in JOBS:
        wanted = Counter(task.node for task in running_tasks(stack.service(job)))
        if up[job] != wanted:
            return f"{job}: healthy targets per node {dict(up[job])}, tasks {dict(wanted)}"
    return None


def firing(base_url: str, auth: tuple[str, str], alert: str, node: str) -> str | None:
    """Return None once alert fires for a target on node."""
    alerts = prometheus(base_url, auth, "alerts")["alerts"]
    states = [
        a["state"]
        for a in alerts
        if a["labels"].get("alertname") == alert and a["labels"].get("node") == node
    ]
    return None if "firing" in states else f"{alert} on {node}: {states or 'none'}"


def test_prometheus_scrapes_every_replica_on_every_node(
    deployed: Stack,
    entrypoints: dict[str, str],
    admin_credentials: tuple[str, str],
    cluster_summary: ClusterSummary,
) -> None:
    """Each backend, frontend and Traefik task is a healthy target, labelled with its node."""
    with cluster_summary.check("Prometheus scrapes every replica") as figures:
        stable_tasks(deployed.service("backend"), 2, stable_s=START_STABLE_S)
        found_s = wait_until(
            "every replica a healthy target",
            lambda: every_replica_scraped(deployed, entrypoints["node1"], admin_credentials),
            timeout_s=120,
            interval_s=2,
        )
        up = healthy_targets(entrypoints["node1"], admin_credentials)
        figures.append(
            ", ".join(f"{job} {dict(up[job])}" for job in JOBS) + f" (all up after {found_s:.0f}s)"
        )


def test_a_backend_that_stops_answering_fires_backend_down(
    deployed: Stack,
    cluster: Cluster,
    entrypoints: dict[str, str],
    admin_credentials: tuple[str, str],
    cluster_summary: ClusterSummary,
) -> None:
    """Freeze one backend's container (`docker pause`): BackendDown fires for its node."""
    with cluster_summary.check("a backend that stops answering fires BackendDown") as figures:
        task = stable_tasks(deployed.service("backend"), 2, stable_s=START_STABLE_S)[0]
        node = cluster.nodes[task.node]
        node.docker("pause", task.container)
        try:
            fired_s = wait_until(
                "BackendDown firing",
                lambda: firing(entrypoints["node1"], admin_credentials, "BackendDown", task.node),
                timeout_s=ALERT_TIMEOUT_S,
                interval_s=1,
            )
        finally:
            node.docker("unpause", task.container, check=False)
        figures.append(f"backend on {task.node} frozen: BackendDown firing after {fired_s:.0f}s")
        # Thawed (or replaced by Swarm's health check meanwhile): two backends again.
        stable_tasks(deployed.service("backend"), 2)
