"""What a failed cluster check attaches: the nodes, every service's tasks, the nodes' logs, and
the warnings and errors the stack's containers logged (which request broke where)."""

from __future__ import annotations

import json

from tests.cluster.cluster import Cluster
from tests.swarm.cli import CommandError, run

# Containers whose logs say why a request failed; the keeper only sleeps.
LOGGED_SERVICES = ("frontend", "backend", "traefik")
CONTAINER_LOG_LINES = 3000


def diagnostics(cluster: Cluster, *, log_lines: int = 20) -> str:
    """Return `docker node ls`, `docker service ps --no-trunc` of each service and node logs."""
    parts = []
    try:
        manager = cluster.manager()
        parts.append("===== docker node ls\n" + manager.docker("node", "ls", check=False))
        for service in manager.docker("service", "ls", "--format", "{{.Name}}").split():
            ps = manager.docker("service", "ps", "--no-trunc", service, check=False)
            parts.append(f"===== docker service ps --no-trunc {service}\n{ps}")
    except (CommandError, RuntimeError) as error:
        parts.append(f"(Swarm state unavailable: {error})")
    for name, node in cluster.nodes.items():
        # dockerd's info lines (and the IPVS sysctls it misses in every namespace) are noise here.
        lines = [
            line
            for line in node.log_tail(2000).splitlines()
            if "level=info" not in line and "net.ipv4.vs." not in line
        ]
        tail = "\n".join(lines[-log_lines:])
        parts.append(f"===== last {log_lines} warnings and errors of {name}\n{tail}")
        parts.extend(container_problems(cluster, name))
    return "\n".join(parts)


def container_problems(cluster: Cluster, name: str) -> list[str]:
    """Return, per stack container on the node, its logged warnings, errors and failed requests."""
    node = cluster.nodes[name]
    if not node.running():
        return []
    parts = []
    try:
        rows = node.docker("ps", "-a", "--format", "{{.ID}} {{.Names}}", timeout_s=20)
    except CommandError as error:
        return [f"(containers of {name} unavailable: {error})"]
    for row in rows.splitlines():
        container, _, container_name = row.partition(" ")
        if not any(f"_{service}." in container_name for service in LOGGED_SERVICES):
            continue
        try:
            # The services log JSON lines to stderr: both streams, not just stdout.
            result = run(
                ["docker", "logs", "--tail", str(CONTAINER_LOG_LINES), container],
                check=False,
                timeout_s=30,
                env=node.docker_env(),
            )
        except CommandError as error:
            parts.append(f"(logs of {container_name} unavailable: {error})")
            continue
        problems = [
            line for line in (result.stdout + result.stderr).splitlines() if is_problem(line)
        ]
        body = "\n".join(problems[-40:]) or "(none)"
        parts.append(f"===== warnings, errors, failed requests of {name} {container_name}\n{body}")
    return parts


def is_problem(line: str) -> bool:
    """Tell whether a JSON log line is a warning, an error or a proxied request that failed."""
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    if not isinstance(entry, dict):
        return False
    level = str(entry.get("level", "")).lower()
    if level in {"warning", "warn", "error", "critical", "fatal"}:
        return True
    # Traefik's access log: an answer cut or refused upstream (OriginStatus 0) or a 5xx.
    if "OriginStatus" in entry:
        return (
            entry.get("OriginStatus") in (0, None) or int(entry.get("DownstreamStatus", 0)) >= 500
        )
    return False
