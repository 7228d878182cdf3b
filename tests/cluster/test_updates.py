"""A broken frontend release, rolled out across the nodes, rolls back by itself."""

from __future__ import annotations

import time

import httpx

from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.swarm.cli import docker
from tests.swarm.client import Translator
from tests.swarm.stack import Stack, converged, update_state, wait_for

pytestmark = CLUSTER_MARKS

UPDATE_TIMEOUT_S = 300.0


def spec_image(service: str) -> str:
    """Return the image of the service's spec, without the digest Swarm pins."""
    image = docker(
        "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", service
    )
    return image.split("@")[0]


def rolled_back(stack: Stack, service: str) -> str | None:
    """Return None once the update was rolled back and the frontend converged again."""
    state = update_state(service)
    if state != "rollback_completed":
        return f"update state is {state or 'none'}"
    return converged(stack, ["frontend"])


def test_broken_frontend_release_rolls_back_by_itself(
    deployed: Stack, entrypoints: dict[str, str], cluster_summary: ClusterSummary
) -> None:
    """Tasks of the broken image exit at once: `failure_action: rollback` restores the previous."""
    with cluster_summary.check("automatic rollback of a broken image") as figures:
        service = deployed.service("frontend")
        previous = spec_image(service)
        broken = previous.rsplit(":", 1)[0] + f":{deployed.env['TAG']}-broken"
        started = time.monotonic()
        docker("service", "update", "--detach", "--with-registry-auth", "--image", broken, service)
        wait_for(
            "the automatic rollback",
            lambda: rolled_back(deployed, service),
            timeout_s=UPDATE_TIMEOUT_S,
        )
        figures.append(f"rolled back in {time.monotonic() - started:.1f}s")
        assert spec_image(service) == previous, f"after the rollback: {spec_image(service)}"
        with httpx.Client(timeout=60) as client:
            result = Translator(client, entrypoints["node2"])("Nach dem Rollback geht es weiter.")
        assert result["segments"], "the app does not translate after the rollback"
