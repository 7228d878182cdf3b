"""Fixtures of the cluster test: images → cluster (6 nodes, registry) → deployed stack, all torn
down after the package's last test or on any failure; a summary of named checks at the end.

The docker CLI of these tests talks to one of the cluster's managers through DOCKER_HOST (so the
Swarm test's helpers in tests/swarm work unchanged), never to the host's engine.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.fixtures import TEST_OUTPUT
from testkit.servers import REPO_ROOT
from tests.cluster import deploy
from tests.cluster.cluster import Cluster, bring_up, clean_leftovers, tear_down, use_manager
from tests.cluster.diagnostics import diagnostics, provider_inputs
from tests.cluster.forward import Forwarder
from tests.cluster.host_images import PushedImages, build_and_push
from tests.cluster.routers import RouterWatch
from tests.cluster.summary import ClusterSummary
from tests.cluster.topology import REGISTRY_ADDRESS, REGISTRY_NETNS, REGISTRY_PORT, managers
from tests.cluster.traffic import LOAD_REQUEST_ID
from tests.swarm import stack
from tests.swarm.client import first_translation
from tests.swarm.stack import Stack

SUMMARY_KEY = pytest.StashKey[ClusterSummary]()
CLUSTER_KEY = pytest.StashKey[Cluster]()
WATCH_KEY = pytest.StashKey[RouterWatch]()
WORKDIR = REPO_ROOT / "build" / "cluster"
RUN_DIR = WORKDIR / "run"
# Outlives the run (a cache): layers pushed once are not pushed again.
REGISTRY_DATA = WORKDIR / "registry-data"
# Services that run until stopped (the backup job runs and completes).
EXPECTED_SERVICES = ("traefik", "mysql", "backend", "frontend", "prometheus")
CONVERGE_TIMEOUT_S = 600.0


def pytest_configure(config: pytest.Config) -> None:
    """Create the summary the fixtures and tests record their checks in."""
    config.stash[SUMMARY_KEY] = ClusterSummary()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """On a failure, attach the nodes and `docker service ps --no-trunc` of every service."""
    report = yield
    cluster = item.config.stash.get(CLUSTER_KEY, None)
    if report.failed and cluster is not None and item.get_closest_marker("cluster"):
        named = set(LOAD_REQUEST_ID.findall(report.longreprtext))
        text = diagnostics(cluster, request_ids=named)
        watch = item.config.stash.get(WATCH_KEY, None)
        if watch is not None:
            text += "\n===== Traefik's routes to the backends (last changes)\n"
            text += "\n".join(watch.lines()[-40:])
        report.sections.append(("Cluster diagnostics (nodes, service ps, node logs)", text))
        log_dir = TEST_OUTPUT / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / f"cluster-diagnostics-{item.name}-{report.when}.txt").write_text(text)
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print every check with its figure (issue 13's summary)."""
    summary = config.stash.get(SUMMARY_KEY, None)
    if summary is None or not (summary.checks or summary.timings_s):
        return
    terminalreporter.section("Cluster summary")
    for line in summary.lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def cluster_summary(pytestconfig: pytest.Config) -> ClusterSummary:
    """Return the summary printed at the end of the run."""
    return pytestconfig.stash[SUMMARY_KEY]


@pytest.fixture(scope="package")
def cluster(pytestconfig: pytest.Config, cluster_summary: ClusterSummary) -> Iterator[Cluster]:
    """Start the 6-node cluster and its registry; remove everything of it afterwards."""
    leftovers = clean_leftovers(RUN_DIR)
    if leftovers:
        cluster_summary.notes.append(f"removed an interrupted run's {', '.join(leftovers)}")
    for stale in (TEST_OUTPUT / "logs").glob("cluster-diagnostics-*.txt"):
        stale.unlink()
    running = bring_up(RUN_DIR, REGISTRY_DATA)
    cluster_summary.timings_s.update(running.timings_s)
    pytestconfig.stash[CLUSTER_KEY] = running
    previous_host = os.environ.get("DOCKER_HOST")
    use_manager(running)
    try:
        yield running
    finally:
        del pytestconfig.stash[CLUSTER_KEY]
        if previous_host is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = previous_host
        started = time.monotonic()
        tear_down(running)
        cluster_summary.timings_s["teardown (every daemon, namespace, mount)"] = (
            time.monotonic() - started
        )


