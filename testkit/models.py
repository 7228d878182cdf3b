"""The tiny random-weight Marian model every test uses (no machine here can download weights)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from testkit.servers import REPO_ROOT, python_env

TINY_MODEL_DIR = REPO_ROOT / "build" / "models" / "tiny"


def _built_once(preset: str, directory: Path) -> Path:
    """Return directory, building the random-model preset there first (once, under a file lock).

    Several pytest processes may ask at the same time; the lock makes the others wait for the
    first build instead of writing the same files concurrently.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (directory.parent / f".{directory.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / "config.json").exists():
            argv = [sys.executable, "-m", "backend.tools.random_model", "--preset", preset]
            subprocess.run(
                [*argv, "--out", str(directory)], check=True, env=python_env(), cwd=REPO_ROOT
            )
    return directory


def tiny_model_dir() -> Path:
    """Return build/models/tiny, building it first (once, under a file lock) when missing."""
    return _built_once("tiny", TINY_MODEL_DIR)


SUMMARY_MODEL_DIR = REPO_ROOT / "build" / "models" / "summary"


def summary_model_dir() -> Path:
    """Return build/models/summary (random T5, `make random-model PRESET=summary`), built once."""
    return _built_once("summary", SUMMARY_MODEL_DIR)
