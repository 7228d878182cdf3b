"""Batch size and token budget picked from the device (MAX_BATCH_SIZE / MAX_BATCH_TOKENS = 0)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import SimpleNamespace

import httpx
import pytest
from backend.config import Settings
from backend.engines import tuning
from backend.engines.tuning import BatchLimits, GpuMemory, batch_limits, bytes_per_batch_token
from backend.main import create_app
from hypothesis import given
from hypothesis import strategies as st

from testkit.waiting import until_ready

GIB = 1024**3
gpu_free_bytes = st.integers(min_value=0, max_value=200 * GIB)


def on_gpu(free_bytes: int, **overrides: int) -> BatchLimits:
    gpu = GpuMemory(name="Fake GPU", free_bytes=free_bytes, total_bytes=max(free_bytes, GIB))
    return batch_limits(device="cuda", gpu=gpu, beam_size=4, max_output_ratio=1.5, **overrides)


def test_on_cpu_each_worker_gets_the_measured_batches() -> None:
    limits = batch_limits(device="cpu", gpu=None, beam_size=4, max_output_ratio=1.5)
    assert limits == BatchLimits(16, 4096, "cpu")


@given(gpu_free_bytes)
def test_a_gpu_batch_holds_16_to_256_segments_a_power_of_two(free_bytes: int) -> None:
    size = on_gpu(free_bytes).max_batch_size
    assert 16 <= size <= 256
    assert size & (size - 1) == 0


@given(gpu_free_bytes, gpu_free_bytes)
def test_more_free_gpu_memory_never_means_smaller_batches(a: int, b: int) -> None:
    small, large = sorted((a, b))
    assert on_gpu(small).max_batch_size <= on_gpu(large).max_batch_size
    assert on_gpu(small).max_batch_tokens <= on_gpu(large).max_batch_tokens


@given(st.integers(min_value=GIB // 4, max_value=200 * GIB))
def test_a_gpu_token_budget_uses_at_most_half_the_free_memory(free_bytes: int) -> None:
    limits = on_gpu(free_bytes)
    assert limits.max_batch_tokens * bytes_per_batch_token(4, 1.5) <= free_bytes / 2
    assert limits.basis == "gpu memory"


def test_a_large_gpu_gets_the_largest_batches_and_a_small_one_smaller() -> None:
    assert on_gpu(80 * GIB) == BatchLimits(256, 16384, "gpu memory")  # an H100 / H200
    assert on_gpu(GIB).max_batch_size == 64
    assert on_gpu(0).max_batch_size == 16


def test_a_gpu_whose_memory_cannot_be_read_gets_the_smallest_gpu_batches() -> None:
    limits = batch_limits(device="cuda", gpu=None, beam_size=4, max_output_ratio=1.5)
    assert limits == BatchLimits(16, 512, "gpu (memory unknown)")


@given(
    st.sampled_from(["cpu", "cuda"]),
    st.integers(min_value=0, max_value=1024),
    st.integers(min_value=0, max_value=100_000),
)
def test_settings_override_what_is_picked(device: str, size: int, tokens: int) -> None:
    gpu = GpuMemory("Fake GPU", 40 * GIB, 80 * GIB)
    picked = batch_limits(device=device, gpu=gpu, beam_size=4, max_output_ratio=1.5)
    limits = batch_limits(
        device=device,
        gpu=gpu,
        beam_size=4,
        max_output_ratio=1.5,
        max_batch_size=size,
        max_batch_tokens=tokens,
    )
    assert limits.max_batch_size == (size or picked.max_batch_size)
    assert limits.max_batch_tokens == (tokens or picked.max_batch_tokens)
    assert limits.basis.endswith("+ settings") == bool(size or tokens)


def test_wider_beams_and_longer_outputs_cost_more_memory_per_token() -> None:
    assert bytes_per_batch_token(8, 1.5) == 2 * bytes_per_batch_token(4, 1.5)
    assert bytes_per_batch_token(4, 2.0) > bytes_per_batch_token(4, 1.0)


# --- reading the GPU's memory through NVML ---


class FakeNvml:
    """The few pynvml calls gpu_memory makes, over a list of GPUs (name, free, total, uuid)."""

    class NVMLError(Exception):
        pass

    def __init__(self, gpus: list[tuple[str, int, int, str]], *, init_fails: bool = False):
        self.gpus = gpus
        self.init_fails = init_fails
        self.shut_down = False

    def nvmlInit(self) -> None:
        if self.init_fails:
            raise self.NVMLError("NVML Shared Library Not Found")

    def nvmlShutdown(self) -> None:
        self.shut_down = True

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        if index >= len(self.gpus):
            raise self.NVMLError("Invalid Argument")
        return index

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> int:
        return next(i for i, gpu in enumerate(self.gpus) if gpu[3] == uuid)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        _, free, total, _ = self.gpus[handle]
        return SimpleNamespace(free=free, total=total, used=total - free)

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return self.gpus[handle][0].encode()  # older pynvml releases return bytes


TWO_GPUS = [("GPU A", 10 * GIB, 24 * GIB, "GPU-aaaa"), ("GPU B", 70 * GIB, 80 * GIB, "GPU-bbbb")]


def test_gpu_memory_reads_cuda_device_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    nvml = FakeNvml(TWO_GPUS)
    assert tuning.gpu_memory(nvml) == GpuMemory("GPU A", 10 * GIB, 24 * GIB)
    assert nvml.shut_down


@pytest.mark.parametrize("visible", ["1", "GPU-bbbb", "1,0"])
def test_gpu_memory_follows_cuda_visible_devices(
    monkeypatch: pytest.MonkeyPatch, visible: str
) -> None:
    """NVML ignores CUDA_VISIBLE_DEVICES; CUDA's device 0 is its first entry."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert tuning.gpu_memory(FakeNvml(TWO_GPUS)) == GpuMemory("GPU B", 70 * GIB, 80 * GIB)


