"""What the simulated cluster is made of: its nodes, their roles, labels, GPUs and addresses."""

from __future__ import annotations

from dataclasses import dataclass

# One prefix for every namespace, so a leftover of an interrupted run is recognised as ours.
PREFIX = "utc-"
HUB_NETNS = f"{PREFIX}hub"
BRIDGE = "utcbr0"
# A private range that only exists inside the namespaces the test creates (no uplink anywhere).
SUBNET = "10.231.0"
PREFIX_LENGTH = 24
REGISTRY_NETNS = f"{PREFIX}registry"
REGISTRY_ADDRESS = f"{SUBNET}.5"
REGISTRY_PORT = 5000
REGISTRY = f"{REGISTRY_ADDRESS}:{REGISTRY_PORT}"
# Address pools of the engines' bridges and of the Swarm's overlays; also only inside the nodes.
ENGINE_ADDRESS_POOL = "10.240.0.0/16"
SWARM_ADDRESS_POOL = "10.232.0.0/16"


@dataclass(frozen=True)
class NodeSpec:
    """One node: a dockerd of its own in a network namespace of its own."""

    index: int
    manager: bool
    labels: tuple[str, ...] = ()
    gpus: int = 0

    @property
    def name(self) -> str:
        """Return the node's hostname (and Swarm node name)."""
        return f"node{self.index}"

    @property
    def netns(self) -> str:
        """Return the name of the node's network namespace."""
        return f"{PREFIX}{self.name}"

    @property
    def address(self) -> str:
        """Return the node's address on the cluster's network."""
        return f"{SUBNET}.{10 + self.index}"

    def gpu_ids(self) -> list[str]:
        """Return the fake NVIDIA GPU UUIDs the node advertises (named generic resources)."""
        return [
            f"GPU-{self.index:08d}-fake-{gpu:04d}-0000-000000000000" for gpu in range(self.gpus)
        ]


# Three managers (quorum survives one loss), the database pinned to one of them, and three GPU
# workers with one GPU each: two backends always run on two different nodes, a lost or drained
# node's backend has a free GPU to move to, a third replica fits and a fourth stays pending.
NODES = (
    NodeSpec(1, manager=True),
    NodeSpec(2, manager=True),
    NodeSpec(3, manager=True, labels=("db=true",)),
    NodeSpec(4, manager=False, labels=("gpu=true",), gpus=1),
    NodeSpec(5, manager=False, labels=("gpu=true",), gpus=1),
    NodeSpec(6, manager=False, labels=("gpu=true",), gpus=1),
)


def node(name: str) -> NodeSpec:
    """Return the spec of the node called name."""
    for spec in NODES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def managers() -> list[NodeSpec]:
    """Return the manager nodes, the first one initialising the Swarm."""
    return [spec for spec in NODES if spec.manager]


def gpu_nodes() -> list[NodeSpec]:
    """Return the nodes that advertise GPUs."""
    return [spec for spec in NODES if spec.gpus]
