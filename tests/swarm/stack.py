"""Deploy the stack as a user would, wait for it by polling, explain failures, and tear it down."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.swarm.cli import CommandError, docker, run

logger = logging.getLogger(__name__)

STACK_LABEL = "com.docker.stack.namespace"
SERVICE_LABEL = "com.docker.swarm.service.name"


class ConvergenceError(AssertionError):
    """The stack did not reach the wanted state in time; the message says what was missing."""


@dataclass
class Stack:
    """A deployed stack: its name, how it was deployed, and the secrets created for it."""

    name: str
    repo_root: Path
    compose_files: Sequence[Path]
    env: Mapping[str, str]
    base_url: str
    secrets: list[str] = field(default_factory=list)
    create_output: str = ""
    # The admin login for /query, /history and /traefik/: what create.sh printed, or rotated to.
    admin_login: tuple[str, str] = ("", "")

    def service(self, short_name: str) -> str:
        """Return the full Swarm name of one of the stack's services (e.g. backend)."""
        return f"{self.name}_{short_name}"


def secret_names() -> set[str]:
    """Return the names of every Swarm secret."""
    return set(docker("secret", "ls", "--format", "{{.Name}}").split())


def create_secrets(stack: Stack) -> None:
    """Run secrets/create.sh as a user would; remember which secrets it created."""
    before = secret_names()
    result = run(
        ["bash", str(stack.repo_root / "secrets" / "create.sh")],
        env=stack.env,
        cwd=stack.repo_root,
        timeout_s=120,
    )
    stack.create_output = result.stdout + result.stderr
    stack.admin_login = printed_admin_login(stack.create_output)
    stack.secrets = sorted(secret_names() - before)


def printed_admin_login(output: str) -> tuple[str, str]:
    """Return the admin user and password secrets/create.sh printed, or empty strings."""
    user = re.search(r"^\s*user:\s*(\S+)\s*$", output, re.MULTILINE)
    password = re.search(r"^\s*password:\s*(\S+)\s*$", output, re.MULTILINE)
    return (user.group(1), password.group(1)) if user and password else ("", "")


def deploy(stack: Stack) -> None:
    """Run `docker stack deploy` with the stack's compose files and variables."""
    files = [part for path in stack.compose_files for part in ("-c", str(path))]
    run(
        ["docker", "stack", "deploy", *files, stack.name],
        env=stack.env,
        cwd=stack.repo_root,
        timeout_s=300,
    )


def services_of(stack_name: str) -> list[str]:
    """Return the names of the services of the stack called stack_name."""
    label = f"label={STACK_LABEL}={stack_name}"
    return sorted(docker("service", "ls", "--filter", label, "--format", "{{.Name}}").split())


def services(stack: Stack) -> list[str]:
    """Return the names of the stack's services."""
    return services_of(stack.name)


def replicas(service: str) -> tuple[int, int]:
    """Return (running, desired) tasks of a replicated service; running tasks passed health."""
    fields = "{{.Name}} {{.Replicas}}"
    raw = docker("service", "ls", "--filter", f"name={service}", "--format", fields)
    for line in raw.splitlines():
        name, counts = line.split(maxsplit=1)
        if name == service:
            running, desired = counts.split()[0].split("/")
            return int(running), int(desired)
    raise ConvergenceError(f"service {service} does not exist")


def update_status(service: str) -> dict:
    """Return the service's UpdateStatus (State, StartedAt, ...), empty if never updated."""
    raw = docker("service", "inspect", "--format", "{{json .UpdateStatus}}", service)
    return (json.loads(raw) if raw and raw != "null" else None) or {}


def update_state(service: str) -> str:
    """Return the state of the service's last update (updating, completed, rollback_completed)."""
    return update_status(service).get("State", "")


