"""Build the engine the settings ask for (blocking: run it in a thread at start-up)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from backend import model_store
from backend.config import Settings
from backend.engines import tuning
from backend.engines.base import Engine
from backend.engines.ctranslate2 import (
    CTranslate2Engine,
    DecodingOptions,
    resolve_compute_type,
    resolve_device,
)
from backend.engines.parallelism import Parallelism, available_cpus, plan

logger = logging.getLogger(__name__)


def decoding_options(settings: Settings) -> DecodingOptions:
    """Return the beam and output-length options of the settings."""
    return DecodingOptions(
        beam_size=settings.beam_size,
        max_output_ratio=settings.max_output_ratio,
        max_output_extra_tokens=settings.max_output_extra_tokens,
        retry_truncated=settings.retry_truncated,
    )


def input_limit(settings: Settings, model_limit: int) -> int:
    """Return MAX_INPUT_TOKENS bounded by the model's window (0 means the model's window)."""
    return min(settings.max_input_tokens or model_limit, model_limit)


def output_limit(path: Path, input_limit_tokens: int) -> int:
    """Return the most tokens the model may generate: its generation config's max_length.

    max_length counts the decoder start token, which CTranslate2 does not. A converted model keeps
    the figure in its marker; without one the limit is the model's window (opus-mt: 512 - 1).
    """
    for name in ("generation_config.json", model_store.MARKER):
        try:
            config = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        if "max_output_tokens" in config:
            return int(config["max_output_tokens"])
        if "max_length" in config:
            return int(config["max_length"]) - 1
    return input_limit_tokens


def load_engine(settings: Settings) -> Engine:
    """Resolve MODEL, convert it when needed, and load the ENGINE on the DEVICE; may take long."""
    path = model_store.resolve(settings.model)
    model_limit = model_store.max_input_tokens(path)
    limit = input_limit(settings, model_limit)
    # MAX_INPUT_TOKENS cuts inputs only; the output may be as long as the model allows.
    output_tokens = output_limit(path, model_limit)
    if settings.engine == "transformers":
        if model_store.is_converted(path):
            raise model_store.ModelNotFound(
                f"Model {settings.model!r} is a CTranslate2 conversion; ENGINE=transformers needs "
                "the original checkpoint (set MODEL to it, or use ENGINE=ctranslate2)."
            )
        from backend.engines.transformers import TransformersEngine

        if settings.engine_workers > 1:
            logger.warning(
                "ENGINE_WORKERS=%d is ignored: the transformers engine runs one batch at a time",
                settings.engine_workers,
            )
        return TransformersEngine(
            path,
            model=settings.model,
            max_input_tokens=limit,
            max_output_tokens=output_tokens,
            device=_torch_device(settings.device),
            cpu_threads=settings.cpu_threads or available_cpus(),
            decoding=decoding_options(settings),
        )
    device = resolve_device(settings.device)
    split = parallelism(settings, device)
    converted = model_store.converted(
        path, settings.model_cache_dir, settings.conversion_quantization
    )
    return CTranslate2Engine(
        converted,
        model=model_store.model_name(path, settings.model),
        max_input_tokens=limit,
        max_output_tokens=output_tokens,
        device=device,
        compute_type=resolve_compute_type(settings.compute_type, device),
        workers=split.workers,
        threads_per_worker=split.threads_per_worker,
        decoding=decoding_options(settings),
    )


def parallelism(settings: Settings, device: str) -> Parallelism:
    """Return ENGINE_WORKERS x CPU_THREADS for CTranslate2 on device, automatic where 0."""
    return plan(
        device=device,
        cpus=available_cpus(),
        workers=settings.engine_workers,
        threads_per_worker=settings.cpu_threads,
    )


def batch_limits(settings: Settings, device: str) -> tuning.BatchLimits:
    """Return MAX_BATCH_SIZE x MAX_BATCH_TOKENS for a loaded engine's device, automatic where 0.

    Call it once the model is loaded: on a GPU the batches grow with the memory still free.
    """
    return tuning.batch_limits(
        device=device,
        gpu=tuning.gpu_memory() if device == "cuda" else None,
        beam_size=settings.beam_size,
        max_output_ratio=settings.max_output_ratio,
        max_batch_size=settings.max_batch_size,
        max_batch_tokens=settings.max_batch_tokens,
    )


def _torch_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
