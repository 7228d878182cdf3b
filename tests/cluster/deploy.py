"""Put the test's images into the cluster's registry and deploy the real stack.yml from it, as an
operator does: `docker stack deploy --with-registry-auth`, so every node pulls what it runs."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from tests.cluster.topology import REGISTRY
from tests.swarm import deployment
from tests.swarm.cli import docker, run
from tests.swarm.stack import Stack

logger = logging.getLogger(__name__)

# Not the README's "translate": never a real stack's name.
STACK_NAME = "translate-cluster"
PROJECT_PATH = "unlimited-translation"
INFRA_PATH = "stand-ins"
TAG = "cluster"
HTTP_PORT = 80
HTTPS_PORT = 443
BACKEND_REPLICAS = 2
# What tests/swarm/deployment.py names the backup volume (never a real stack's).
BACKUP_VOLUME = f"{STACK_NAME}_backups"


def registry_paths(name: str) -> list[str]:
    """Return the repository:tag paths an image of host_images.build_all gets in the registry."""
    project = {
        "backend": [f"backend:{TAG}", f"backend:{TAG}-gpu"],
        "frontend": [f"frontend:{TAG}"],
        "frontend-next": [f"frontend:{TAG}-next"],
        "frontend-broken": [f"frontend:{TAG}-broken"],
    }
    if name in project:
        return [f"{PROJECT_PATH}/{ref}" for ref in project[name]]
    return [f"{INFRA_PATH}/{name}:{TAG}"]


def all_registry_paths() -> dict[str, list[str]]:
    """Return registry_paths of every image the stack deploys."""
    names = (
        "backend", "frontend", "frontend-next", "frontend-broken", "traefik", "mysql", "prometheus",
    )  # fmt: skip
    return {name: registry_paths(name) for name in names}


def deploy_config() -> deployment.DeployConfig:
    """Return the stack's variables: the cluster's registry, ports inside the nodes."""
    return deployment.DeployConfig(
        stack_name=STACK_NAME,
        registry=f"{REGISTRY}/{PROJECT_PATH}",
        tag=TAG,
        http_port=HTTP_PORT,
        https_port=HTTPS_PORT,
        traefik_image=f"{REGISTRY}/{registry_paths('traefik')[0]}",
        mysql_image=f"{REGISTRY}/{registry_paths('mysql')[0]}",
        prometheus_image=f"{REGISTRY}/{registry_paths('prometheus')[0]}",
        backend_replicas=BACKEND_REPLICAS,
    )


LAYOUT_OVERRIDE = Path(__file__).resolve().parent / "stack.cluster.yml"


def staged_stack(repo_root: Path, deploy_dir: Path, base_url: str) -> Stack:
    """Copy what an operator deploys from into deploy_dir; return the (not yet deployed) stack."""
    staged = deployment.stage(repo_root, deploy_dir)
    return Stack(
        name=STACK_NAME,
        repo_root=staged,
        compose_files=[staged / "stack.yml", LAYOUT_OVERRIDE],
        env=deployment.environment(deploy_config()),
        base_url=base_url,
    )


def stack_deploy(stack: Stack) -> None:
    """Run `docker stack deploy --with-registry-auth` against the current manager."""
    files = [part for path in stack.compose_files for part in ("-c", str(path))]
    run(
        ["docker", "stack", "deploy", "--with-registry-auth", *files, stack.name],
        env={**stack.env, "DOCKER_HOST": os.environ["DOCKER_HOST"]},
        cwd=stack.repo_root,
        timeout_s=300,
    )


KEEPER = "gpu-node-keeper"


def keep_gpu_node_attachments(stack: Stack) -> None:
    """Run one idle task on every GPU node on the backends network, for Docker 20.10's sake.

    20.10's constraint enforcer rejects a task holding generic resources (GPUs) whenever its
    node's object changes (an inverted check), and a node's object changes when it gets or
    drops its address on an overlay network, which happens when the first (or last) task using
    that network arrives there: a GPU node whose only user of `backends` is a backend rejected
    its backend forever. A task that holds the address independently keeps the node object
    still (the runbook says the same). The backend image is on those nodes anyway.
    """
    image = docker(
        "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        stack.service("backend"),
    )  # fmt: skip
    docker(
        "service", "create", "--detach", "--quiet",
        "--name", stack.service(KEEPER),
        "--mode", "global",
        "--constraint", "node.labels.gpu == true",
        "--network", f"{stack.name}_backends",
        "--endpoint-mode", "dnsrr",
        # sleep as PID 1 ignores SIGTERM: stop at once instead of after 10 s.
        "--stop-signal", "SIGKILL",
        # The image's own health check asks for a backend this task does not run.
        "--no-healthcheck",
        "--no-resolve-image",
        image, "sleep", "infinity",
    )  # fmt: skip
