"""The tiny random-weight Marian model every test uses (no machine here can download weights)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from testkit.servers import REPO_ROOT, python_env

TINY_MODEL_DIR = REPO_ROOT / "build" / "models" / "tiny"


def tiny_model_dir() -> Path:
    """Return build/models/tiny, building it first (once, under a file lock) when missing."""
    TINY_MODEL_DIR.parent.mkdir(parents=True, exist_ok=True)
    with (TINY_MODEL_DIR.parent / ".tiny.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (TINY_MODEL_DIR / "config.json").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "backend.tools.random_model",
                    "--preset",
                    "tiny",
                    "--out",
                    str(TINY_MODEL_DIR),
                ],
                check=True,
                env=python_env(),
                cwd=REPO_ROOT,
            )
    return TINY_MODEL_DIR


SUMMARY_MODEL_DIR = REPO_ROOT / "build" / "models" / "summary"


def summary_model_dir() -> Path:
    """Return build/models/summary (random T5, `make random-model PRESET=summary`), built once."""
    SUMMARY_MODEL_DIR.parent.mkdir(parents=True, exist_ok=True)
    with (SUMMARY_MODEL_DIR.parent / ".summary.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (SUMMARY_MODEL_DIR / "config.json").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "backend.tools.random_model",
                    "--preset",
                    "summary",
                    "--out",
                    str(SUMMARY_MODEL_DIR),
                ],
                check=True,
                env=python_env(),
                cwd=REPO_ROOT,
            )
    return SUMMARY_MODEL_DIR
