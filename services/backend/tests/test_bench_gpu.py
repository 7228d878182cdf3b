"""make bench-gpu: it stops at once without a GPU, and its figures are computed as they claim."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import gpu, gpu_engines
from benchmarks.gpu_engines import GpuMemorySampler, token_batches
from hypothesis import given
from hypothesis import strategies as st

from testkit.waiting import wait_until

GPU_SCRIPT = Path(gpu.__file__)


def test_without_a_gpu_it_exits_non_zero_at_once_saying_what_is_missing() -> None:
    """CUDA_VISIBLE_DEVICES="" hides every GPU, so this holds on any machine."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(GPU_SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "no NVIDIA GPU" in done.stderr
    assert "make install-cuda" in done.stderr
    assert done.stdout == ""  # no figure, no half-run benchmark
    assert time.monotonic() - started < 60


def test_a_gpu_without_pytorch_cuda_is_refused_too() -> None:
    problem = gpu.gpu_problem(cuda_devices=lambda: 1, torch_cuda=lambda: False)
    assert problem is not None
    assert "PyTorch" in problem


def test_a_gpu_with_the_cuda_wheels_passes_the_check() -> None:
    assert gpu.gpu_problem(cuda_devices=lambda: 1, torch_cuda=lambda: True) is None


sequences = st.lists(
    st.lists(st.just("x"), min_size=1, max_size=40).map(list), min_size=1, max_size=300
)


@given(sequences, st.sampled_from(gpu.BATCH_SIZES))
def test_token_batches_keep_every_sequence_within_both_bounds(
    tokens: list[list[str]], batch_size: int
) -> None:
    batches = token_batches(tokens, batch_size)
    assert sorted(map(len, (s for b in batches for s in b))) == sorted(map(len, tokens))
    for batch in batches:
        assert len(batch) <= batch_size
        assert max(map(len, batch)) * len(batch) <= batch_size * gpu_engines.TOKENS_PER_SLOT


def test_measure_counts_the_tokens_the_engine_produced_and_every_sentence() -> None:
    calls: list[int] = []

    def run_batch(batch: list[list[str]]) -> list[int]:
        calls.append(len(batch))
        return [len(tokens) + 2 for tokens in batch]

    tokens = [["a"] * 30 for _ in range(100)]
    figures = gpu_engines.measure(
        run_batch, tokens, 16, lambda: 5, engine="fake", compute_type="none"
    )
    assert calls[0] == 4  # the warm-up: the last (longest) batch, 100 = 6 x 16 + 4
    assert sum(calls[1:]) == 100
    elapsed_s = figures.sentences / figures.sentences_per_s
    assert abs(figures.target_tokens_per_s * elapsed_s - 100 * 32) < 1e-6
    assert figures.gpu_memory_peak_bytes == 5


def test_the_memory_sampler_keeps_the_highest_reading() -> None:
    readings = iter([1, 7, 3, None])
    with GpuMemorySampler(lambda: next(readings, 2)) as sampler:
        wait_until(lambda: sampler.peak_bytes == 7, timeout_s=5.0, interval_s=0.01)
    assert sampler.peak_bytes == 7


def test_picked_settings_are_read_from_the_model_info_metric() -> None:
    metrics = (
        "# HELP translation_backend_model_info The loaded model and engine\n"
        'translation_backend_model_info{device="cuda",workers="1",max_batch_size="256",'
        'max_batch_tokens="16384"} 1.0\n'
    )
    assert gpu.picked_settings(metrics) == {
        "device": "cuda",
        "workers": "1",
        "max_batch_size": "256",
        "max_batch_tokens": "16384",
    }


def test_both_runners_count_what_the_tiny_model_produces(tiny_model: Path, tmp_path: Path) -> None:
    """On CPU with the tiny model: the runners the GPU benchmark loads, with the same budget."""
    from backend import model_store
    from backend.engines.ctranslate2 import CTranslate2Engine

    converted = model_store.converted(tiny_model, tmp_path, "float16")
    reference = CTranslate2Engine(converted, model="tiny", max_input_tokens=511)
    tokens = reference.tokenize(["Guten Morgen.", "Das ist ein etwas längerer Satz hier."])
    ct2 = gpu_engines.ctranslate2_runner(
        converted, "int8", beam_size=2, extra_tokens=2, device="cpu"
    )
    hf = gpu_engines.transformers_runner(tiny_model, beam_size=2, extra_tokens=2, device="cpu")
    longest = max(map(len, tokens)) + 1  # with </s>
    for runner in (ct2, hf):
        counts = runner(tokens)
        assert len(counts) == 2
        assert all(0 < count <= longest + 2 for count in counts)
