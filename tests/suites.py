"""Run every test of `make test` as two pytest runs side by side, and fail if either fails.

- unit: everything that needs no Docker (unit, integration, browser, red team), with coverage;
- docker: the real stack on a single-node Swarm (tests/swarm), then on the simulated multi-node
  cluster (tests/cluster), without coverage (the services run in containers there, where it
  measures nothing).

Why side by side: one after another they took 31 + 13 minutes on a 2-core machine, over the
30-minute budget, and the Docker suites spend most of their time waiting (failure detection,
rolling updates, health checks) rather than computing. Why not three runs, the Swarm beside the
cluster: on 2 cores the three starved the containers until their health checks timed out and
Swarm restarted every service (measured: 4,356 of 4,690 requests failed during a rollback).

Each run's output goes to the terminal, every line prefixed with the run's name, and whole to
test-output/logs/pytest-<name>.log; every argument is passed to both runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from testkit.fixtures import TEST_OUTPUT
from testkit.servers import REPO_ROOT

# How long an interrupted run may take to tear down before it is killed.
STOP_GRACE_S = 120.0


@dataclass(frozen=True)
class Run:
    """One pytest run: its name (the output's prefix) and its command line."""

    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """How one run ended: its exit status and how long it took."""

    name: str
    returncode: int
    seconds: float


def pytest_runs(extra: Sequence[str], python: str = sys.executable) -> list[Run]:
    """Return the two runs of make test (junit reports beside the coverage report)."""
    pytest = (python, "-m", "pytest")
    out = TEST_OUTPUT
    # Branch coverage of both services (pyproject.toml: the servers the tests start count too);
    # the run fails under [tool.coverage.report] fail_under.
    coverage = ("--cov", "--cov-report=term", f"--cov-report=xml:{out / 'coverage.xml'}")
    unit = ("-m", "not swarm and not cluster", f"--junitxml={out / 'junit.xml'}", *coverage)
    docker = (
        "-m", "swarm or cluster", "tests/swarm", "tests/cluster",
        f"--junitxml={out / 'junit-docker.xml'}",
    )  # fmt: skip
    return [Run("unit", (*pytest, *unit, *extra)), Run("docker", (*pytest, *docker, *extra))]


def relay(name: str, source: TextIO, log_path: Path, out: TextIO, lock: threading.Lock) -> None:
    """Copy a run's output to its log file and, each line prefixed with its name, to out."""
    with source, log_path.open("w", encoding="utf-8") as log:
        for line in source:
            log.write(line)
            log.flush()
            with lock:
                out.write(f"[{name}] {line}")
                out.flush()


def stop(processes: Sequence[subprocess.Popen[str]]) -> None:
    """Interrupt every run still going (pytest then tears its fixtures down); kill stragglers."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_all(runs: Sequence[Run], log_dir: Path, out: TextIO | None = None) -> list[Outcome]:
    """Start every run at once; return how each ended, in the runs' order.

    Each run is a process group of its own, so an interrupt (Ctrl-C, SIGTERM) reaches each one
    once, from here, and the runs still tear down what they started.
    """
    out = sys.stdout if out is None else out
    log_dir.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    started = time.monotonic()
    processes: list[subprocess.Popen[str]] = []
    relays: list[threading.Thread] = []
    try:
        for run in runs:
            process = subprocess.Popen(
                run.argv,
                cwd=REPO_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
            processes.append(process)
            log_path = log_dir / f"pytest-{run.name}.log"
            thread = threading.Thread(
                target=relay,
                args=(run.name, process.stdout, log_path, out, lock),
                name=f"relay-{run.name}",
                daemon=True,
            )
            thread.start()
            relays.append(thread)
        ended: dict[int, float] = {}
        while len(ended) < len(processes):
            for index, process in enumerate(processes):
                if index not in ended and process.poll() is not None:
                    ended[index] = time.monotonic() - started
            time.sleep(0.2)
    except BaseException:
        stop(processes)
        raise
    for thread in relays:
        thread.join()
    return [
        Outcome(run.name, process.returncode, ended[index])
        for index, (run, process) in enumerate(zip(runs, processes, strict=True))
    ]


def report(outcomes: Sequence[Outcome], log_dir: Path) -> str:
    """Say how every run ended, in one block for the end of the output."""
    lines = ["", "make test, every run:"]
    for outcome in outcomes:
        minutes, seconds = divmod(round(outcome.seconds), 60)
        verdict = "passed" if outcome.returncode == 0 else f"FAILED (exit {outcome.returncode})"
        log = log_dir / f"pytest-{outcome.name}.log"
        lines.append(f"  {outcome.name:<8} {verdict:<18} {minutes}m{seconds:02d}s  {log}")
    return "\n".join(lines) + "\n"


def interrupted(signum: int, frame: object) -> None:
    """Turn SIGTERM (a CI job cancelled) into the interrupt run_all stops the runs on."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run both runs, every argument passed to each; exit 0 only if both passed (no tests
    collected is a failure)."""
    pytest_args = sys.argv[1:] if argv is None else list(argv)
    log_dir = TEST_OUTPUT / "logs"
    signal.signal(signal.SIGTERM, interrupted)
    outcomes = run_all(pytest_runs(pytest_args), log_dir)
    sys.stdout.write(report(outcomes, log_dir))
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
