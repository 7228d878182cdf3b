"""Where the stack's tasks run, read from a manager, and waiting for a placement to settle.

GPU placement churns before it settles: the scheduler over-assigns generic resources and Swarm
rejects the extra tasks, several times, and after node events it may restart a running GPU task.
So placement is read only once the same tasks have been running for a while, never once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from tests.swarm.cli import docker
from tests.swarm.stack import ConvergenceError


@dataclass(frozen=True)
class Task:
    """A running task: its id, its node, the GPUs Swarm assigned to it, and its container."""

    id: str
    node: str
    gpus: tuple[str, ...]
    container: str = ""

    @property
    def hostname(self) -> str:
        """Return the container's hostname (Docker's default: the id's first 12 characters)."""
        return self.container[:12]


def running_tasks(service: str) -> list[Task]:
    """Return the service's tasks that run now (desired and current state running)."""
    ids = docker(
        "service", "ps", "--quiet", "--no-trunc", "--filter", "desired-state=running", service
    ).split()
    if not ids:
        return []
    raw = docker("inspect", "--type", "task", "--format", "{{json .}}", *ids)
    tasks = []
    for line in raw.splitlines():
        task = json.loads(line)
        if task["Status"]["State"] != "running":
            continue
        # The API names swarmkit's AssignedGenericResources just GenericResources.
        assigned = task.get("GenericResources") or []
        gpus = tuple(
            sorted(r["NamedResourceSpec"]["Value"] for r in assigned if "NamedResourceSpec" in r)
        )
        container = (task["Status"].get("ContainerStatus") or {}).get("ContainerID", "")
        tasks.append(Task(task["ID"], node_name(task["NodeID"]), gpus, container))
    return sorted(tasks, key=lambda task: task.id)


_node_names: dict[str, str] = {}


def node_name(node_id: str) -> str:
    """Return the hostname of a node id (cached: ids never change names)."""
    if node_id not in _node_names:
        _node_names[node_id] = docker(
            "node", "inspect", "--format", "{{.Description.Hostname}}", node_id
        )
    return _node_names[node_id]


def pending_tasks(service: str) -> int:
    """Return how many of the service's tasks wait for a node (no suitable node, no free GPU)."""
    states = docker(
        "service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}",
        service,
    ).splitlines()  # fmt: skip
    return sum(1 for state in states if state.startswith("Pending"))


#: GPU placement churns for seconds after a change, so a check that changes something ends by
#: waiting for a state stable this long (stable_tasks' default); the next check starts by
#: confirming that state, for which a shorter look is enough.
CHANGE_STABLE_S = 10.0
START_STABLE_S = 3.0


def stable_tasks(
    service: str, count: int, *, stable_s: float = CHANGE_STABLE_S, timeout_s: float = 300.0
) -> list[Task]:
    """Wait until exactly count tasks run and the same ones keep running for stable_s."""
    deadline = time.monotonic() + timeout_s
    last: list[Task] = []
    since = time.monotonic()
    while time.monotonic() < deadline:
        tasks = running_tasks(service)
        if tasks != last:
            last, since = tasks, time.monotonic()
        elif len(tasks) == count and time.monotonic() - since >= stable_s:
            return tasks
        time.sleep(1.0)
    raise ConvergenceError(
        f"{service}: no stable set of {count} running tasks within {timeout_s:.0f}s: {last}"
    )
