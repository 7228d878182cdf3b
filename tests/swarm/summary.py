"""The numbers the end-to-end run reports at its end (issue 5's summary)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SwarmSummary:
    """Figures recorded by the fixtures and tests, printed by pytest_terminal_summary."""

    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    failed_requests: dict[str, str] = field(default_factory=dict)

    def time(self, name: str, seconds: float) -> None:
        """Record how long a step took (image builds, convergence, scaling...)."""
        self.timings_s[name] = seconds

    def lines(self) -> list[str]:
        """Return the summary as printable lines."""
        lines = [f"note: {note}" for note in self.notes]
        lines += [f"{name}: {seconds:.1f}s" for name, seconds in self.timings_s.items()]
        lines += [f"failed requests {name}: {text}" for name, text in self.failed_requests.items()]
        return lines or ["the Swarm end-to-end run recorded nothing (did its fixtures run?)"]