def test_gpu_memory_is_none_without_the_driver_library() -> None:
    assert tuning.gpu_memory(FakeNvml(TWO_GPUS, init_fails=True)) is None


def test_gpu_memory_is_none_when_the_device_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")
    nvml = FakeNvml(TWO_GPUS)
    assert tuning.gpu_memory(nvml) is None
    assert nvml.shut_down


def test_the_real_nvml_on_a_machine_without_a_gpu_driver_says_none() -> None:
    pytest.importorskip("pynvml")
    from pathlib import Path

    if any(Path("/dev").glob("nvidia[0-9]*")):
        pytest.skip("this machine has an NVIDIA GPU")
    assert tuning.gpu_memory() is None


# --- the service uses what is picked ---


async def _running_app(
    settings: Settings, engine: object
) -> tuple[httpx.AsyncClient, AsyncExitStack]:
    stack = AsyncExitStack()
    app = create_app(settings, engine_factory=lambda _: engine)
    await stack.enter_async_context(app.router.lifespan_context(app))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    await stack.enter_async_context(client)
    await until_ready(client)
    return client, stack


@pytest.mark.parametrize(
    ("device", "overrides", "expected"),
    [
        ("cpu", {}, (16, 4096)),
        ("cuda", {}, (64, 2184)),  # 1 GiB free: half of it over 240 KiB per padded token
        ("cuda", {"max_batch_size": 24}, (24, 2184)),
    ],
)
async def test_the_scheduler_and_the_model_metric_get_the_picked_batches(
    fake_engine, monkeypatch: pytest.MonkeyPatch, device: str, overrides: dict, expected: tuple
) -> None:
    """A 100-sentence document goes out in batches of the picked size; /metrics names it."""
    monkeypatch.setattr(tuning, "gpu_memory", lambda: GpuMemory("Fake GPU", GIB, 2 * GIB))
    fake_engine.device = device
    settings = Settings(model="fake", cache_size=0, **overrides)
    client, stack = await _running_app(settings, fake_engine)
    async with stack:
        text = " ".join(f"Satz {i} steht hier." for i in range(100))
        assert (await client.post("/v1/translate", json={"text": text})).status_code == 200
        metrics = (await client.get("/metrics")).text
    size, tokens = expected
    assert max(len(batch) for batch in fake_engine.batches[1:]) == size  # [0] is the warm-up
    assert f'max_batch_size="{size}"' in metrics
    assert f'max_batch_tokens="{tokens}"' in metrics
    assert f'device="{device}"' in metrics
