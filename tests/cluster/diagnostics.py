"""What a failed cluster check attaches: the nodes, every service's tasks, the nodes' logs, and
the warnings and errors the stack's containers logged (which request broke where)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection

from tests.cluster.cluster import Cluster
from tests.swarm.cli import CommandError, run

# Containers whose logs say why a request failed; the keeper only sleeps.
LOGGED_SERVICES = ("frontend", "backend", "traefik")
CONTAINER_LOG_LINES = 3000


def diagnostics(cluster: Cluster, *, log_lines: int = 20, request_ids: Collection[str] = ()) -> str:
    """Return `docker node ls`, `docker service ps --no-trunc` of each service and node logs.

    request_ids: requests the failure names (a stalled load's); every container's lines that
    mention one are shown, at any level, so their trail across Traefik, frontend and backend
    shows where they wait.
    """
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
        parts.extend(container_problems(cluster, name, request_ids))
    return "\n".join(parts)


def container_problems(cluster: Cluster, name: str, request_ids: Collection[str] = ()) -> list[str]:
    """Return, per stack container on the node, its logged warnings, errors and failed requests,
    and its lines that mention one of request_ids."""
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
        logged = (result.stdout + result.stderr).splitlines()
        problems = [line for line in logged if is_problem(line)]
        # A flood of failed requests must not hide the few lines that say why (a provider error).
        own = [line for line in problems if not is_access_log(line)]
        failed = [line for line in problems if is_access_log(line)]
        body = "\n".join(own[-30:] + failed_requests_summary(failed) + failed[-15:]) or "(none)"
        parts.append(f"===== warnings, errors, failed requests of {name} {container_name}\n{body}")
        trail = lines_naming(logged, request_ids)
        if trail:
            shown = "\n".join(line[:600] for line in trail[-40:])
            parts.append(f"===== the named requests in {name} {container_name}\n{shown}")
    return parts


def failed_requests_summary(lines: list[str]) -> list[str]:
    """Return one line counting an access log's failed requests per status and router."""
    if not lines:
        return []
    counts: Counter[str] = Counter()
    for line in lines:
        entry = json.loads(line)
        counts[f"{entry.get('DownstreamStatus')} via {entry.get('RouterName') or 'no router'}"] += 1
    listed = ", ".join(f"{key} x{count}" for key, count in counts.most_common())
    return [f"({len(lines)} failed requests: {listed})"]


def lines_naming(lines: list[str], request_ids: Collection[str]) -> list[str]:
    """Return the lines that mention one of request_ids, as a whole id: the lines of request
    "load-…-12" are not those of request 120."""
    if not request_ids:
        return []
    named = re.compile(rf"\b(?:{'|'.join(map(re.escape, request_ids))})\b")
    return [line for line in lines if named.search(line)]


def is_access_log(line: str) -> bool:
    """Tell a line of Traefik's access log (one per request) from its own log lines."""
    return '"OriginStatus"' in line


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


def provider_inputs(cluster: Cluster, name: str, stack_name: str) -> str:
    """Return what node name's dockerd gives Traefik's swarm provider, and Traefik's own log.

    The provider lists the services, the tasks whose desired state is running, and the swarm
    networks, all through the local socket; then builds one router per service with tasks.
    """
    node = cluster.nodes[name]
    tasks = node.docker(
        "service", "ps", "--filter", "desired-state=running",
        "--format", "{{.Node}}:{{.CurrentState}}", f"{stack_name}_backend",
        check=False, timeout_s=20,
    ).replace("\n", "; ")  # fmt: skip
    networks = node.docker(
        "network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}",
        check=False, timeout_s=20,
    ).split()  # fmt: skip
    swarm_fields = "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.Error}}"
    swarm = node.docker("info", "--format", swarm_fields, check=False, timeout_s=20)
    return (
        f"backend tasks [{tasks}]; swarm networks {networks}; swarm {swarm}\n"
        f"    traefik's own log: {traefik_log(node, since='60s') or '(nothing)'}"
    )


def traefik_log(node, *, since: str) -> str:
    """Return Traefik's own log lines (not its access log) on node since a moment, joined."""
    names = node.docker("ps", "--format", "{{.Names}}", check=False, timeout_s=20).split()
    lines = []
    for container in (name for name in names if "_traefik." in name):
        result = run(
            ["docker", "logs", "--since", since, container],
            check=False,
            timeout_s=30,
            env=node.docker_env(),
        )
        for line in (result.stdout + result.stderr).splitlines():
            if not is_access_log(line):
                lines.append(line[:300])
    return "\n      ".join(lines[-15:])