def wait_for(
    what: str, check: Callable[[], str | None], *, timeout_s: float, interval_s: float = 1.0
) -> float:
    """Poll check() (None when satisfied, else what is missing); return the seconds it took."""
    start = time.monotonic()
    missing = "never checked"
    while time.monotonic() - start < timeout_s:
        try:
            missing = check()
        except CommandError as error:
            missing = str(error)
        if missing is None:
            return time.monotonic() - start
        time.sleep(interval_s)
    raise ConvergenceError(f"{what} not reached within {timeout_s:.0f}s: {missing}")


def converged(stack: Stack, expected: Sequence[str]) -> str | None:
    """Return None when every expected service runs all its desired, healthy tasks."""
    present = services(stack)
    for short_name in expected:
        service = stack.service(short_name)
        if service not in present:
            return f"{service} is not deployed"
        running, desired = replicas(service)
        if running != desired:
            return f"{service} has {running}/{desired} tasks running and healthy"
        if update_state(service) in {"updating", "rollback_started", "paused"}:
            return f"{service} is still updating"
    return None


def task_containers(service: str) -> list[str]:
    """Return the ids of the running containers of a service on this node."""
    raw = docker("ps", "--quiet", "--filter", f"label={SERVICE_LABEL}={service}")
    return raw.split()


def service_containers(service: str) -> list[str]:
    """Return the ids of every container of a service on this node, stopped ones included."""
    return docker("ps", "--all", "--quiet", "--filter", f"label={SERVICE_LABEL}={service}").split()


def container_logs(container: str, *, tail: int | None = None) -> str:
    """Return a container's output (stdout and stderr), or why it could not be read."""
    args = ["docker", "logs", *(["--tail", str(tail)] if tail else []), container]
    try:
        result = run(args, check=False, timeout_s=60)
    except CommandError as error:
        return f"(logs unavailable: {error})"
    return result.stdout + result.stderr


def diagnostics(stack: Stack, *, log_lines: int = 60) -> str:
    """Return `docker service ps --no-trunc` and the last log lines of every service.

    Reads each task container's log: `docker service logs` of the 20.10 engine can hang.
    """
    parts = []
    try:
        names = services(stack)
    except CommandError as error:
        return f"(cannot list the services: {error})"
    for service in names:
        try:
            ps = run(["docker", "service", "ps", "--no-trunc", service], check=False)
            parts.append(f"===== docker service ps --no-trunc {service}\n{ps.stdout}{ps.stderr}")
            for container in service_containers(service)[:4]:
                logs = container_logs(container, tail=log_lines)
                parts.append(f"===== last {log_lines} log lines of {service} {container[:12]}")
                parts.append(logs)
        except CommandError as error:
            parts.append(f"(diagnostics of {service} incomplete: {error})")
    return "\n".join(parts)


def stack_leftovers(name: str) -> str | None:
    """Return None once no container or network of the stack is left."""
    containers = docker("ps", "-aq", "--filter", f"label={STACK_LABEL}={name}")
    networks = docker("network", "ls", "-q", "--filter", f"label={STACK_LABEL}={name}")
    if containers or networks:
        return f"containers {containers.split()} networks {networks.split()} remain"
    return None


def remove_leftovers(name: str) -> None:
    """Remove the services, networks, secrets, configs and volumes of the stack called name."""
    docker("stack", "rm", name, check=False, timeout_s=120)

    def leftovers() -> str | None:
        # A replicated-job's finished task (the backup) leaves an exited container that Docker
        # 20.10 keeps after its service is removed: nothing runs in it, so remove it here.
        stopped = docker(
            "ps", "-aq", "--filter", f"label={STACK_LABEL}={name}", "--filter", "status=exited"
        )
        for container in stopped.split():
            docker("rm", container, check=False)
        return stack_leftovers(name)

    wait_for("stack removal", leftovers, timeout_s=180)
    volumes = docker("volume", "ls", "-q", "--filter", f"label={STACK_LABEL}={name}")
    for volume in volumes.split():
        docker("volume", "rm", volume, check=False)


def teardown(stack: Stack) -> None:
    """Remove the stack, its volumes, and any secret create.sh made outside the stack file."""
    remove_leftovers(stack.name)
    for secret in stack.secrets:
        docker("secret", "rm", secret, check=False)
