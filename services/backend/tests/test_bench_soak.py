"""make bench's soak and its targets compute what they claim."""

from __future__ import annotations

import asyncio
import re

import pytest
from benchmarks import report, soak
from hypothesis import given, settings
from hypothesis import strategies as st

# --- soak ---


@given(st.integers(min_value=100_000_000, max_value=2_000_000_000), st.integers(20, 400))
def test_a_flat_rss_is_a_plateau(rss: int, count: int) -> None:
    result = soak.plateau([rss] * count)
    assert result.growth_second_half_pct == 0
    assert result.growth_whole_pct == 0


@given(st.integers(20, 400), st.floats(min_value=0.001, max_value=0.1))
def test_rss_that_keeps_growing_is_not(count: int, per_sample: float) -> None:
    """A leak: every sample a little above the one before, to the end."""
    samples = [int(400e6 * (1 + per_sample * i)) for i in range(count)]
    assert soak.plateau(samples).growth_second_half_pct > 0


def test_growth_that_stops_in_the_first_half_is_a_plateau() -> None:
    """A cache filling up: +20 % over the first third, then flat."""
    samples = [int(400e6 * (1 + 0.2 * min(i, 30) / 30)) for i in range(100)]
    result = soak.plateau(samples)
    assert result.growth_second_half_pct == 0
    assert result.growth_whole_pct > 10


def test_a_plateau_needs_enough_samples() -> None:
    with pytest.raises(ValueError, match="20"):
        soak.plateau([1] * 19)


def test_soak_texts_vary_in_size_and_script_and_some_repeat() -> None:
    made = soak.texts(2000)
    assert made == soak.texts(2000)  # the same run every time
    repeats = len(made) - len(set(made))
    assert 0.1 < repeats / len(made) < 0.3
    sentences = [len(re.findall(r"ist da\.", text)) for text in made]
    assert {1, 3, 12} <= set(sentences)
    assert sum(s == 1 for s in sentences) > len(made) / 2
    assert any(re.search("[\u0400-\u04ff]", t) for t in made)  # Cyrillic
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", t) for t in made)  # Japanese


async def test_run_soak_sends_every_request_and_samples_meanwhile() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)
        await asyncio.sleep(0.002)

    requests = [f"t{i}" for i in range(400)]
    samples, elapsed_s, count = await soak.run_soak(send, lambda: 7, requests, max_s=60)
    assert sorted(sent) == sorted(requests)
    assert count == 400
    assert samples
    assert set(samples) == {7}
    assert elapsed_s > 0


async def test_run_soak_stops_at_its_time_bound() -> None:
    async def send(text: str) -> None:
        await asyncio.sleep(0.05)

    _, elapsed_s, count = await soak.run_soak(send, lambda: 1, ["x"] * 10_000, max_s=0.3)
    assert count < 10_000
    assert elapsed_s < 2


async def test_run_soak_samples_only_after_its_warm_up() -> None:
    """RSS is read only once warm_up requests have been answered (here: rss() is that count)."""
    answered: list[str] = []

    async def send(text: str) -> None:
        await asyncio.sleep(0.001)
        answered.append(text)

    samples, _, count = await soak.run_soak(
        send, lambda: len(answered), [f"t{i}" for i in range(300)], max_s=60, warm_up=200
    )
    assert count == 300
    assert samples
    assert min(samples) >= 200


@settings(deadline=None)  # builds 400 texts per example: slow on a loaded machine, not wrong
@given(st.integers(1, 300))
def test_the_warm_up_ends_once_the_cache_could_be_full(entries: int) -> None:
    """requests_until_cache_full: the shortest prefix holding `entries` distinct sentences."""
    made = soak.texts(400)

    def distinct(prefix: list[str]) -> int:
        return len({s for text in prefix for s in re.split(r"(?<=\.) ", text)})

    count = soak.requests_until_cache_full(made, entries)
    assert distinct(made[:count]) >= entries
    assert distinct(made[: count - 1]) < entries


def test_a_full_cache_is_measured_bigger_with_more_entries() -> None:
    made = soak.texts(200)
    small, large = soak.cache_bytes_when_full(100, made), soak.cache_bytes_when_full(1000, made)
    assert 0 < small < large


# --- targets ---


def test_targets_of_each_kind_are_judged() -> None:
    results = {
        "service_sps": 10.0,
        "engine_sps": 10.0,
        "soak_growth_second_half_pct": 0.5,
        "frontend_growth_second_half_pct": 1.5,
        "replica_speedup_2": 1.7,
    }
    met = report.verdicts(results)
    assert met["service_sps"] is True
    assert met["soak_growth_second_half_pct"] is True
    assert met["frontend_growth_second_half_pct"] is False
    assert met["replica_speedup_2"] is False
    assert met["first_segment_s"] is None  # not measured


def test_the_frontend_bounds_are_read_from_its_settings() -> None:
    """The soak's report names the frontend's real bounds (make bench once crashed reading them)."""
    from frontend.config import Settings as FrontendSettings

    bounds = soak.frontend_bounds()
    assert bounds["frontend_bound_pending_saves"] == FrontendSettings().pending_max_items
    assert bounds["frontend_bound_db_connections"] >= 1
