"""Fixtures of the Swarm end-to-end test: engine → images → deployed stack, torn down on success
and on failure, with diagnostics on every failure and a summary of the numbers.

Package-scoped: the stack and the engine go away after the last test of tests/swarm, not at the
end of a whole `make test` session.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.fixtures import TEST_OUTPUT
from testkit.servers import REPO_ROOT, free_port
from tests.swarm import deployment, stack
from tests.swarm.client import first_translation
from tests.swarm.engine import Engine, acquire_engine, release_engine
from tests.swarm.project_images import ProjectImages
from tests.swarm.stack_images import StackImages, build_stack_images
from tests.swarm.summary import SwarmSummary

SUMMARY_KEY = pytest.StashKey[SwarmSummary]()
STACK_KEY = pytest.StashKey[stack.Stack]()
WORKDIR = REPO_ROOT / "build" / "swarm"
# Not the README's "translate": the test must never touch (or remove the volumes of) a real stack.
STACK_NAME = "translate-e2e"
# Local names only: nothing is pushed anywhere.
REGISTRY = "unlimited-translation-e2e"
TAG = "e2e"
CONVERGE_TIMEOUT_S = 600.0
EXPECTED_SERVICES = ("traefik", "mysql", "backend", "frontend", "fetcher")


def pytest_configure(config: pytest.Config) -> None:
    """Create the summary the fixtures and tests record their numbers in."""
    config.stash[SUMMARY_KEY] = SwarmSummary()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """On any failure, attach `docker service ps --no-trunc` and every service's last logs."""
    report = yield
    deployed = item.config.stash.get(STACK_KEY, None)
    if report.failed and deployed is not None and item.get_closest_marker("swarm"):
        text = stack.diagnostics(deployed)
        report.sections.append(("Swarm diagnostics (service ps, last logs)", text))
        log_dir = TEST_OUTPUT / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"swarm-diagnostics-{item.name}-{report.when}.txt").write_text(text)
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print the numbers issue 5 asks for: failed requests, time to converge, time to scale."""
    summary = config.stash.get(SUMMARY_KEY, None)
    if summary is None or not (summary.timings_s or summary.notes):
        return
    terminalreporter.section("Swarm end-to-end summary")
    for line in summary.lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def swarm_summary(pytestconfig: pytest.Config) -> SwarmSummary:
    """Return the summary printed at the end of the run."""
    return pytestconfig.stash[SUMMARY_KEY]


@pytest.fixture(scope="package")
def swarm_engine(test_output_dir: Path, swarm_summary: SwarmSummary) -> Iterator[Engine]:
    """Get an engine with a labelled single-node Swarm; stop what we started afterwards."""
    started = time.monotonic()
    engine = acquire_engine(REPO_ROOT, WORKDIR / "engine", test_output_dir / "logs")
    swarm_summary.notes.extend(engine.notes)
    swarm_summary.time("engine and Swarm ready", time.monotonic() - started)
    try:
        yield engine
    finally:
        release_engine(engine)


@pytest.fixture(scope="package")
def stack_images(
    swarm_engine: Engine, tiny_model: Path, swarm_summary: SwarmSummary
) -> StackImages:
    """Build the base, stand-in and project images (the backend with the tiny model inside)."""
    built = build_stack_images(REPO_ROOT, tiny_model, WORKDIR, ProjectImages(REGISTRY, TAG))
    swarm_summary.notes.extend(built.notes)
    for what, seconds in built.timings_s.items():
        swarm_summary.time(what, seconds)
    return built


@pytest.fixture(scope="package")
def infrastructure_images(stack_images: StackImages) -> dict[str, str]:
    """Return the Python base, Traefik and MySQL images: official when pullable, else stand-ins."""
    return stack_images.infrastructure


@pytest.fixture(scope="package")
def project_images(stack_images: StackImages) -> ProjectImages:
    """Return the references of the backend and frontend images built from their Dockerfiles."""
    return stack_images.project


@pytest.fixture(scope="package")
def deployed(
    pytestconfig: pytest.Config,
    infrastructure_images: dict[str, str],
    project_images: ProjectImages,
    swarm_summary: SwarmSummary,
) -> Iterator[stack.Stack]:
    """Create the secrets and deploy the stack as a user would; wait until it serves."""
    # An earlier run that was killed before its teardown: its volume would keep old passwords.
    stack.remove_leftovers(STACK_NAME)
    for stale in (TEST_OUTPUT / "logs").glob("swarm-diagnostics-*.txt"):
        stale.unlink()
    config = deployment.DeployConfig(
        stack_name=STACK_NAME,
        registry=project_images.registry,
        tag=project_images.tag,
        http_port=free_port(),
        https_port=free_port(),
        traefik_image=infrastructure_images["traefik"],
        mysql_image=infrastructure_images["mysql"],
        prometheus_image=infrastructure_images["prometheus"],
    )
    deploy_dir = deployment.stage(REPO_ROOT, WORKDIR / "deploy")
    deployed = stack.Stack(
        name=STACK_NAME,
        repo_root=deploy_dir,
        compose_files=[deploy_dir / "stack.yml"],
        env=deployment.environment(config),
        base_url=f"http://127.0.0.1:{config.http_port}",
    )
    pytestconfig.stash[STACK_KEY] = deployed
    try:
        started = time.monotonic()
        stack.create_secrets(deployed)
        stack.deploy(deployed)
        stack.wait_for(
            "every service running and healthy",
            lambda: stack.converged(deployed, EXPECTED_SERVICES),
            timeout_s=CONVERGE_TIMEOUT_S,
        )
        stack.wait_for(
            "a first translation through Traefik",
            lambda: first_translation(deployed.base_url),
            timeout_s=120,
        )
        swarm_summary.time(
            "time to converge (deploy → first saved translation)", time.monotonic() - started
        )
        yield deployed
    finally:
        stack.teardown(deployed)
        del pytestconfig.stash[STACK_KEY]
        # The staged secret files hold this deployment's passwords: gone with it.
        shutil.rmtree(deploy_dir, ignore_errors=True)


@pytest.fixture
def app_client(deployed: stack.Stack) -> Iterator[httpx.Client]:
    """Return an HTTP client for tests (the app is reached on 127.0.0.1:<HTTP_PORT> only)."""
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture
def admin_credentials(deployed: stack.Stack) -> tuple[str, str]:
    """Return the admin login as it stands (test_rotation.py rotates the password)."""
    if not all(deployed.admin_login):
        pytest.fail("secrets/create.sh did not print the generated admin user and password")
    return deployed.admin_login
