"""Build the project's own images from their Dockerfiles, as CI and users do, for the test stack."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.swarm.cli import docker
from tests.swarm.images import STANDIN_DIR, build_image

logger = logging.getLogger(__name__)

# The torch CPU wheel lives only here on our machines; the backend's builder stage needs torch to
# convert the model, and PyPI's torch would be the multi-GB CUDA build.
HOST_WHEELS = Path("/opt/wheels")
TORCH_WHEEL_GLOB = "torch-2.13.0*cpu*.whl"


@dataclass(frozen=True)
class ProjectImages:
    """References of the images the test stack deploys (the same repository, several tags)."""

    registry: str
    tag: str

    def ref(self, service: str, suffix: str = "") -> str:
        """Return registry/service:tag<suffix>."""
        return f"{self.registry}/{service}:{self.tag}{suffix}"


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link source to target (same file system, instant), else copy it."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def backend_context(repo_root: Path, model_dir: Path, workdir: Path) -> Path:
    """Stage the backend's build context with the tiny model and the host's torch wheel."""
    context = workdir / "context-backend"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(
        repo_root / "services" / "backend",
        context,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "tests"),
    )
    # The model this run's tests use, even if the folder holds an older copy.
    shutil.rmtree(context / "models" / "tiny", ignore_errors=True)
    shutil.copytree(model_dir, context / "models" / "tiny")
    wheels = context / "wheels"
    wheels.mkdir(exist_ok=True)
    for wheel in HOST_WHEELS.glob(TORCH_WHEEL_GLOB):
        if not (wheels / wheel.name).exists():
            link_or_copy(wheel, wheels / wheel.name)
    return context


def build_backend(
    images: ProjectImages, repo_root: Path, model_dir: Path, base: str, workdir: Path
) -> None:
    """Build the backend image with the tiny model baked in; tag it also as the -gpu variant.

    Tasks run on the CPU here (the GPUs are fake), so the CPU build serves both tags.
    """
    context = backend_context(repo_root, model_dir, workdir)
    try:
        build_image(
            images.ref("backend"),
            context,
            build_args={"PYTHON_IMAGE": base, "MODEL": "models/tiny"},
        )
    finally:
        shutil.rmtree(context, ignore_errors=True)
    docker("tag", images.ref("backend"), images.ref("backend", "-gpu"))


def build_frontend(images: ProjectImages, repo_root: Path, base: str) -> None:
    """Build the frontend image, a second release of it, and a deliberately broken release."""
    context = repo_root / "services" / "frontend"
    build_image(images.ref("frontend"), context, build_args={"PYTHON_IMAGE": base})
    # A different image id (one more label), so the rolling update really replaces the tasks.
    build_image(
        images.ref("frontend", "-next"),
        context,
        build_args={"PYTHON_IMAGE": base},
        labels={"org.opencontainers.image.version": f"{images.tag}-next"},
    )
    build_image(
        images.ref("frontend", "-broken"),
        STANDIN_DIR / "broken",
        build_args={"BASE_IMAGE": images.ref("frontend")},
    )
