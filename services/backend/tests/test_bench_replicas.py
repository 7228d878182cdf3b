"""make bench's replica scaling: Traefik 3.7 balances over the replicas with each strategy."""

from __future__ import annotations

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
    with replicas.traefik([backend_url, backend_url], strategy, tmp_path) as url:
        response = httpx.post(f"{url}/v1/translate", json={"text": "Hallo Welt."}, timeout=30)
        assert response.status_code == 200
        assert response.json()["segments"] == 1
    log = (tmp_path / f"dynamic-{strategy}-2" / "traefik.log").read_text()
    assert "error" not in log.lower(), log
