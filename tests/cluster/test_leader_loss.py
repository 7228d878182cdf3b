"""Losing the Swarm leader: the other managers elect a new one, the site keeps serving through
another manager's Traefik, and the cluster still accepts `docker service update`."""

from __future__ import annotations

import time

from tests.cluster.cluster import Cluster, use_manager, wait_until
from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.traffic import AFTER_LOSS_GRACE_S, page_load
from tests.swarm.cli import CommandError, docker
from tests.swarm.stack import Stack, converged, replicas

pytestmark = CLUSTER_MARKS

LOAD_WORKERS = 4
ELECTION_TIMEOUT_S = 120.0


def leader(cluster: Cluster) -> str | None:
    """Return the leader's hostname as the current manager sees it (None while there is none)."""
    try:
        rows = cluster.node_list()
    except CommandError:
        return None
    names = [row["Hostname"] for row in rows if row["ManagerStatus"] == "Leader"]
    return names[0] if names else None


def elected(cluster: Cluster, old: str, found: list[str]) -> str | None:
    """Return None once a manager other than old leads (appending it to found)."""
    use_manager(cluster, (old,))
    name = leader(cluster)
    if name is None or name == old:
        return f"leader is {name}"
    found.append(name)
    return None


def test_losing_the_leader_keeps_serving_and_accepts_updates(
    deployed: Stack, cluster: Cluster, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """Power off the leader under load; a new leader applies a service update; the old rejoins.

    Requests started AFTER_LOSS_GRACE_S after the loss all succeed; those in flight on the lost
    node (its frontend, its Traefik) are counted in the summary.
    """
    with cluster_summary.check("leader loss") as figures:
        old = leader(cluster)
        assert old is not None, "no leader before the test"
        entry = next(name for name in entrypoints if name != old)
        frontend = deployed.service("frontend")
        try:
            with page_load(entrypoints[entry], workers=LOAD_WORKERS) as load:
                load.wait_for_requests(5)
                lost_at = time.monotonic()
                cluster.nodes[old].power_off()
                new: list[str] = []
                elected_s = wait_until(
                    "a new leader",
                    lambda: elected(cluster, old, new),
                    timeout_s=ELECTION_TIMEOUT_S,
                    interval_s=1,
                )
                _, wanted = replicas(frontend)
                docker("service", "update", "--detach", "--replicas", str(wanted + 1), frontend)
                updated_s = wait_until(
                    "the update applied by the new leader",
                    lambda: scaled(deployed, frontend, wanted + 1),
                    timeout_s=180,
                    interval_s=1,
                )
                load.wait_for_requests(load.report.sent + 10)
            docker("service", "update", "--detach", "--replicas", str(wanted), frontend)
            sent_after, failed_after = load.after_loss(lost_at)
            figures.append(
                f"{old} off, {new[0]} leader after {elected_s:.1f}s, "
                f"frontend scaled {wanted}→{wanted + 1} through it in {updated_s:.1f}s"
            )
            figures.append(
                f"via {entry}: {failed_after} failed of {sent_after} started "
                f"{AFTER_LOSS_GRACE_S:.0f}s or more after the loss; all: {load.report.summary()}"
            )
            assert sent_after >= 5, f"too few requests after the loss: {sent_after}"
            assert failed_after == 0, load.report.summary()
        finally:
            cluster.nodes[old].boot()
            rejoined_s = wait_until(
                f"{old} back as a reachable manager",
                lambda: rejoined(cluster, old),
                timeout_s=180,
                interval_s=1,
            )
            use_manager(cluster)
        figures.append(f"{old} rejoined as a manager {rejoined_s:.1f}s after its boot")


def scaled(stack: Stack, service: str, count: int) -> str | None:
    """Return None once the service wants count replicas and runs them all."""
    if replicas(service)[1] != count:
        return "the update is not accepted yet"
    return converged(stack, [service.removeprefix(f"{stack.name}_")])


def rejoined(cluster: Cluster, name: str) -> str | None:
    """Return None once name is Ready and a voting manager again."""
    rows = {row["Hostname"]: row for row in cluster.node_list()}
    row = rows.get(name, {})
    if row.get("Status") == "Ready" and row.get("ManagerStatus") in {"Leader", "Reachable"}:
        return None
    return f"{name}: {row}"
