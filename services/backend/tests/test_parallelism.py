"""How the engine's work is split into workers and threads (ENGINE_WORKERS, CPU_THREADS)."""

from __future__ import annotations

import os

import pytest
from backend.engines.parallelism import Parallelism, available_cpus, plan


def test_on_cpu_each_core_gets_a_single_threaded_worker() -> None:
    assert plan(device="cpu", cpus=2) == Parallelism(workers=2, threads_per_worker=1)
    assert plan(device="cpu", cpus=16) == Parallelism(workers=16, threads_per_worker=1)


def test_a_gpu_gets_one_worker() -> None:
    assert plan(device="cuda", cpus=8) == Parallelism(workers=1, threads_per_worker=8)


def test_set_workers_share_the_cores_and_set_threads_are_kept() -> None:
    assert plan(device="cpu", cpus=8, workers=2) == Parallelism(2, 4)
    assert plan(device="cpu", cpus=2, workers=1) == Parallelism(1, 2)  # the old single batch
    assert plan(device="cpu", cpus=2, workers=4) == Parallelism(4, 1)  # never zero threads
    assert plan(device="cpu", cpus=8, workers=2, threads_per_worker=3) == Parallelism(2, 3)


AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("max 100000\n", AFFINITY),  # no quota
        ("50000 100000\n", 1),  # half a core still gets one worker
        ("100000 100000\n", 1),
        (f"{(AFFINITY + 4) * 100000} 100000\n", AFFINITY),  # a quota above the cores we have
        ("garbage", AFFINITY),
    ],
)
def test_available_cpus_honours_a_cgroup_quota(tmp_path, cpu_max: str, expected: int) -> None:
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    assert available_cpus(path) == expected


def test_available_cpus_without_a_cgroup_file_is_the_affinity(tmp_path) -> None:
    assert available_cpus(tmp_path / "missing") == AFFINITY
