"""Run the docker CLI and other host commands with bounded time and readable failures."""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

DOCKER = "docker"


class CommandError(RuntimeError):
    """A host command failed or timed out; the message carries its output."""


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    timeout_s: float = 120.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: IO[bytes] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run argv, capture its output as text, and raise CommandError on failure when check."""
    logger.debug("run %s", shlex.join(argv))
    try:
        result = subprocess.run(
            list(argv),
            capture_output=True,
            timeout=timeout_s,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=stdin,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise CommandError(f"{shlex.join(argv)} timed out after {timeout_s}s") from error
    completed = subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode(errors="replace"),
        result.stderr.decode(errors="replace"),
    )
    if check and completed.returncode != 0:
        raise CommandError(
            f"{shlex.join(argv)} exited with {completed.returncode}:\n"
            f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
    return completed


def docker(*args: str, check: bool = True, timeout_s: float = 120.0) -> str:
    """Run `docker args...` and return its stripped standard output."""
    return run([DOCKER, *args], check=check, timeout_s=timeout_s).stdout.strip()


def docker_ok(*args: str, timeout_s: float = 60.0) -> bool:
    """Return whether `docker args...` exits with status 0."""
    return run([DOCKER, *args], check=False, timeout_s=timeout_s).returncode == 0
