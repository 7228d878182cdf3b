"""Self-healing: a killed backend task is replaced while a client keeps translating."""

from __future__ import annotations

import time

import httpx

from tests.swarm.cli import docker
from tests.swarm.client import Translator
from tests.swarm.load import BackgroundLoad
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.scaling import scale
from tests.swarm.stack import Stack, converged, task_containers, wait_for
from tests.swarm.summary import SwarmSummary

pytestmark = SWARM_MARKS

WORKERS = 2


def replaced(deployed: Stack, before: set[str]) -> str | None:
    """Return None once a new backend container runs healthy beside the survivors."""
    containers = set(task_containers(deployed.service("backend")))
    if not containers - before:
        return "no replacement container yet"
    return converged(deployed, ["backend"])


def test_killed_backend_task_is_replaced_under_load(
    deployed: Stack, swarm_summary: SwarmSummary
) -> None:
    """Kill one of two backend containers mid-load: Swarm replaces it; failed requests counted."""
    scale(deployed, "backend", 2)

    def session(client: httpx.Client):
        translator = Translator(client, deployed.base_url)
        return lambda number: translator.problem(f"Satz Nummer {number}. Das Wetter ist schön.")

    with BackgroundLoad(session, workers=WORKERS, max_duration_s=240, timeout_s=90) as load:
        load.wait_for_requests(10)
        before = set(task_containers(deployed.service("backend")))
        victim = sorted(before)[0]
        killed_at = time.monotonic()
        docker("kill", victim)
        heal_s = wait_for(
            "a replacement backend task", lambda: replaced(deployed, before), timeout_s=180
        )
        # Keep the load going after the healing: the new replica must serve as well.
        load.wait_for_requests(load.report.sent + 20, timeout_s=120)
    swarm_summary.time("time to replace a killed backend task", heal_s)
    swarm_summary.failed_requests["while a backend task was killed"] = load.report.summary()
    assert load.report.sent >= 30, (
        f"the load was too thin to prove anything: {load.report.summary()}"
    )
    # Streams already running on the killed replica cannot be retried by Traefik (the response
    # has started), so at most one request per worker may fail; new requests must not.
    assert load.report.failed <= WORKERS, (
        f"{load.report.summary()} while killing {victim} "
        f"({time.monotonic() - killed_at:.0f} s of load after the kill)"
    )
