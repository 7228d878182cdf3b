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
        # dockerd's info lines (and the IPVS sysctls it misses in every namespace) are noise here.
        lines = [
            line
            for line in node.log_tail(2000).splitlines()
            if "level=info" not in line and "net.ipv4.vs." not in line
        ]
        tail = "\n".join(lines[-log_lines:])
        parts.append(f"===== last {log_lines} warnings and errors of {name}\n{tail}")
    return "\n".join(parts)
