"""The GitHub workflows keep their supply-chain and least-privilege rules, and pass both linters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
BIN = Path(sys.executable).parent
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
# `uses: owner/repo[/path]@<40 hex>  # v1.2.3`: the SHA is what runs, the comment is for people
# and for Dependabot, which updates both together.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$")
# Steps that need no pin: this repository's own actions and workflows, at the same commit.
LOCAL_PREFIXES = ("./", "$/")
# Every write scope a job may hold, and why; anything else is read-only or absent.
ALLOWED_WRITES = {
    ("ci.yml", "images"): {"packages", "id-token", "attestations"},
    ("images.yml", "build"): {"packages", "id-token", "attestations"},
}
SEVERITY_RANK = {"Unknown": 0, "Informational": 1, "Low": 2, "Medium": 3, "High": 4}


def load(path: Path) -> dict:
    """Parse a workflow; `on` stays a string key (PyYAML would read it as True otherwise)."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def uses_lines(path: Path) -> list[str]:
    """Return the text after `uses:` on every line of the file, comment included."""
    return [
        match.group(1).strip()
        for line in path.read_text().splitlines()
        if (match := re.match(r"^\s*(?:-\s+)?uses:\s*(.+)$", line))
    ]


def all_jobs() -> list[tuple[str, str, dict]]:
    """Return (workflow file name, job id, job) for every job of every workflow."""
    return [
        (path.name, job_id, job)
        for path in WORKFLOW_FILES
        for job_id, job in load(path)["jobs"].items()
    ]


def job_id_of(value: object) -> str | None:
    """Name parametrized jobs by their id, leaving the job mapping out of the test id."""
    return None if isinstance(value, str) else "job"


def source_files() -> list[Path]:
    """Return the repository's files outside the venv, build output, git and test stand-ins."""
    skipped = {".venv", "build", ".git", "tests", "node_modules", "test-output", "data", ".run"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skipped]
        found += [Path(folder) / name for name in files]
    return found


