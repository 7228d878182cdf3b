"""Every image a test stack deploys, built on the host's engine by the single-node Swarm test
and the cluster test alike, once even when both start at the same time (`make test-swarm` and
`make test-cluster` in two terminals).

One build at a time, across processes: the second run waits on a file lock, then finds the base
and stand-in images by their content tags and the project images in the layer cache.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.swarm.images import python_base_image, standin_image, try_pull
from tests.swarm.project_images import ProjectImages, build_backend, build_frontend

# What production deploys; each is replaced by a stand-in where no registry can be reached.
OFFICIAL = {
    "traefik": "traefik:v3.7",
    "mysql": "mysql:8.4",
    "prometheus": "prom/prometheus:v2.53.4",
}


@dataclass
class StackImages:
    """The project's images, the infrastructure references by name (python, traefik, mysql,
    prometheus), how long each part took and what happened on the way."""

    project: ProjectImages
    infrastructure: dict[str, str] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@contextmanager
def build_lock(path: Path) -> Iterator[float]:
    """Hold an exclusive lock on path for the block; yield the seconds spent waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with path.open("a") as handle:
        # Released by the kernel when the file closes, also when the holder is killed.
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield time.monotonic() - started


def infrastructure(repo_root: Path, base: str, workdir: Path, notes: list[str]) -> dict[str, str]:
    """Return Traefik, MySQL and Prometheus by name: official when pullable, else stand-ins."""
    found: dict[str, str] = {}
    traefik_binary = {"traefik": repo_root / ".venv" / "bin" / "traefik"}
    for name, official in OFFICIAL.items():
        if try_pull(official):
            found[name] = official
            continue
        extra = traefik_binary if name == "traefik" else {}
        found[name] = standin_image(name, base, workdir, extra)
        notes.append(f"{name}: no registry reachable, using stand-in {found[name]}")
    return found


def build_stack_images(
    repo_root: Path, model_dir: Path, workdir: Path, project: ProjectImages
) -> StackImages:
    """Build (or reuse) the base, stand-in and project images; project names them."""
    built = StackImages(project)
    with build_lock(repo_root / "build" / "images.lock") as waited_s:
        if waited_s >= 1:
            built.notes.append(f"images: waited {waited_s:.0f}s for another run's build")
        started = time.monotonic()
        base = python_base_image(workdir, built.notes)
        others = infrastructure(repo_root, base, workdir, built.notes)
        built.infrastructure = {"python": base, **others}
        built.timings_s["base and stand-in images"] = time.monotonic() - started
        started = time.monotonic()
        build_backend(project, repo_root, model_dir, base, workdir)
        build_frontend(project, repo_root, base)
        built.timings_s["project images (backend, frontend, next, broken)"] = (
            time.monotonic() - started
        )
    return built
