"""make bench's replica scaling: Traefik 3.7 balances over the replicas with each strategy."""

from __future__ import annotations

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
    """A busy loop of 0.2 s of CPU shows up in cpu_s (what the load_cores figure is made of)."""
    before = replicas.cpu_s([os.getpid()])
    spin_until = time.process_time() + 0.2
    while time.process_time() < spin_until:
        pass
    assert replicas.cpu_s([os.getpid()]) - before >= 0.19
