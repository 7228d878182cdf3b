"""Backups: the stack's backup job dumps the database to the backups volume; after rows are
deleted, restoring the dump brings every one of them back."""

from __future__ import annotations

import gzip
import shutil
import time
from pathlib import Path

import httpx

from tests.cluster import database
from tests.cluster.cluster import Cluster, wait_until
from tests.cluster.deploy import BACKUP_VOLUME
from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.swarm.cli import docker
from tests.swarm.client import Translator, first_translation
from tests.swarm.stack import Stack

pytestmark = CLUSTER_MARKS

DB_NODE = "node3"


def dumps(cluster: Cluster) -> list[Path]:
    """Return the finished dumps in the backups volume on the db node's disk, oldest first."""
    folder = cluster.nodes[DB_NODE].dir / "data" / "volumes" / BACKUP_VOLUME / "_data"
    return sorted(folder.glob("translate-*.sql.gz"))


def ids(stack: Stack, cluster: Cluster) -> set[int]:
    """Return the ids of every saved translation."""
    return {int(v) for v in database.sql(stack, cluster, "SELECT id FROM translations").split()}


def saving_everywhere(base_url: str, attempts: int = 4) -> str | None:
    """Return None once several translations in a row are saved (Traefik spreads them)."""
    for _ in range(attempts):
        problem = first_translation(base_url)
        if problem is not None:
            return problem
    return None


def test_a_backup_restores_every_deleted_row(
    deployed: Stack,
    cluster: Cluster,
    entrypoints: dict[str, str],
    tmp_path: Path,
    cluster_summary: ClusterSummary,
) -> None:
    """Save rows, run the backup job, delete the rows, restore the dump: all rows are back."""
    with cluster_summary.check("backup, delete rows, restore") as figures:
        # MySQL may still be coming back from an earlier check: every frontend saving again.
        wait_until(
            "MySQL saving translations on every frontend",
            lambda: saving_everywhere(entrypoints["node1"]),
            timeout_s=300,
            interval_s=2,
        )
        with httpx.Client(timeout=120) as client:
            translator = Translator(client, entrypoints["node1"])
            for number in range(3):
                done = translator(f"Vor der Sicherung gespeichert, Nummer {number}.")["done"]
                assert done.get("saved") is True, f"not saved: {done}"
        before = ids(deployed, cluster)
        earlier = dumps(cluster)
        started = time.monotonic()
        docker("service", "update", "--detach", "--force", deployed.service("backup"))
        wait_until(
            "a new dump in the backups volume",
            lambda: None if len(dumps(cluster)) > len(earlier) else f"{len(earlier)} dumps",
            timeout_s=180,
            interval_s=1,
        )
        backup_s = time.monotonic() - started
        dump = dumps(cluster)[-1]
        deleted = sorted(before)[-3:]
        # Integer ids of our own rows, not user input.
        listed = ",".join(map(str, deleted))
        database.sql(deployed, cluster, f"DELETE FROM translations WHERE id IN ({listed})")  # noqa: S608
        after_delete = ids(deployed, cluster)
        assert not set(deleted) & after_delete, "the rows were not deleted"
        plain = tmp_path / "dump.sql"
        with gzip.open(dump, "rb") as source, plain.open("wb") as target:
            shutil.copyfileobj(source, target)
        database.restore(deployed, cluster, plain)
        restored = ids(deployed, cluster)
        figures.append(
            f"dump {dump.name} ({dump.stat().st_size} bytes) in {backup_s:.1f}s; "
            f"{len(before)} rows, {len(after_delete)} after deleting {len(deleted)}, "
            f"{len(restored)} after the restore"
        )
        assert restored == before, f"missing after the restore: {sorted(before - restored)}"