def steps_using(action: str) -> list[tuple[str, dict]]:
    """Return (workflow file name, step) for every step that uses the given action."""
    return [
        (name, step)
        for name, _, job in all_jobs()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith(f"{action}@")
    ]


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOW_FILES} == {"ci.yml", "images.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_by_commit_sha_with_its_version(path: Path) -> None:
    lines = uses_lines(path)
    parsed = [
        uses
        for job in load(path)["jobs"].values()
        for uses in [job.get("uses"), *(step.get("uses") for step in job.get("steps", []))]
        if uses
    ]
    assert len(lines) == len(parsed), "a `uses:` the line scan missed (flow style?)"
    unpinned = [u for u in lines if not u.startswith(LOCAL_PREFIXES) and not PINNED.match(u)]
    assert unpinned == []


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for uses in uses_lines(path):
            if not uses.startswith(LOCAL_PREFIXES):
                action, _, rest = uses.partition("@")
                pins.setdefault(action, set()).add(rest.split()[0])
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_top_level_permissions_grant_nothing_or_read_only(path: Path) -> None:
    permissions = load(path).get("permissions")
    assert permissions is not None, "top-level permissions missing: GitHub's default applies"
    assert permissions in ({}, "read-all") or set(permissions.values()) <= {"read", "none"}


@pytest.mark.parametrize(("workflow", "job_id", "job"), all_jobs(), ids=job_id_of)
def test_each_job_declares_its_permissions_and_writes_only_what_it_needs(
    workflow: str, job_id: str, job: dict
) -> None:
    permissions = job.get("permissions")
    assert isinstance(permissions, dict), f"{workflow}:{job_id} declares no permissions map"
    writes = {scope for scope, level in permissions.items() if level == "write"}
    assert writes == ALLOWED_WRITES.get((workflow, job_id), set())
    assert set(permissions.values()) <= {"read", "write", "none"}


def test_every_checkout_leaves_no_credentials_behind() -> None:
    checkouts = steps_using("actions/checkout")
    assert checkouts, "no actions/checkout step found"
    assert [
        (name, step.get("with", {}).get("persist-credentials")) for name, step in checkouts
    ] == [(name, False) for name, _ in checkouts]


# A job that calls a reusable workflow cannot have a timeout; the called workflow's jobs have one.
@pytest.mark.parametrize(
    ("workflow", "job_id", "job"), [j for j in all_jobs() if "uses" not in j[2]], ids=job_id_of
)
def test_every_job_has_a_timeout(workflow: str, job_id: str, job: dict) -> None:
    assert isinstance(job.get("timeout-minutes"), int), f"{workflow}:{job_id} has no timeout"
    assert 0 < job["timeout-minutes"] <= 90


def test_ci_cancels_superseded_runs_of_the_same_ref() -> None:
    concurrency = load(WORKFLOWS / "ci.yml")["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert "cancel-in-progress" in concurrency


def test_ci_runs_exactly_what_a_person_runs_and_keeps_the_reports() -> None:
    jobs = load(WORKFLOWS / "ci.yml")["jobs"]
    runs = [step.get("run", "") for step in jobs["test"]["steps"]]
    assert any(run.endswith("bash .ci/run") for run in runs)
    assert [step.get("run") for step in jobs["lint"]["steps"] if "run" in step] == ["make lint"]
    upload = next(s for s in jobs["test"]["steps"] if "upload-artifact" in s.get("uses", ""))
    # The logs hold the services' and the Swarm test's diagnostics.
    for kept in ("junit.xml", "junit-docker.xml", "screenshots/", "logs/"):
        assert f"test-output/{kept}" in upload["with"]["path"]


def test_images_are_published_only_after_lint_and_tests_pass() -> None:
    ci = load(WORKFLOWS / "ci.yml")
    images = ci["jobs"]["images"]
    assert set(images["needs"]) == {"lint", "test"}
    assert images["uses"].endswith(".github/workflows/images.yml")
    assert "push" in images["if"]
    assert set(load(WORKFLOWS / "images.yml")["on"]) == {"workflow_call"}


def test_deploy_runs_in_the_protected_environment_on_release_or_by_hand() -> None:
    deploy = load(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["release"]["types"] == ["published"]
    assert deploy["on"]["workflow_dispatch"]["inputs"]["tag"]["required"] is True
    job = deploy["jobs"]["deploy"]
    assert job["environment"]["name"] == "production"
    assert job["env"]["DOCKER_HOST"].startswith("ssh://")
    rollback = next(s for s in job["steps"] if "rollback" in s.get("run", ""))
    assert rollback["if"] == "${{ failure() }}"


def test_dependabot_watches_every_requirements_and_dockerfile_folder() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    watched = {
        (entry["package-ecosystem"], folder)
        for entry in config["updates"]
        for folder in entry.get("directories", [entry.get("directory")])
    }
    source = source_files()
    needed = {
        ("pip", "/" + str(p.parent.relative_to(ROOT)).strip("."))
        for p in source
        if re.fullmatch(r"requirements.*\.txt", p.name)
    }
    needed |= {
        ("docker", "/" + str(p.parent.relative_to(ROOT))) for p in source if p.name == "Dockerfile"
    }
    needed.add(("github-actions", "/"))
    assert needed - watched == set()


def run_actionlint(folder: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run the actionlint binary from the venv, checking run: scripts with the venv's shellcheck."""
    argv = [str(BIN / "actionlint"), "-no-color", "-shellcheck", str(BIN / "shellcheck")]
    return subprocess.run(
        [*argv, *map(str, files)], cwd=folder, capture_output=True, text=True, timeout=120
    )


def zizmor_findings(folder: Path) -> list[dict]:
    """Return zizmor's offline findings for a folder's workflows and Dependabot file."""
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_actionlint_finds_nothing_in_our_workflows() -> None:
    result = run_actionlint(ROOT, WORKFLOW_FILES)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_actionlint_does_report_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        '"on": push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n'
        "      - run: echo ${{ github.event.no_such_thing.title }}\n        shell: bash\n"
        "    needs: [missing]\n"
    )
    result = run_actionlint(tmp_path, [broken])
    assert result.returncode != 0
    assert "missing" in result.stdout


def test_zizmor_finds_nothing_above_low_in_our_workflows() -> None:
    findings = zizmor_findings(GITHUB)
    above_low = [
        (f["ident"], f["determinations"]["severity"])
        for f in findings
        if SEVERITY_RANK[f["determinations"]["severity"]] > SEVERITY_RANK["Low"]
    ]
    assert above_low == []


def test_zizmor_does_report_an_unpinned_action_and_persisted_credentials(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        '"on": push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n'
        "    permissions: {}\n    steps:\n      - uses: actions/checkout@v5\n"
    )
    idents = {f["ident"] for f in zizmor_findings(tmp_path / ".github")}
    assert {"unpinned-uses", "artipacked"} <= idents


def test_images_build_every_service_with_build_args_its_dockerfile_declares() -> None:
    matrix = load(WORKFLOWS / "images.yml")["jobs"]["build"]["strategy"]["matrix"]["include"]
    built = {entry["context"] for entry in matrix}
    assert built == {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("services/*/Dockerfile")}
    for entry in matrix:
        dockerfile = (ROOT / entry["context"] / "Dockerfile").read_text()
        declared = set(re.findall(r"^ARG\s+(\w+)", dockerfile, flags=re.MULTILINE))
        passed = {line.split("=", 1)[0] for line in entry["build-args"].splitlines() if line}
        assert passed <= declared, f"{entry['image']}{entry['suffix']}: {passed - declared}"
    assert {entry["suffix"] for entry in matrix if entry["image"] == "backend"} == {"", "-gpu"}
