"""How many batches an engine runs side by side, and how many CPU threads each one gets.

On CPU, CTranslate2 runs best with one single-threaded worker per core: intra-op threads pay for
their synchronisation at every decoding step, independent batches do not (`make bench` measures
both). ENGINE_WORKERS and CPU_THREADS override the split; the scheduler keeps one batch in flight
per worker.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

#: Where cgroup v2 publishes the CPU quota a container runs under (Swarm's `limits.cpus`).
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass(frozen=True)
class Parallelism:
    """Batches run at once (workers) and the threads each of them computes with."""

    workers: int
    threads_per_worker: int


def available_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Return the cores this process may use: its CPU affinity, bounded by a cgroup quota."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cgroup_quota(cpu_max)
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


def plan(*, device: str, cpus: int, workers: int = 0, threads_per_worker: int = 0) -> Parallelism:
    """Return the split for ENGINE_WORKERS and CPU_THREADS (0: automatic) on a resolved device.

    Automatic: on CPU one worker per core, the cores shared evenly among the workers; on a GPU one
    worker (more CUDA streams seldom raise throughput, CTranslate2's documentation says).
    """
    chosen_workers = workers or (cpus if device == "cpu" else 1)
    return Parallelism(chosen_workers, threads_per_worker or max(1, cpus // chosen_workers))


def _cgroup_quota(cpu_max: Path) -> float | None:
    """Return cpu.max's quota in cores ("200000 100000" is 2.0), or None when unlimited/absent."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None
