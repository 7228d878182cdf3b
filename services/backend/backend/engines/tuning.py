"""Pick the batch size and token budget from the device the engine runs on (0 settings = auto).

One image serves CPU and GPU nodes: on CPU each worker (one per core, see
backend.engines.parallelism) gets the batches `make bench` measured best on our 2 cores; on a GPU
the batches grow with the memory still free once the model is loaded, read through NVML (the
driver's own library, mounted into containers by the NVIDIA runtime; no nvidia-smi needed).
MAX_BATCH_SIZE and MAX_BATCH_TOKENS override what is picked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

#: CPU, per worker (make bench, README: Benchmark): 16 segments reach the engine's batch-32
#: ceiling with two workers while a short request waits for half a batch at most.
CPU_MAX_BATCH_SIZE = 16
CPU_MAX_BATCH_TOKENS = 4096
#: GPU batches stay within 16..256 segments: fewer leave the GPU idle between kernel launches,
#: more only add latency once the GPU is saturated (CTranslate2's GPU benchmarks stop there).
GPU_MIN_BATCH_SIZE, GPU_MAX_BATCH_SIZE = 16, 256
#: Padded tokens per segment slot when the budget is turned into a batch size: the ~30-token
#: sentences of ordinary prose plus their padding.
TOKENS_PER_SEGMENT = 32
#: A batch of 256 segments of up to 64 tokens; larger budgets change nothing at 256 segments.
GPU_MAX_BATCH_TOKENS = GPU_MAX_BATCH_SIZE * 2 * TOKENS_PER_SEGMENT
#: The share of the free memory batches may use: the rest is headroom for CTranslate2's caching
#: allocator (it keeps freed blocks) and for whatever else runs on the GPU.
GPU_MEMORY_FRACTION = 0.5
#: The width of the models this service ships (opus-mt: 6 decoder layers, d_model 512), float16.
#: A larger model should set MAX_BATCH_TOKENS itself.
DECODER_LAYERS, D_MODEL, BYTES_PER_VALUE = 6, 512, 2
#: Activations and allocator slack on top of the attention caches.
OVERHEAD_FACTOR = 2


@dataclass(frozen=True)
class GpuMemory:
    """One GPU's memory as NVML reports it."""

    name: str
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class BatchLimits:
    """What the scheduler's batches are bounded by, and where the numbers come from."""

    max_batch_size: int
    max_batch_tokens: int
    #: "cpu", "gpu memory", "gpu (memory unknown)"; "+ settings" when an override applied.
    basis: str


def bytes_per_batch_token(beam_size: int, max_output_ratio: float) -> int:
    """Return the GPU memory one padded source token costs while its batch is decoded.

    Each beam keeps keys and values per decoder layer: for every source token (cross-attention)
    and for every target token (self-attention, up to max_output_ratio per source token).
    """
    per_position = beam_size * DECODER_LAYERS * 2 * D_MODEL * BYTES_PER_VALUE
    return int(per_position * (1 + max_output_ratio) * OVERHEAD_FACTOR)


def batch_limits(
    *,
    device: str,
    gpu: GpuMemory | None,
    beam_size: int,
    max_output_ratio: float,
    max_batch_size: int = 0,
    max_batch_tokens: int = 0,
) -> BatchLimits:
    """Return the batch bounds for a resolved device; non-zero settings win over the pick."""
    if device != "cuda":
        size, tokens, basis = CPU_MAX_BATCH_SIZE, CPU_MAX_BATCH_TOKENS, "cpu"
    elif gpu is None:
        # The GPU is there but NVML is not: assume the smallest GPU worth serving from.
        size, tokens = GPU_MIN_BATCH_SIZE, GPU_MIN_BATCH_SIZE * TOKENS_PER_SEGMENT
        basis = "gpu (memory unknown)"
    else:
        usable = gpu.free_bytes * GPU_MEMORY_FRACTION
        fits = int(usable // bytes_per_batch_token(beam_size, max_output_ratio))
        tokens = max(GPU_MIN_BATCH_SIZE * TOKENS_PER_SEGMENT, min(GPU_MAX_BATCH_TOKENS, fits))
        size = _power_of_two_at_most(tokens // TOKENS_PER_SEGMENT)
        size = max(GPU_MIN_BATCH_SIZE, min(GPU_MAX_BATCH_SIZE, size))
        basis = "gpu memory"
    if max_batch_size or max_batch_tokens:
        basis += " + settings"
    return BatchLimits(max_batch_size or size, max_batch_tokens or tokens, basis)


def gpu_memory(nvml: ModuleType | None = None) -> GpuMemory | None:
    """Return the memory of the GPU CTranslate2 uses (CUDA device 0), or None without NVML."""
    if nvml is None:
        try:
            import pynvml
        except ImportError:
            return None
        nvml = pynvml
    try:
        nvml.nvmlInit()
    except nvml.NVMLError:  # no driver library here (a CPU node), or no GPU
        return None
    try:
        handle = nvml_handle(nvml)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        name = nvml.nvmlDeviceGetName(handle)
    except nvml.NVMLError:
        return None
    finally:
        nvml.nvmlShutdown()
    name = name.decode() if isinstance(name, bytes) else str(name)
    return GpuMemory(name=name, free_bytes=int(memory.free), total_bytes=int(memory.total))


def nvml_handle(nvml: ModuleType) -> object:
    """Return the NVML handle of CUDA device 0, which CUDA_VISIBLE_DEVICES may remap.

    NVML numbers every GPU of the machine and ignores CUDA_VISIBLE_DEVICES, whose first entry
    (an index or a GPU-/MIG- UUID) is the device CUDA calls 0.
    """
    first = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
    if first.startswith(("GPU-", "MIG-")):
        return nvml.nvmlDeviceGetHandleByUUID(first)
    return nvml.nvmlDeviceGetHandleByIndex(int(first) if first.isdigit() else 0)


def _power_of_two_at_most(value: int) -> int:
    return 1 << (max(1, value).bit_length() - 1)
