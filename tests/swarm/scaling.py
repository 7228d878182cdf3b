"""Scale a service and see its replicas serve: helpers shared by the scaling and healing tests."""

from __future__ import annotations

import time

import httpx

from tests.swarm.cli import docker
from tests.swarm.stack import Stack, converged, task_containers, wait_for

API_TRANSLATE = "/api/v1/translate"
# Below the public API's rate limit (20 requests per second per client, traefik/dynamic/).
API_PAUSE_S = 0.1


def scale(stack: Stack, short_name: str, replicas: int, *, timeout_s: float = 300.0) -> float:
    """Scale a service (without waiting in the CLI) and wait until it has converged."""
    docker("service", "scale", "--detach", f"{stack.service(short_name)}={replicas}")
    return wait_for(
        f"{short_name} at {replicas} replicas",
        lambda: converged(stack, [short_name]),
        timeout_s=timeout_s,
    )


def container_hostnames(service: str) -> set[str]:
    """Return the hostnames of the service's running containers (the backend's replica names)."""
    ids = task_containers(service)
    if not ids:
        return set()
    raw = docker("inspect", "--format", "{{.Config.Hostname}}", *ids)
    return set(raw.split())


def replicas_answering(
    client: httpx.Client, base_url: str, wanted: set[str], *, timeout_s: float = 90.0
) -> tuple[set[str], float]:
    """Translate through the public API until every wanted replica has answered one request.

    Returns the replicas seen (X-Backend-Replica) and the seconds it took.
    """
    seen: set[str] = set()
    started = time.monotonic()
    number = 0
    while time.monotonic() - started < timeout_s and not wanted <= seen:
        number += 1
        body = {"text": f"Anfrage Nummer {number}: Der Zug fährt um acht Uhr.", "source": "de"}
        response = client.post(base_url + API_TRANSLATE, json=body)
        if response.status_code == 200:
            seen.add(response.headers.get("x-backend-replica", "?"))
        time.sleep(API_PAUSE_S)
    return seen, time.monotonic() - started
