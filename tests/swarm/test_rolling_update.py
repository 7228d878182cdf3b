"""Rolling update of the frontend without failed requests; a broken release rolls back alone."""

from __future__ import annotations

import time

import httpx

from tests.swarm.cli import docker
from tests.swarm.client import Translator
from tests.swarm.load import BackgroundLoad, LoadReport
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack, converged, update_state, wait_for
from tests.swarm.summary import SwarmSummary

pytestmark = SWARM_MARKS

UPDATE_TIMEOUT_S = 300.0


def spec_image(service: str) -> str:
    """Return the image of the service's spec, without the digest Swarm may pin."""
    image = docker(
        "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", service
    )
    return image.split("@")[0]


def update_finished(stack: Stack, service: str, wanted: set[str]) -> str | None:
    """Return None once the service's update reached one of the wanted states and converged."""
    state = update_state(service)
    if state not in wanted:
        return f"update state is {state or 'none'}"
    return converged(stack, ["frontend"])


def frontend_load(stack: Stack) -> BackgroundLoad:
    """Return a load of page translations through Traefik (two workers, bounded)."""

    def session(client: httpx.Client):
        translator = Translator(client, stack.base_url)
        return lambda number: translator.problem(f"Aktualisierung {number}. Alles bleibt gleich.")

    # Bounded by time; the request cap sits far above what two workers send meanwhile (2,000
    # ran out before an update finished once the backend ran two batches at a time).
    return BackgroundLoad(
        session,
        workers=2,
        max_requests=50_000,
        max_duration_s=UPDATE_TIMEOUT_S + 60,
        timeout_s=60,
    )


def under_load(stack: Stack, command: list[str], what: str, state: str) -> LoadReport:
    """Run `docker command` on the frontend while users translate; wait for its update state."""
    service = stack.service("frontend")
    with frontend_load(stack) as load:
        load.wait_for_requests(5)
        docker(*command)
        wait_for(what, lambda: update_finished(stack, service, {state}), timeout_s=UPDATE_TIMEOUT_S)
        load.wait_for_requests(load.report.sent + 5)
    return load.report


def test_rolling_update_of_the_frontend_fails_no_request(
    deployed: Stack, swarm_summary: SwarmSummary
) -> None:
    """`docker service update --image` to a second tag completes under load with no failure."""
    service = deployed.service("frontend")
    next_image = spec_image(service).rsplit(":", 1)[0] + f":{deployed.env['TAG']}-next"
    started = time.monotonic()
    load = under_load(
        deployed,
        ["service", "update", "--detach", "--image", next_image, service],
        "the rolling update",
        "completed",
    )
    swarm_summary.time("rolling update of the frontend", time.monotonic() - started)
    swarm_summary.failed_requests["during the frontend's rolling update"] = load.summary()
    assert spec_image(service) == next_image, f"frontend runs {spec_image(service)}"
    assert load.failed == 0, f"{load.summary()} during the rolling update"


def previous_spec_image(service: str) -> str:
    """Return the image of the spec before the last update (what a rollback returns to), or ""."""
    image = docker(
        "service", "inspect", "--format",
        "{{with .PreviousSpec}}{{.TaskTemplate.ContainerSpec.Image}}{{end}}", service,
    )  # fmt: skip
    return image.split("@")[0]


def test_a_release_rolled_back_by_hand_returns_to_the_previous_image(
    deployed: Stack, swarm_summary: SwarmSummary
) -> None:
    """The runbook's `docker service rollback` after a completed update (the one above), under
    load: the spec before that update comes back and no request fails on the way."""
    service = deployed.service("frontend")
    if not previous_spec_image(service):
        # Run alone (-k): make the update this rollback undoes.
        test_rolling_update_of_the_frontend_fails_no_request(deployed, swarm_summary)
    before_update, updated = previous_spec_image(service), spec_image(service)
    assert before_update != updated, f"the last update left the image at {updated}"
    started = time.monotonic()
    load = under_load(
        deployed, ["service", "rollback", "--detach", service], "the rollback by hand",
        "rollback_completed",
    )  # fmt: skip
    swarm_summary.time("rollback by hand of the frontend", time.monotonic() - started)
    swarm_summary.failed_requests["during the rollback by hand"] = load.summary()
    assert spec_image(service) == before_update, f"rolled back to {spec_image(service)}"
    assert load.failed == 0, f"{load.summary()} during the rollback by hand"


def test_broken_frontend_release_rolls_back_by_itself(
    deployed: Stack, app_client: httpx.Client, swarm_summary: SwarmSummary
) -> None:
    """An image whose tasks exit at once: `failure_action: rollback` restores the previous one."""
    service = deployed.service("frontend")
    previous = spec_image(service)
    broken = previous.rsplit(":", 1)[0] + f":{deployed.env['TAG']}-broken"
    started = time.monotonic()
    docker("service", "update", "--detach", "--image", broken, service)
    wait_for(
        "the automatic rollback",
        lambda: update_finished(deployed, service, {"rollback_completed"}),
        timeout_s=UPDATE_TIMEOUT_S,
    )
    swarm_summary.time("automatic rollback of a broken frontend", time.monotonic() - started)
    assert spec_image(service) == previous, (
        f"after the rollback the frontend runs {spec_image(service)}"
    )
    result = Translator(app_client, deployed.base_url)("Nach dem Rollback geht es weiter.")
    assert result["segments"], "the app does not translate after the rollback"
