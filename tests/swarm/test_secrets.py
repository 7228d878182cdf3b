"""Secrets stay secret: never in service specs, container environments, or service logs."""

from __future__ import annotations

import pytest

from tests.swarm.cli import docker, run
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import (
    Stack,
    container_logs,
    service_containers,
    services,
    task_containers,
)

pytestmark = SWARM_MARKS


def secret_values(stack: Stack, admin_credentials: tuple[str, str]) -> dict[str, str]:
    """Return every secret value the stack was deployed with, by name."""
    folder = stack.repo_root / "secrets"
    values = {
        path.name: path.read_text().strip()
        for path in folder.iterdir()
        if path.is_file() and not path.suffix
    }
    values["admin password"] = admin_credentials[1]
    assert len(values) >= 5, f"expected the stack's secret files, found {sorted(values)}"
    return values


def leaks(text: str, values: dict[str, str]) -> list[str]:
    """Return the names of the secrets whose value appears in text."""
    return [name for name, value in values.items() if value and value in text]


@pytest.fixture
def secrets(deployed: Stack, admin_credentials: tuple[str, str]) -> dict[str, str]:
    """The secret values to look for."""
    return secret_values(deployed, admin_credentials)


def test_no_secret_in_service_inspect(deployed: Stack, secrets: dict[str, str]) -> None:
    """`docker service inspect` of every service shows no secret value."""
    for service in services(deployed):
        found = leaks(docker("service", "inspect", service), secrets)
        assert not found, f"docker service inspect {service} shows {found}"


def test_no_secret_in_any_container_environment(deployed: Stack, secrets: dict[str, str]) -> None:
    """Neither a container's configured environment nor its main process's holds a secret."""
    for service in services(deployed):
        for container in task_containers(service):
            config_env = docker("inspect", "--format", "{{json .Config.Env}}", container)
            # Root can read every process's environment; the entrypoint may have exported more.
            process_env = run(
                ["docker", "exec", "-u", "0", container, "cat", "/proc/1/environ"], check=False
            ).stdout
            found = leaks(config_env + process_env, secrets)
            assert not found, f"{service} container {container[:12]}'s environment holds {found}"


def test_no_secret_in_any_service_log(deployed: Stack, secrets: dict[str, str]) -> None:
    """The logs of every task of every service, since its start, show no secret value."""
    for service in services(deployed):
        containers = service_containers(service)
        assert containers, f"{service} has no container to read logs from"
        for container in containers:
            found = leaks(container_logs(container), secrets)
            assert not found, f"the logs of {service} ({container[:12]}) show {found}"
