"""A real Prometheus scrapes a real frontend with the stack's frontend job's `authorization`.

monitoring/prometheus.yml finds the frontends through the Swarm API; here its frontend job's
authorization block is kept as written (only the secret's path is the test's) and the target is
a `python -m frontend` on loopback. The same Prometheus scrapes the same frontend once more
without it: that target must be down with a 401, so "up" really is the token's doing.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import bcrypt
import httpx
import pytest
import yaml

from testkit.fixtures import TEST_OUTPUT
from testkit.servers import LOOPBACK, ServerProcess, free_port, python_module, sqlite_frontend_env

MONITORING_CONFIG = Path(__file__).resolve().parents[1] / "monitoring" / "prometheus.yml"
TOKEN = "f00d" * 16
SCRAPE_WAIT_S = 60.0

# Two processes and a few scrapes: about 8 s.
pytestmark = pytest.mark.slow


def frontend_job_authorization() -> dict[str, str]:
    """Return the frontend job's authorization block of monitoring/prometheus.yml."""
    jobs = yaml.safe_load(MONITORING_CONFIG.read_text())["scrape_configs"]
    return next(job for job in jobs if job["job_name"] == "frontend")["authorization"]


def prometheus_config(target: str, secrets: Path) -> dict:
    """Two static jobs on one target: the stack's authorization block, and none."""
    authorization = dict(frontend_job_authorization())
    name = Path(authorization["credentials_file"]).name
    (secrets / name).write_text(TOKEN)
    authorization["credentials_file"] = str(secrets / name)
    static = [{"targets": [target]}]
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {"job_name": "with-token", "authorization": authorization, "static_configs": static},
            {"job_name": "without-token", "static_configs": static},
        ],
    }


def targets_by_job(prometheus_url: str) -> dict[str, dict]:
    response = httpx.get(f"{prometheus_url}/api/v1/targets?state=active", timeout=5)
    response.raise_for_status()
    return {t["labels"]["job"]: t for t in response.json()["data"]["activeTargets"]}


def scraped_both(prometheus_url: str) -> dict[str, dict] | None:
    """Return the targets once both jobs have been scraped at least once."""
    targets = targets_by_job(prometheus_url)
    if len(targets) == 2 and all(t["health"] != "unknown" for t in targets.values()):
        return targets
    return None


def test_prometheus_scrapes_the_frontend_with_the_stack_token(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: run `make system-deps` (installs Debian's prometheus)")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    token_file = secrets / "frontend_token"
    token_file.write_text(TOKEN)
    # An operator account, as in the stack: without one /metrics would be off (503), not 401.
    users = tmp_path / "admin_users"
    hashed = bcrypt.hashpw(b"an operator's password", bcrypt.gensalt(rounds=4)).decode()
    users.write_text(f"operator:{hashed}\n")
    env = sqlite_frontend_env(
        f"http://{LOOPBACK}:{free_port()}",
        tmp_path / "translations.db",
        {"METRICS_TOKEN_FILE": str(token_file), "ADMIN_USERS_FILE": str(users)},
    )
    logs = TEST_OUTPUT / "logs"
    frontend_port = free_port()
    with python_module(
        "frontend",
        port=frontend_port,
        ready_path="/healthz",
        log_path=logs / "frontend-scraped.log",
        env=env,
    ):
        config = tmp_path / "prometheus.yml"
        config.write_text(yaml.safe_dump(prometheus_config(f"{LOOPBACK}:{frontend_port}", secrets)))
        web_port = free_port()
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address={LOOPBACK}:{web_port}",
        ]
        prometheus_url = f"http://{LOOPBACK}:{web_port}"
        with ServerProcess(
            argv,
            ready_url=f"{prometheus_url}/-/ready",
            log_path=logs / "prometheus-scrape.log",
            ready_timeout_s=60.0,
        ):
            deadline = time.monotonic() + SCRAPE_WAIT_S
            targets = None
            while targets is None and time.monotonic() < deadline:
                targets = scraped_both(prometheus_url)
                time.sleep(0.5)
    assert targets is not None, f"Prometheus scraped nothing within {SCRAPE_WAIT_S:.0f} s"
    assert targets["with-token"]["health"] == "up", targets["with-token"]["lastError"]
    assert targets["without-token"]["health"] == "down"
    assert "401" in targets["without-token"]["lastError"]
