"""SQL on the cluster's MySQL, as an operator runs it: `docker exec` into the task's container on
the db node, as root with the password from the task's own secret."""

from __future__ import annotations

from pathlib import Path

from tests.cluster.cluster import Cluster
from tests.cluster.tasks import stable_tasks
from tests.swarm.cli import run
from tests.swarm.stack import Stack

# The root password never appears on a command line: the container reads its own secret.
AS_ROOT = (
    'MYSQL_PWD="$(cat /run/secrets/mysql_root_password)" '
    "mysql -uroot --batch --skip-column-names translate"
)


def mysql_container(stack: Stack, cluster: Cluster) -> tuple[str, str]:
    """Return (node, container id) of the running MySQL task."""
    task = stable_tasks(stack.service("mysql"), 1, stable_s=2)[0]
    return task.node, task.container


def sql(stack: Stack, cluster: Cluster, statement: str) -> str:
    """Run one SQL statement in the translate database as root; return its output."""
    node, container = mysql_container(stack, cluster)
    return cluster.nodes[node].docker("exec", container, "sh", "-c", f'{AS_ROOT} -e "{statement}"')


def restore(stack: Stack, cluster: Cluster, dump: Path) -> None:
    """Feed an uncompressed SQL dump to the mysql client in the MySQL container."""
    node, container = mysql_container(stack, cluster)
    with dump.open("rb") as source:
        run(
            ["docker", "exec", "-i", container, "sh", "-c", AS_ROOT],
            env=cluster.nodes[node].docker_env(),
            stdin=source,
            timeout_s=300,
        )
