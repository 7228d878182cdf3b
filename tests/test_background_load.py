"""The Swarm tests' background load: bounded, counting, and honest about its own cap."""

from __future__ import annotations

import httpx
import pytest

from tests.swarm.load import BackgroundLoad


def fail_every_third(_client: httpx.Client):
    return lambda number: "boom" if number % 3 == 0 else None


def test_the_load_stops_at_its_cap_and_counts_failures() -> None:
    with BackgroundLoad(fail_every_third, workers=2, max_requests=30) as load:
        load.wait_for_requests(30, timeout_s=10)
    assert load.report.sent == 30
    assert load.report.failed == 10
    assert load.report.summary() == "10 failed of 30 requests (boom x10)"


def test_waiting_for_more_than_the_cap_is_refused_at_once() -> None:
    load = BackgroundLoad(fail_every_third, workers=1, max_requests=5)
    with load, pytest.raises(AssertionError, match="max_requests=5"):
        load.wait_for_requests(6)
