"""What a failed cluster check attaches: the nodes, every service's tasks, the nodes' logs."""

from __future__ import annotations

from tests.cluster.cluster import Cluster
from tests.swarm.cli import CommandError


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
        parts.append(f"===== last {log_lines} lines of {name}'s log\n{node.log_tail(log_lines)}")
    return "\n".join(parts)
