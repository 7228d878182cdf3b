"""Scaling: two replicas both serve; a third, beyond the two advertised GPUs, stays pending."""

from __future__ import annotations

import time

import httpx

from tests.swarm.cli import docker
from tests.swarm.client import Translator
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.scaling import container_hostnames, replicas_answering, scale
from tests.swarm.stack import Stack, replicas, wait_for
from tests.swarm.summary import SwarmSummary

pytestmark = SWARM_MARKS


def test_scaling_backend_to_two_replicas_serves_from_both(
    deployed: Stack, app_client: httpx.Client, swarm_summary: SwarmSummary
) -> None:
    """`docker service scale backend=2`: both replicas answer translations within bounds."""
    scale(deployed, "backend", 1)
    started = time.monotonic()
    scale(deployed, "backend", 2)
    hostnames = container_hostnames(deployed.service("backend"))
    assert len(hostnames) == 2, f"expected two backend containers, found {sorted(hostnames)}"
    seen, _ = replicas_answering(app_client, deployed.base_url, hostnames, timeout_s=90)
    swarm_summary.time(
        "time to scale backend 1 → 2 (both replicas serving)", time.monotonic() - started
    )
    assert hostnames <= seen, (
        f"only replicas {sorted(seen)} answered through Traefik within 90 s; "
        f"running replicas are {sorted(hostnames)}"
    )


def pending_for_resources(service: str) -> str | None:
    """Return None once a task of service is pending for lack of resources, else its states."""
    raw = docker(
        "service",
        "ps",
        service,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.CurrentState}}|{{.Error}}",
        "--no-trunc",
    )
    if any(
        line.startswith("Pending") and "insufficient resources" in line for line in raw.splitlines()
    ):
        return None
    return f"no task pending for insufficient resources: {raw.splitlines()}"


def test_third_backend_replica_stays_pending_without_a_free_gpu(
    deployed: Stack, app_client: httpx.Client
) -> None:
    """A third replica needs a third NVIDIA-GPU: Swarm keeps it pending, the app keeps working."""
    scale(deployed, "backend", 2)
    service = deployed.service("backend")
    try:
        docker("service", "scale", "--detach", f"{service}=3")
        wait_for("a pending third task", lambda: pending_for_resources(service), timeout_s=60)
        # Give the scheduler time to (wrongly) place it, then check it still did not.
        time.sleep(5)
        assert pending_for_resources(service) is None, "the third task left the pending state"
        assert replicas(service) == (2, 3), f"backend replicas: {replicas(service)}"
        result = Translator(app_client, deployed.base_url)("Die Anwendung läuft weiter.")
        assert result["segments"], "the app stopped translating while a task was pending"
    finally:
        scale(deployed, "backend", 2)
