"""make bench's replica scaling: Traefik 3.7 balances over the replicas with each strategy."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
import yaml
from benchmarks import replicas


@pytest.mark.parametrize("strategy", replicas.STRATEGIES)
def test_traefik_routes_with_each_strategy(backend_url: str, tmp_path: Path, strategy: str) -> None:
    """Traefik 3.7 accepts the strategy and balances over the servers (here one, twice)."""
    routes = yaml.safe_load(replicas.ROUTES.format(strategy=strategy, servers="          - url: x"))
    assert routes["http"]["services"]["backend"]["loadBalancer"]["strategy"] == strategy
    with replicas.traefik([backend_url, backend_url], strategy, tmp_path) as balancer:
        assert os.sched_getaffinity(balancer.pid) == {replicas.load_core()}
        response = httpx.post(
            f"{balancer.url}/v1/translate", json={"text": "Hallo Welt."}, timeout=30
        )
        assert response.status_code == 200
        assert response.json()["segments"] == 1
    log = (tmp_path / f"dynamic-{strategy}-2" / "traefik.log").read_text()
    assert "error" not in log.lower(), log


def test_pinned_runs_this_process_on_the_given_cores_then_restores_them() -> None:
    before = os.sched_getaffinity(0)
    with replicas.pinned({replicas.load_core()}):
        assert os.sched_getaffinity(0) == {replicas.load_core()}
    assert os.sched_getaffinity(0) == before


def test_cpu_seconds_count_the_work_a_process_does() -> None:
    """A busy loop of 0.2 s of CPU shows up in cpu_s (what the load_cores figure is made of).

    cpu_s reads the kernel's clock ticks (1/100 s each): two readings may each be a tick off.
    """
    before, started = replicas.cpu_s([os.getpid()]), time.process_time()
    while time.process_time() < started + 0.2:
        pass
    counted = replicas.cpu_s([os.getpid()]) - before
    spent = time.process_time() - started
    assert abs(counted - spent) <= 0.021, (counted, spent)


class _Sentences:
    """Distinct German sentences, as Workload hands them out (without its opus-mt tokenizer)."""

    def __init__(self) -> None:
        self.handed_out = 0

    def take(self, count: int) -> list[str]:
        start, self.handed_out = self.handed_out, self.handed_out + count
        return [f"Der Zug Nummer {start + i} kommt heute an." for i in range(count)]


def test_throughput_counts_the_segments_streamed_within_its_window(backend_url: str) -> None:
    """Every client streams; only segments that arrive inside the window count."""
    # A first translation loads the engine: on a loaded machine that alone can outlast a window.
    httpx.post(f"{backend_url}/v1/translate", json={"text": "Guten Morgen."}, timeout=60)
    sentences = _Sentences()
    sps, spread = asyncio.run(
        replicas.throughput_sps(backend_url, sentences, warm_s=0.5, window_s=3.0)
    )
    requests = sum(spread.values())
    assert requests >= replicas.CLIENTS
    assert sentences.handed_out == requests * replicas.SENTENCES_PER_REQUEST
    assert 0 < sps * 3.0 <= sentences.handed_out


def test_a_document_past_its_time_bound_gives_no_p95(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica runs' document phase is bounded: past DOCUMENT_MAX_S it reports None."""
    monkeypatch.setattr(replicas, "DOCUMENT_MAX_S", 0.01)
    assert asyncio.run(replicas.short_during_document_p95_s(backend_url, _Sentences())) is None
