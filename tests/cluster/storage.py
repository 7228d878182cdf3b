"""The nodes' disks: one tmpfs on the run folder, mounted in the host's mount namespace."""

from __future__ import annotations

from pathlib import Path

from tests.swarm.cli import run

# An upper bound, not a reservation: tmpfs takes memory only for what is written (about 2 GB:
# each node holds the images of its own tasks).
SIZE = "12g"


def mounted(path: Path) -> bool:
    """Return whether a file system is mounted exactly on path."""
    target = str(path.resolve())
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split()[4] == target for line in mountinfo)


def mount(path: Path) -> None:
    """Mount a fresh tmpfs on path (created if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0755", "utc-cluster", str(path)])


def unmount(path: Path) -> None:
    """Unmount path's tmpfs; lazily if something still holds it open."""
    if run(["umount", str(path)], check=False).returncode != 0:
        run(["umount", "--lazy", str(path)], check=False)
