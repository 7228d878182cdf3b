"""The named results the cluster test prints at its end, each with its figure (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """One check: whether it passed and the figure that shows it."""

    passed: bool
    figure: str


@dataclass
class ClusterSummary:
    """Set-up timings, notes and check results, printed by pytest_terminal_summary."""

    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @contextmanager
    def check(self, name: str) -> Iterator[list[str]]:
        """Record the block as check name: FAIL if it raises, PASS otherwise.

        The block appends its figures to the yielded list; they are printed with the result.
        """
        figures: list[str] = []
        try:
            yield figures
        except BaseException as error:
            first_line = str(error).splitlines()[0][:200] if str(error) else repr(error)
            figures.append(f"failed: {first_line}")
            self.checks[name] = CheckResult(False, "; ".join(figures))
            raise
        self.checks[name] = CheckResult(True, "; ".join(figures))

    def lines(self) -> list[str]:
        """Return the summary as printable lines."""
        lines = [f"note: {note}" for note in self.notes]
        lines += [f"time: {name}: {seconds:.1f}s" for name, seconds in self.timings_s.items()]
        for name, result in self.checks.items():
            lines.append(f"{'PASS' if result.passed else 'FAIL'} {name}: {result.figure}")
        return lines or ["the cluster run recorded nothing (did its fixtures run?)"]
