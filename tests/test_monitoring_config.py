"""Monitoring configuration: Prometheus' config and alert rules pass promtool (syntax and the
alerts' unit tests), discovery matches the stack's services, networks and ports, and the Grafana
dashboard is well formed and charts only metrics the services really publish."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from backend.metrics import Metrics as BackendMetrics
from frontend.metrics import Metrics as FrontendMetrics
from prometheus_client import CollectorRegistry

from testkit.servers import REPO_ROOT

MONITORING = REPO_ROOT / "monitoring"
DASHBOARD = MONITORING / "grafana" / "translation-dashboard.json"
STACK_NAME = "translate"
# Traefik's own series the rules and the dashboard use (Traefik v3 metrics reference).
TRAEFIK_METRICS = {"traefik_entrypoint_requests_total"}
METRIC_NAME = re.compile(r"\b((?:translation|traefik)_[a-z_]+|up)\b")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run Debian's promtool (package prometheus, installed by scripts/system-deps.sh)."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: run `make system-deps` (installs Debian's prometheus)")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)


def rendered_config(tmp_path: Path) -> Path:
    """Render prometheus.yml as Swarm's template driver does, pointing at the repo's rules.

    The Swarm secrets it reads (/run/secrets/...) are stand-in files under tmp_path: promtool
    refuses a credentials file that does not exist.
    """
    text = (MONITORING / "prometheus.yml").read_text()
    text = text.replace('{{ env "STACK_NAME" }}', STACK_NAME)
    text = text.replace("/etc/prometheus/alerts.yml", str(MONITORING / "alerts.yml"))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in re.findall(r"/run/secrets/([\w.-]+)", text):
        (secrets / name).write_text("stand-in")
    text = text.replace("/run/secrets/", f"{secrets}/")
    path = tmp_path / "prometheus.yml"
    path.write_text(text)
    return path


SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def published_metrics() -> set[str]:
    """Return every series name the backend and frontend can expose (their metrics modules)."""
    backend = BackendMetrics(CollectorRegistry())

    class Cache:
        hits = 0
        misses = 0

    backend.watch_cache(Cache())
    names = set()
    for registry in (backend.registry, FrontendMetrics().registry):
        for family in registry.collect():
            names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    """`promtool check config` accepts the rendered configuration and its rule file."""
    result = promtool("check", "config", str(rendered_config(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    """`promtool check rules` and `promtool test rules` (alerts.test.yml) both succeed."""
    check = promtool("check", "rules", str(MONITORING / "alerts.yml"))
    assert check.returncode == 0, check.stdout + check.stderr
    unit = promtool("test", "rules", str(MONITORING / "alerts.test.yml"))
    assert unit.returncode == 0, unit.stdout + unit.stderr


def test_the_issue_asks_for_these_alerts() -> None:
    """Backend down, p95 latency, queue depth, 5xx ratio and MySQL down each have a rule."""
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    wanted = {"BackendDown", "BackendLatencyHigh", "BackendQueueDeep", "HighServerErrorRatio"}
    assert wanted | {"MySQLDown"} <= names


def test_discovery_keeps_each_service_on_a_network_it_is_on_at_its_port() -> None:
    """Every job's service exists in stack.yml, is on the named network, and listens there."""
    stack = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    ports = {"backend": "8001", "frontend": "8002", "traefik": "8082"}
    for job in config["scrape_configs"]:
        keep = next(
            r
            for r in job["relabel_configs"]
            if r.get("source_labels", [None])[0] == "__meta_dockerswarm_service_name"
        )
        rendered = keep["regex"].replace('{{ env "STACK_NAME" }}_', "")
        service, network = rendered.split(";")
        assert service == job["job_name"]
        assert network in stack["services"][service]["networks"], (service, network)
        address = next(r for r in job["relabel_configs"] if r.get("target_label") == "__address__")
        assert address["replacement"].endswith(":" + ports[service])
    labels = " ".join(stack["services"]["backend"]["deploy"]["labels"])
    assert "loadbalancer.server.port=8001" in labels
    assert '":8082"' in json.dumps(
        yaml.safe_load((REPO_ROOT / "traefik" / "traefik.yml").read_text())["entryPoints"]
    )


def mounted_secrets(service: dict) -> dict[str, str]:
    """Return a stack service's secrets: the path it reads each from -> the stack's secret."""
    return {
        f"/run/secrets/{entry.get('target', entry['source'])}": entry["source"]
        for entry in service.get("secrets", [])
    }


def test_the_frontend_job_sends_the_token_the_frontends_check() -> None:
    """Prometheus' frontend job sends, as a bearer token, the secret the frontends read as
    METRICS_TOKEN_FILE, from a path the stack mounts it at; no other job is given it."""
    stack = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    authorization = jobs["frontend"]["authorization"]
    assert authorization.get("type", "Bearer") == "Bearer"
    sent = mounted_secrets(stack["services"]["prometheus"])[authorization["credentials_file"]]
    frontend = stack["services"]["frontend"]
    checked = mounted_secrets(frontend)[frontend["environment"]["METRICS_TOKEN_FILE"]]
    assert sent == checked == "metrics_token"
    assert stack["secrets"][sent]["file"] == "./secrets/metrics_token"
    assert [name for name, job in jobs.items() if "authorization" in job] == ["frontend"]
    # The scrape token is not the operator's password: Prometheus is given no users file.
    assert "basic_auth_users" not in mounted_secrets(stack["services"]["prometheus"]).values()


def test_dashboard_is_well_formed() -> None:
    """Unique panel ids, a grid position each, every target a PromQL expression with a refId."""
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"], "the dashboard has no uid"
    assert dashboard["title"], "the dashboard has no title"
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels), "duplicate panel ids"
    for panel in panels:
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys(), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], f"{panel['title']} charts nothing"
        for target in panel["targets"]:
            assert target["refId"], panel["title"]
            assert target["expr"].strip(), panel["title"]


def test_dashboard_charts_what_the_issue_asks_for() -> None:
    """Throughput, latency, queue depth, batch sizes, cache hit ratio and replicas per node."""
    titles = " ".join(p["title"].lower() for p in json.loads(DASHBOARD.read_text())["panels"])
    for topic in ("throughput", "latency", "queue depth", "batch size", "cache hit", "per node"):
        assert topic in titles, f"no panel about {topic}"


def test_rules_and_dashboard_use_only_published_metrics() -> None:
    """Every series named in the rules and the dashboard is one the services or Traefik expose."""
    known = published_metrics() | TRAEFIK_METRICS | {"up"}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in METRIC_NAME.findall(expr)}
    assert used - known == set(), f"unknown series {sorted(used - known)}"
