"""Build the stack's images with the single-node Swarm test's builders and push them to the
cluster's registry.

The cluster's nodes live in network namespaces without a way out, so nothing can be built there:
the images are built where the Swarm test builds them (the host's engine, which reaches PyPI and
Debian's mirrors), cached by content as that test does, and pushed from there to the cluster's
registry through a loopback relay (Docker treats registries on 127.0.0.0/8 as insecure by
default, so the host's engine needs no configuration for it). The registry keeps its storage
between runs, so unchanged layers are not pushed again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.swarm.cli import CommandError, docker
from tests.swarm.engine import (
    engine_running,
    ensure_docker_installed,
    start_dockerd,
    stop_dockerd,
)
from tests.swarm.project_images import ProjectImages
from tests.swarm.stack_images import build_stack_images

logger = logging.getLogger(__name__)

# Local names on the host's engine only; the cluster's registry gets its own names.
HOST_REGISTRY = "unlimited-translation-cluster"
HOST_TAG = "cluster"


@dataclass
class PushedImages:
    """The digest each repository:tag got in the cluster's registry, and how the build went."""

    digests: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_all(repo_root: Path, model_dir: Path, workdir: Path, notes: list[str]) -> dict[str, str]:
    """Build (or reuse) every image the test stack needs; return host references by name."""
    project = ProjectImages(HOST_REGISTRY, HOST_TAG)
    built = build_stack_images(repo_root, model_dir, workdir, project)
    notes.extend(built.notes)
    return {
        **{name: ref for name, ref in built.infrastructure.items() if name != "python"},
        "backend": project.ref("backend"),
        "frontend": project.ref("frontend"),
        "frontend-next": project.ref("frontend", "-next"),
        "frontend-broken": project.ref("frontend", "-broken"),
    }


def push(reference: str, registry: str, path: str) -> str:
    """Push a host image to registry/path (repository:tag); return the digest it got."""
    target = f"{registry}/{path}"
    docker("tag", reference, target)
    try:
        docker("push", "--quiet", target, timeout_s=900)
        raw = docker("image", "inspect", "--format", "{{json .RepoDigests}}", target)
    finally:
        # Only this run's loopback name goes; the image stays cached under its own tag.
        docker("rmi", target, check=False)
    repository = target.rsplit(":", 1)[0]
    digests = [d for d in json.loads(raw) if d.startswith(repository + "@")]
    if not digests:
        raise CommandError(f"{target} has no digest after its push: {raw}")
    return digests[0].split("@", 1)[1]


def build_and_push(
    repo_root: Path,
    model_dir: Path,
    workdir: Path,
    registry: str,
    paths: Mapping[str, Sequence[str]],
) -> PushedImages:
    """Build the images on the host's engine (started for this only if none runs), push them.

    paths gives, per image name (backend, frontend, traefik...), the repository:tag paths it
    gets in the registry, whose loopback address is registry (127.0.0.1:port).
    """
    with host_cli():
        return _build_and_push(repo_root, model_dir, workdir, registry, paths)


@contextmanager
def host_cli() -> Iterator[None]:
    """Point the docker CLI at the host's engine for the block (the cluster sets DOCKER_HOST)."""
    cluster_host = os.environ.pop("DOCKER_HOST", None)
    try:
        yield
    finally:
        if cluster_host is not None:
            os.environ["DOCKER_HOST"] = cluster_host


def _build_and_push(
    repo_root: Path,
    model_dir: Path,
    workdir: Path,
    registry: str,
    paths: Mapping[str, Sequence[str]],
) -> PushedImages:
    pushed = PushedImages()
    started = None
    if engine_running():
        pushed.notes.append("images: built on the host's running Docker engine")
    else:
        ensure_docker_installed(repo_root)
        (workdir / "host-engine").mkdir(parents=True, exist_ok=True)
        started = start_dockerd(workdir / "host-engine", workdir / "host-engine" / "dockerd.log")
        pushed.notes.append("images: started the host's dockerd to build them, stopped after")
    try:
        references = build_all(repo_root, model_dir, workdir, pushed.notes)
        for name, reference in references.items():
            for path in paths[name]:
                pushed.digests[path] = push(reference, registry, path)
    finally:
        if started is not None:
            stop_dockerd(started)
    return pushed