@pytest.fixture(scope="package")
def pushed_images(
    cluster: Cluster, tiny_model: Path, cluster_summary: ClusterSummary
) -> PushedImages:
    """Build the images with the Swarm test's builders (cached) and push them to the registry."""
    started = time.monotonic()
    relay = Forwarder(REGISTRY_NETNS, REGISTRY_ADDRESS, REGISTRY_PORT).start()
    try:
        pushed = build_and_push(
            REPO_ROOT,
            tiny_model,
            WORKDIR,
            f"127.0.0.1:{relay.port}",
            deploy.all_registry_paths(),
        )
    finally:
        relay.close()
    cluster_summary.notes.extend(pushed.notes)
    cluster_summary.timings_s["images built (or cached) and pushed to the registry"] = (
        time.monotonic() - started
    )
    return pushed


@pytest.fixture(scope="package")
def entrypoints(cluster: Cluster) -> Iterator[dict[str, str]]:
    """Return a loopback URL per manager, relayed to the Traefik port published on it."""
    forwarders = {
        spec.name: Forwarder(spec.netns, spec.address, deploy.HTTP_PORT).start()
        for spec in managers()
    }
    try:
        yield {name: forwarder.url for name, forwarder in forwarders.items()}
    finally:
        for forwarder in forwarders.values():
            forwarder.close()


@pytest.fixture(scope="package")
def deployed(
    cluster: Cluster,
    pushed_images: PushedImages,
    entrypoints: dict[str, str],
    cluster_summary: ClusterSummary,
) -> Iterator[Stack]:
    """Create the secrets and deploy stack.yml from the registry; wait until it serves."""
    deploy_dir = WORKDIR / "deploy"
    deployed = deploy.staged_stack(REPO_ROOT, deploy_dir, entrypoints["node1"])
    try:
        started = time.monotonic()
        stack.create_secrets(deployed)
        deploy.stack_deploy(deployed)
        deploy.keep_gpu_node_attachments(deployed)
        stack.wait_for(
            "every service running and healthy on the cluster",
            lambda: stack.converged(deployed, EXPECTED_SERVICES),
            timeout_s=CONVERGE_TIMEOUT_S,
        )
        stack.wait_for(
            "a first translation through Traefik on node1",
            lambda: first_translation(deployed.base_url),
            timeout_s=180,
        )
        serving_s = time.monotonic() - started
        cluster_summary.timings_s["stack deployed and serving (to a first saved translation)"] = (
            serving_s
        )
        yield deployed
    finally:
        # The staged secret files hold this deployment's passwords; the cluster goes anyway.
        shutil.rmtree(deploy_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def router_watch(
    pytestconfig: pytest.Config,
    cluster: Cluster,
    deployed: Stack,
    entrypoints: dict[str, str],
    admin_credentials: tuple[str, str],
    cluster_summary: ClusterSummary,
) -> Iterator[RouterWatch]:
    """Record what every Traefik routes to the backends while the checks run (routers.py)."""
    watch = RouterWatch(
        entrypoints, admin_credentials, lambda node: provider_inputs(cluster, node, deployed.name)
    ).start()
    pytestconfig.stash[WATCH_KEY] = watch
    try:
        yield watch
    finally:
        watch.close()
        del pytestconfig.stash[WATCH_KEY]
        log_dir = TEST_OUTPUT / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "cluster-routing.txt").write_text("\n".join(watch.lines()) + "\n")
        lost = watch.lost_router()
        cluster_summary.notes.append(
            f"Traefik's router to the backends went missing {len(lost)} times "
            f"(every change: {TEST_OUTPUT / 'logs' / 'cluster-routing.txt'})"
        )
        cluster_summary.notes.extend(lost[:10])


@pytest.fixture(autouse=True)
def routing_marks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Mark each check on the routing watch of the tests that use the deployed stack."""
    if "deployed" not in request.fixturenames:
        yield
        return
    watch: RouterWatch = request.getfixturevalue("router_watch")
    watch.mark(f"{request.node.name} starts")
    yield
    watch.mark(f"{request.node.name} ends")


# The modules run from the least to the most disruptive; each states the layout it needs.
MODULE_ORDER = (
    "test_placement",
    "test_browser",
    "test_node_failures",
    "test_scaling",
    "test_updates",
    "test_db_node",
    "test_backup",
    "test_monitoring",
    "test_leader_loss",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run this package's modules in MODULE_ORDER (a stable sort keeps each module's order)."""

    def rank(item: pytest.Item) -> int:
        if not item.path.is_relative_to(Path(__file__).parent):
            return -1
        name = item.path.stem
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    # Items outside this folder keep their place in front (rank -1), in their own order.
    items.sort(key=rank)


@pytest.fixture(scope="package")
def admin_credentials(deployed: Stack) -> tuple[str, str]:
    """Return the admin login secrets/create.sh generated and printed once."""
    if not all(deployed.admin_login):
        pytest.fail("secrets/create.sh did not print the generated admin user and password")
    return deployed.admin_login
