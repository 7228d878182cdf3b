"""scripts/lint-dockerfiles.sh finds every Dockerfile itself and fails on any hadolint finding.

`make lint` runs the script on this repository; these tests run it on small throw-away
repositories, to show that it finds Dockerfiles nobody listed and that a finding fails it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from testkit.servers import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "lint-dockerfiles.sh"
BIN_DIR = REPO_ROOT / ".venv" / "bin"
CLEAN = 'FROM python:3.11-slim\nUSER 65534\nCMD ["python", "-V"]\n'
# DL3008 (unpinned apt package) and DL3009 (apt lists left behind), among others.
DIRTY = "FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\n"


def make_repo(root: Path, dockerfiles: dict[str, str]) -> Path:
    """Create a git repository holding the script and the given Dockerfiles."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(SCRIPT, root / "scripts" / SCRIPT.name)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("ignored/\n")
    for relative, text in dockerfiles.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(root / "scripts" / SCRIPT.name), str(BIN_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_clean_dockerfiles_anywhere_pass_and_are_named(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"svc/Dockerfile": CLEAN, "deep/er/web.Dockerfile": CLEAN})
    result = lint(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "svc/Dockerfile" in result.stdout
    assert "deep/er/web.Dockerfile" in result.stdout


def test_a_finding_in_an_unlisted_dockerfile_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"svc/Dockerfile": CLEAN, "new/Dockerfile.dev": DIRTY})
    result = lint(repo)
    assert result.returncode != 0
    assert "DL3008" in result.stdout


def test_git_ignored_trees_are_skipped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"svc/Dockerfile": CLEAN, "ignored/Dockerfile": DIRTY})
    result = lint(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ignored/Dockerfile" not in result.stdout


def test_finding_no_dockerfile_fails(tmp_path: Path) -> None:
    result = lint(make_repo(tmp_path, {}))
    assert result.returncode != 0
    assert "no Dockerfile found" in result.stderr
