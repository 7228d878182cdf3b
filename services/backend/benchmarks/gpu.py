"""`make bench-gpu`: the GPU path on an NVIDIA GPU, in one bounded run (well under 10 minutes).

On the random opus-mt-shaped model (built under build/models/opus-mt when missing), beam 4,
~30-token German sentences, output budget input + 2 tokens, as `make bench`:

1. raw engines, batches of 16..256 sentences bounded by tokens (as the scheduler forms them):
   CTranslate2 float16 and int8_float16, transformers float16; target tokens/s, sentences/s,
   p95 batch latency, peak GPU memory in use;
2. a real `python -m backend` with DEVICE=cuda and nothing tuned by hand, over HTTP: a document,
   concurrent one-sentence clients (p95), short requests during a streamed document, and the
   batch settings and workers the service picked (its translation_backend_model_info metric).

It stops at once, exit status 2, with what is missing on a machine without a GPU or without the
CUDA wheels. Prints a table, then one JSON line last (also written to build/bench/gpu.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services" / "backend")]

OUT = REPO_ROOT / "build" / "bench"
MODEL_DIR = REPO_ROOT / "build" / "models" / "opus-mt"
CACHE_DIR = REPO_ROOT / "build" / "model-cache"
BEAM, EXTRA_TOKENS = 4, 2
BATCH_SIZES = (16, 32, 64, 128, 256)
#: Sentences per engine run (each batch size): four batches of 256.
ENGINE_SENTENCES = 1024
#: transformers is ~10x slower: fewer sentences keep its five runs within a minute or two.
TRANSFORMERS_SENTENCES = 512
#: Everything after this is skipped (reported as null), so that one run stays well under 10 min.
BUDGET_S = 420
HOW_TO = (
    "make bench-gpu needs an NVIDIA GPU with its driver, CTranslate2's CUDA 12 libraries and "
    "PyTorch's CUDA build: make install-cuda (see services/backend/README.md, GPU benchmark)."
)


def gpu_problem(
    cuda_devices: Callable[[], int] | None = None,
    torch_cuda: Callable[[], bool] | None = None,
) -> str | None:
    """Return what stops the GPU benchmark on this machine, or None when it can run."""
    if cuda_devices is None:
        import ctranslate2

        cuda_devices = ctranslate2.get_cuda_device_count
    if cuda_devices() == 0:
        return "no NVIDIA GPU: CTranslate2 sees no CUDA device. " + HOW_TO
    if torch_cuda is None:

        def torch_cuda() -> bool:
            import torch

            return torch.cuda.is_available()

    if not torch_cuda():
        return "PyTorch cannot use the GPU (a CPU-only build?). " + HOW_TO
    return None


def _used_bytes_reader() -> Callable[[], int | None]:
    """Return a reader of the GPU's memory in use (NVML, CUDA device 0); None without NVML."""
    try:
        import pynvml
    except ImportError:
        return lambda: None
    from backend.engines.tuning import nvml_handle

    pynvml.nvmlInit()
    handle = nvml_handle(pynvml)
    return lambda: int(pynvml.nvmlDeviceGetMemoryInfo(handle).used)


def measure_engines(tokens: list[list[str]], results: dict, deadline_s: float) -> None:
    """Fill results["engines"] with one row per engine set-up and batch size."""
    import gc

    from backend import model_store

    from benchmarks import gpu_engines

    converted = model_store.converted(MODEL_DIR, CACHE_DIR, "float16")
    read_used = _used_bytes_reader()
    rows: list[dict] = []
    options = {"beam_size": BEAM, "extra_tokens": EXTRA_TOKENS}
    setups = [
        (
            "ctranslate2",
            "float16",
            len(tokens),
            partial(gpu_engines.ctranslate2_runner, converted, "float16", **options),
        ),
        (
            "ctranslate2",
            "int8_float16",
            len(tokens),
            partial(gpu_engines.ctranslate2_runner, converted, "int8_float16", **options),
        ),
        (
            "transformers",
            "float16",
            TRANSFORMERS_SENTENCES,
            partial(gpu_engines.transformers_runner, MODEL_DIR, **options),
        ),
    ]
    for engine, compute_type, count, load in setups:
        runner = load()
        for batch_size in BATCH_SIZES:
            row = {"engine": engine, "compute_type": compute_type, "batch_size": batch_size}
            if time.monotonic() < deadline_s:
                figures = gpu_engines.measure(
                    runner,
                    tokens[:count],
                    batch_size,
                    read_used,
                    engine=engine,
                    compute_type=compute_type,
                )
                row = figures.as_dict()
            rows.append(row)
            print(_engine_line(row), flush=True)
        del runner
        gc.collect()
    results["engines"] = rows


