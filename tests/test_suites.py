"""make test's runner (tests/suites.py), on stand-in commands: the runs go side by side, every
failure fails the whole, an interrupt reaches every run; and the image-build lock of the Docker
tests: two builds never overlap."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import suites
from tests.suites import Run, run_all
from tests.swarm.stack_images import build_lock


def python_run(name: str, code: str) -> Run:
    """A run that executes code in a fresh interpreter."""
    return Run(name, (sys.executable, "-c", code))


def test_the_runs_go_side_by_side_and_every_line_is_prefixed_and_logged(tmp_path: Path) -> None:
    """The first run waits for a file only the second one writes: run one after the other, the
    first would give up (exit 3)."""
    flag = tmp_path / "second-started"
    waiter = python_run(
        "first",
        f"import pathlib, time\n"
        f"flag = pathlib.Path({str(flag)!r})\n"
        f"deadline = time.monotonic() + 30\n"
        f"while not flag.exists():\n"
        f"    if time.monotonic() > deadline: raise SystemExit(3)\n"
        f"    time.sleep(0.05)\n"
        f"print('saw the flag'); print('done')\n",
    )
    writer = python_run(
        "second", f"import pathlib; pathlib.Path({str(flag)!r}).touch(); print('wrote')"
    )
    out = io.StringIO()
    outcomes = run_all([waiter, writer], tmp_path / "logs", out)
    assert [(o.name, o.returncode) for o in outcomes] == [("first", 0), ("second", 0)]
    lines = out.getvalue().splitlines()
    assert sorted(lines) == ["[first] done", "[first] saw the flag", "[second] wrote"]
    assert lines.index("[first] saw the flag") < lines.index("[first] done")
    assert (tmp_path / "logs" / "pytest-first.log").read_text() == "saw the flag\ndone\n"
    assert (tmp_path / "logs" / "pytest-second.log").read_text() == "wrote\n"


@pytest.mark.parametrize("failing_status", [1, 5])
def test_any_failed_run_fails_make_test_and_the_report_names_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failing_status: int,
) -> None:
    """A failure, or pytest's "no tests collected" (5), in one run fails the whole; the others
    still run to their end."""
    monkeypatch.setattr(suites, "TEST_OUTPUT", tmp_path)
    runs = [
        python_run("unit", "print('fine')"),
        python_run("docker", f"raise SystemExit({failing_status})"),
        python_run("slower", "import time; time.sleep(0.5); print('fine too')"),
    ]
    monkeypatch.setattr(suites, "pytest_runs", lambda extra: runs)
    assert suites.main([]) == 1
    report = capsys.readouterr().out
    assert f"docker   FAILED (exit {failing_status})" in report
    assert "unit     passed" in report
    assert "slower   passed" in report
    assert "[slower] fine too" in report


def test_every_run_passing_passes_and_arguments_reach_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runs of make test get make's PYTEST_ARGS; all passing, the exit status is 0."""
    monkeypatch.setattr(suites, "TEST_OUTPUT", tmp_path)
    monkeypatch.setattr(
        suites,
        "pytest_runs",
        lambda extra: [python_run(n, f"print({list(extra)!r})") for n in ("unit", "docker")],
    )
    assert suites.main(["-x", "-k", "name"]) == 0
    out = capsys.readouterr().out
    assert "[unit] ['-x', '-k', 'name']" in out
    assert "[docker] ['-x', '-k', 'name']" in out


def test_the_real_runs_select_every_test_once() -> None:
    """unit takes everything but the two Docker suites; docker takes both, where they are."""
    runs = {run.name: run.argv for run in suites.pytest_runs(["-x"])}

    def marker(argv: tuple[str, ...]) -> str:
        return argv[argv.index("-m", argv.index("pytest")) + 1]

    assert list(runs) == ["unit", "docker"]
    assert marker(runs["unit"]) == "not swarm and not cluster"
    assert "--cov" in runs["unit"]
    assert marker(runs["docker"]) == "swarm or cluster"
    assert {"tests/swarm", "tests/cluster"} <= set(runs["docker"])
    assert "--cov" not in runs["docker"]
    assert all(argv[-1] == "-x" for argv in runs.values())


def test_an_interrupt_reaches_every_run_and_lets_it_clean_up(tmp_path: Path) -> None:
    """Ctrl-C (or SIGTERM, turned into it) interrupts each run once; each tears down, none is
    left behind."""
    runs = []
    for name in ("one", "two"):
        ready, cleaned = tmp_path / f"{name}.ready", tmp_path / f"{name}.cleaned"
        runs.append(
            python_run(
                name,
                f"import pathlib, signal, sys, time\n"
                f"def done(*_):\n"
                f"    pathlib.Path({str(cleaned)!r}).write_text('torn down'); sys.exit(2)\n"
                f"signal.signal(signal.SIGINT, done)\n"
                f"pathlib.Path({str(ready)!r}).touch()\n"
                f"time.sleep(60)\n",
            )
        )

    def interrupt_when_ready() -> None:
        deadline = time.monotonic() + 30
        while not all((tmp_path / f"{n}.ready").exists() for n in ("one", "two")):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_all(runs, tmp_path / "logs", io.StringIO())
    assert time.monotonic() - started < 30, "the runs were waited for, not interrupted"
    for name in ("one", "two"):
        assert (tmp_path / f"{name}.cleaned").read_text() == "torn down"


def test_two_image_builds_never_overlap(tmp_path: Path) -> None:
    """The second build waits until the first releases the lock, and says how long it waited."""
    events: list[str] = []
    first_inside = threading.Event()
    lock_file = tmp_path / "images.lock"

    def first() -> None:
        with build_lock(lock_file):
            events.append("first in")
            first_inside.set()
            time.sleep(0.5)
            events.append("first out")

    holder = threading.Thread(target=first)
    holder.start()
    assert first_inside.wait(10)
    with build_lock(lock_file) as waited_s:
        events.append("second in")
    holder.join()
    assert events == ["first in", "first out", "second in"]
    assert waited_s > 0.2
