"""Get the images the stack needs: real ones where a registry answers, content-cached stand-ins
where none does (our machines reach PyPI and Debian's mirrors, but no container registry)."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.swarm.cli import CommandError, docker, docker_ok, run

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STANDIN_DIR = HERE / "images"
STANDIN_REPO = "unlimited-translation-standin"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# What the official python:3.11-slim-bookworm image offers that our Dockerfiles rely on.
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "python-is-python3", "ca-certificates")
# Bump when the recipe below changes in a way the hashed inputs do not show.
BASE_RECIPE_VERSION = "1"
OFFICIAL_PYTHON = "python:3.11-slim-bookworm"
# Environment of the imported base image: pip must trust the host's CA bundle, because PyPI is
# reached through a TLS-intercepting proxy here (pip otherwise trusts only its bundled certifi).
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "PIP_CERT": str(CA_BUNDLE),
    "SSL_CERT_FILE": str(CA_BUNDLE),
    "REQUESTS_CA_BUNDLE": str(CA_BUNDLE),
}


def content_tag(*parts: bytes) -> str:
    """Return a short tag that changes whenever any of the inputs changes."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def dir_bytes(path: Path) -> bytes:
    """Return the names and contents of every file under path, in a stable order."""
    chunks = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        chunks.append(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return b"\0".join(chunks)


def image_exists(reference: str) -> bool:
    """Return whether the engine holds an image with this reference."""
    return docker_ok("image", "inspect", reference, timeout_s=30)


def try_pull(reference: str) -> bool:
    """Pull reference from its registry; return False when no registry is reachable."""
    if image_exists(reference):
        return True
    return docker_ok("pull", "--quiet", reference, timeout_s=300)


def python_base_image(workdir: Path, notes: list[str]) -> str:
    """Return the official Python image when pullable, else a debootstrap stand-in (cached)."""
    if try_pull(OFFICIAL_PYTHON):
        notes.append(f"base image: {OFFICIAL_PYTHON} from its registry")
        return OFFICIAL_PYTHON
    recipe = json.dumps([BASE_RECIPE_VERSION, BASE_PACKAGES, BASE_ENV, DEBIAN_MIRROR]).encode()
    tag = f"{STANDIN_REPO}/python:{content_tag(recipe, CA_BUNDLE.read_bytes())}"
    if image_exists(tag):
        notes.append(f"base image: cached stand-in {tag} (no registry reachable)")
        return tag
    notes.append(f"base image: building stand-in {tag} with debootstrap (no registry reachable)")
    rootfs = workdir / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    try:
        debootstrap(rootfs)
        import_rootfs(rootfs, tag)
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return tag


def debootstrap(rootfs: Path) -> None:
    """Make a minimal Debian bookworm root file system shaped like python:3.11-slim-bookworm."""
    run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            "bookworm",
            str(rootfs),
            DEBIAN_MIRROR,
        ],
        timeout_s=900,
    )
    certs = rootfs / "etc/ssl/certs"
    shutil.copyfile(CA_BUNDLE, certs / "ca-certificates.crt")
    # Survives a later update-ca-certificates run inside image builds (apt-get install ...).
    shutil.copyfile(CA_BUNDLE, rootfs / "usr/local/share/ca-certificates/host-bundle.crt")
    (rootfs / "etc/pip.conf").write_text(f"[global]\ncert = {CA_BUNDLE}\n")
    # The official image lets pip install into its interpreter; Debian marks it externally managed.
    (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
    for name in ("python", "python3"):
        (rootfs / "usr/local/bin" / name).symlink_to("/usr/bin/python3")
    shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
    for lists in (rootfs / "var/lib/apt/lists").glob("*_*"):
        lists.unlink()


def import_rootfs(rootfs: Path, tag: str) -> None:
    """Import a root file system as an image with the official image's environment and CMD."""
    changes = [f"ENV {key}={value}" for key, value in BASE_ENV.items()]
    changes.append('CMD ["python3"]')
    args = [part for change in changes for part in ("--change", change)]
    with subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
    ) as tar:
        run(["docker", "import", *args, "-", tag], stdin=tar.stdout, timeout_s=600)
        if tar.wait() != 0:
            raise CommandError(f"tar of {rootfs} failed with {tar.returncode}")


def build_image(
    tag: str,
    context: Path,
    *,
    build_args: Mapping[str, str] | None = None,
    dockerfile: Path | None = None,
    labels: Mapping[str, str] | None = None,
    timeout_s: float = 1800.0,
) -> None:
    """Build an image with the engine's (classic) builder; raise CommandError with its log."""
    args = ["docker", "build", "--tag", tag]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    for key, value in (labels or {}).items():
        args += ["--label", f"{key}={value}"]
    if dockerfile is not None:
        args += ["--file", str(dockerfile)]
    run([*args, str(context)], timeout_s=timeout_s)


def standin_image(
    name: str, base: str, workdir: Path, extra_files: Mapping[str, Path] | None = None
) -> str:
    """Build (or reuse) a stand-in from tests/swarm/images/<name>, tagged by its content.

    extra_files are copied into the build context beside the folder's own files.
    """
    folder = STANDIN_DIR / name
    extra = b"".join(n.encode() + p.read_bytes() for n, p in sorted((extra_files or {}).items()))
    tag = f"{STANDIN_REPO}/{name}:{content_tag(base.encode(), dir_bytes(folder), extra)}"
    if image_exists(tag):
        return tag
    context = workdir / f"context-{name}"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(folder, context)
    for file_name, source in (extra_files or {}).items():
        shutil.copy2(source, context / file_name)
    try:
        build_image(tag, context, build_args={"BASE_IMAGE": base})
    finally:
        shutil.rmtree(context, ignore_errors=True)
    return tag


def image_id(reference: str) -> str:
    """Return the engine's id of an image."""
    return docker("image", "inspect", "--format", "{{.Id}}", reference)