def _engine_line(row: dict) -> str:
    if "sentences_per_s" not in row:
        return f"{row['engine']:<13}{row['compute_type']:<14}{row['batch_size']:>5}  skipped"
    memory = row["gpu_memory_peak_bytes"]
    memory_text = "?" if memory is None else f"{memory / 2**30:.2f} GiB"
    return (
        f"{row['engine']:<13}{row['compute_type']:<14}{row['batch_size']:>5}"
        f"{row['target_tokens_per_s']:>12,.0f} tok/s{row['sentences_per_s']:>10,.1f} sent/s"
        f"  p95 {row['batch_p95_s']:.3f} s  peak {memory_text}"
    )


def picked_settings(metrics_text: str) -> dict[str, str]:
    """Return the labels of translation_backend_model_info (device, workers, batch bounds)."""
    line = next(
        (x for x in metrics_text.splitlines() if x.startswith("translation_backend_model_info{")),
        "",
    )
    return dict(re.findall(r'(\w+)="([^"]*)"', line))


async def measure_service(base_url: str, workload, results: dict) -> None:
    """Fill in the service's figures over HTTP and the settings it picked."""
    import httpx

    from benchmarks import service

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=base_url, timeout=300, limits=limits) as client:
        results["picked"] = picked_settings((await client.get("/metrics")).text)
        await service.translate(client, " ".join(workload.take(64)))  # warm-up
        sps, _ = await service.document_sps(client, workload.take(2048))
        results["service_document_sps"] = sps
        (
            results["service_concurrent_sps"],
            results["service_concurrent_p95_s"],
        ) = await service.clients_latency(client, workload, clients=128, each=4)
        first, p95, count, _ = await service.stream_with_short_requests(
            client, workload.take(2048), workload, gap_s=0.1
        )
        results.update(first_segment_s=first, short_during_long_p95_s=p95, short_requests=count)


def run_service(workload, results: dict) -> None:
    """Start python -m backend on the GPU with automatic settings and measure it."""
    from testkit.servers import LOOPBACK, ServerProcess, free_port, python_env

    port = free_port()
    env = {
        "MODEL": str(MODEL_DIR),
        "DEVICE": "cuda",
        "HF_HUB_OFFLINE": "1",
        "MODEL_CACHE_DIR": str(CACHE_DIR),
        "BEAM_SIZE": str(BEAM),
        "MAX_OUTPUT_RATIO": "1.0",
        "MAX_OUTPUT_EXTRA_TOKENS": str(EXTRA_TOKENS),
        "MALLOC_ARENA_MAX": "2",
    }
    url = f"http://{LOOPBACK}:{port}"
    argv = [sys.executable, "-m", "backend", "--host", LOOPBACK, "--port", str(port)]
    with ServerProcess(
        argv, ready_url=f"{url}/readyz", log_path=OUT / "backend-gpu.log", env=python_env(env)
    ):
        asyncio.run(asyncio.wait_for(measure_service(url, workload, results), 180))


def main() -> int:
    """Check for a GPU, then run every measurement once; print the table and the JSON line."""
    problem = gpu_problem()
    if problem:
        print(f"bench-gpu: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    from backend.engines.tuning import gpu_memory
    from backend.tools import random_model

    from benchmarks.workload import Workload

    if not (MODEL_DIR / "config.json").exists():
        random_model.build("opus-mt", MODEL_DIR)
    workload = Workload(MODEL_DIR / "source.spm")
    gpu = gpu_memory()
    results: dict = {"gpu": None if gpu is None else gpu.__dict__, "cpu_count": os.cpu_count()}
    import sentencepiece

    source = sentencepiece.SentencePieceProcessor(model_file=str(MODEL_DIR / "source.spm"))
    tokens = source.encode(workload.take(ENGINE_SENTENCES), out_type=str)
    measure_engines(tokens, results, started + BUDGET_S)
    if time.monotonic() < started + BUDGET_S:
        run_service(workload, results)
    results["duration_s"] = time.monotonic() - started
    for key, value in results.items():
        if key != "engines":
            print(f"{key:<28}{value}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gpu.json").write_text(json.dumps(results, default=str) + "\n", encoding="utf-8")
    print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
