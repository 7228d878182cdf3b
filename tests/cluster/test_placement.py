"""Placement: every task runs where the node labels say, and pulled its image by digest."""

from __future__ import annotations

from collections import Counter

from tests.cluster.cluster import Cluster
from tests.cluster.host_images import PushedImages
from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.tasks import running_tasks, stable_tasks
from tests.cluster.topology import gpu_nodes, managers, node
from tests.swarm.cli import docker
from tests.swarm.stack import Stack

pytestmark = CLUSTER_MARKS


def test_tasks_run_where_the_labels_say(deployed: Stack, cluster_summary: ClusterSummary) -> None:
    """Backends on GPU nodes, one distinct GPU each; MySQL on the db node; Traefik on managers."""
    with cluster_summary.check("placement by labels") as figures:
        backends = stable_tasks(deployed.service("backend"), 2)
        for task in backends:
            spec = node(task.node)
            assert spec.gpus, f"a backend runs on {task.node}, which has no GPU"
            assert len(task.gpus) == 1, f"backend task on {task.node} got GPUs {task.gpus}"
            assert set(task.gpus) <= set(spec.gpu_ids()), (
                f"{task.node}'s backend got {task.gpus}, not one of the node's own GPUs"
            )
        assigned = [gpu for task in backends for gpu in task.gpus]
        assert len(set(assigned)) == len(assigned), f"two backends share a GPU: {assigned}"
        mysql = stable_tasks(deployed.service("mysql"), 1, stable_s=2)
        db_nodes = [
            spec.name for spec in map(node, [t.node for t in mysql]) if "db=true" in spec.labels
        ]
        assert db_nodes == [mysql[0].node], f"MySQL runs on {mysql[0].node}, not on the db node"
        traefik = stable_tasks(deployed.service("traefik"), len(managers()), stable_s=2)
        on = Counter(task.node for task in traefik)
        assert sorted(on) == sorted(spec.name for spec in managers()), f"Traefik runs on {on}"
        assert set(on.values()) == {1}, f"more than one Traefik on a manager: {on}"
        figures.append(f"backends {sorted((t.node, t.gpus[0][-17:-13]) for t in backends)}")
        figures.append(f"mysql on {mysql[0].node}, traefik on {sorted(on)}")
        figures.append(f"GPU nodes {[spec.name for spec in gpu_nodes()]}")


def test_every_node_pulled_by_digest_what_it_runs(
    deployed: Stack,
    cluster: Cluster,
    pushed_images: PushedImages,
    cluster_summary: ClusterSummary,
) -> None:
    """Services pin the pushed digests; each node holds the digest of every task it runs."""
    with cluster_summary.check("images pulled by digest from the cluster's registry") as figures:
        pushed = set(pushed_images.digests.values())
        wanted: dict[str, set[str]] = {name: set() for name in cluster.nodes}
        for short in ("traefik", "mysql", "backend", "frontend"):
            service = deployed.service(short)
            image = docker(
                "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
                service,
            )  # fmt: skip
            digest = image.partition("@")[2]
            assert digest in pushed, f"{short} runs {image}, not a digest the test pushed"
            for task in running_tasks(service):
                wanted[task.node].add(digest)
        held = {}
        for name, member in cluster.nodes.items():
            local = set(
                member.docker("image", "ls", "--digests", "--format", "{{.Digest}}").split()
            )
            missing = wanted[name] - local
            assert not missing, f"{name} runs tasks of {missing} without holding those images"
            held[name] = len(local & pushed)
        figures.append(f"pushed digests {len(pushed)}, images pulled per node {held}")
