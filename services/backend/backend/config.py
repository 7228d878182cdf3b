"""The backend's one settings object, read from the environment (no prefix: MODEL, ENGINE, ...)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field

from backend.settings_source import EnvironmentSettings


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "unlimited-translation" / "ctranslate2"


class Settings(EnvironmentSettings):
    """Every knob of the backend; each field is one environment variable of the same name.

    Built from keyword arguments only; `Settings.from_env()` reads the environment.
    """

    # --- model and engine ---
    model: str = Field("Helsinki-NLP/opus-mt-de-en", description="HF model id or local directory")
    engine: Literal["ctranslate2", "transformers"] = Field(
        "ctranslate2", description="Inference engine (make bench: CTranslate2 is faster on CPU)"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="auto uses the GPU when CTranslate2 (or torch) sees one"
    )
    compute_type: str = Field(
        "auto", description="CTranslate2 compute type; auto = int8 on CPU, float16 on GPU"
    )
    model_cache_dir: Path = Field(
        default_factory=_default_cache_dir, description="Where converted CTranslate2 models live"
    )
    conversion_quantization: str = Field(
        "float16", description="Weights stored by the one-time conversion (none keeps float32)"
    )
    # One worker per core, each single-threaded: on 2 CPU cores two batches side by side run
    # ~30 % faster than one batch on both cores, and a batch finishes every half batch time,
    # which is what a short request waits for (README: Benchmark).
    engine_workers: int = Field(
        0, ge=0, description="Batches the engine runs at once; 0 = one per CPU core, 1 on a GPU"
    )
    cpu_threads: int = Field(
        0, ge=0, description="Threads per engine worker on CPU; 0 = the cores shared among workers"
    )
    beam_size: int = Field(4, ge=1, le=16, description="Beam search width")
    max_output_ratio: float = Field(
        1.5, gt=0, description="Output token budget per input token of each segment"
    )
    max_output_extra_tokens: int = Field(10, ge=0, description="Output tokens on top of the ratio")
    max_input_tokens: int = Field(
        0, ge=0, description="Cut longer sentences into pieces of this many tokens; 0 = model's"
    )
    # On: a translation that fills its budget is decoded again with the model's max_length. Off
    # only for random-weight models, which seldom end a sentence (make bench).
    retry_truncated: bool = Field(
        True, description="Decode a translation that filled its budget again with the model's max"
    )

    # --- batching and cache ---
    # 0 = picked from the device (backend.engines.tuning): 4096 on CPU, from free GPU memory.
    max_batch_tokens: int = Field(
        0, ge=0, description="Padded tokens per engine batch; 0 = from the device"
    )
    # 0 = picked from the device (backend.engines.tuning). On CPU 16 per worker: a lone document
    # matches the engine's batch-32 ceiling, where 8 falls ~5 % short of it; a short request
    # arriving meanwhile waits for the first worker to finish such a batch, because batches shared
    # by several requests are cut to first_batch_size (README: Benchmark).
    max_batch_size: int = Field(
        0, ge=0, description="Segments per engine batch (per worker); 0 = from the device"
    )
    first_batch_size: int = Field(
        4,
        ge=0,
        description="Segments in a batch several requests share, or a long request's first one",
    )
    max_wait_ms: float = Field(5.0, ge=0, description="How long to wait to fill a shallow batch")
    cache_size: int = Field(10_000, ge=0, description="Segment translations kept; 0 disables")

    # --- API ---
    max_text_chars: int = Field(1_000_000, ge=1, description="Longer texts get 413")
    max_file_bytes: int = Field(
        25 * 1024 * 1024,
        ge=1,
        description="Larger documents get 413 (/translate_file, /v1/documents)",
    )
    # An hour: long enough for a client to fetch its file after a long document, short enough that
    # the bounded store below rarely fills (README: Documents).
    file_retention_s: float = Field(
        3600.0, gt=0, description="How long a translated file waits for /download_file"
    )
    file_store_bytes: int = Field(
        512 * 1024 * 1024, ge=0, description="Memory for translated files; oldest dropped first"
    )
    file_peers: str = Field(
        "", description="DNS name of every backend replica (tasks.backend); '' = one replica"
    )
    source_language: str = Field("de", description="The model's source language code")
    target_language: str = Field("en", description="The model's target language code")
    replica_name: str = Field(
        default_factory=socket.gethostname, description="Sent as X-Backend-Replica"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level")
    log_json: bool = Field(True, description="One JSON object per log line (false: plain text)")
    # 10 s: Traefik's health check (every 3 s, 2 s timeout, stack.yml) has taken the replica out
    # of rotation by then, so no request reaches a closed listener (README: Graceful shutdown).
    shutdown_drain_s: float = Field(
        10.0, ge=0, description="After SIGTERM: seconds of /readyz 503 while still serving"
    )

    # --- summaries (docs/articles.md) ---
    summary_model: str = Field(
        "", description="T5/Pegasus summarisation checkpoint (HF id or directory); empty = off"
    )
    summary_beam_size: int = Field(2, ge=1, le=16, description="Beam width of summaries")
    summary_max_tokens: int = Field(
        96, ge=8, description="Longest summary of one chunk, in output tokens"
    )
    summary_chunk_tokens: int = Field(
        480, ge=32, description="Input tokens per summarised chunk (capped by the model's window)"
    )
    summary_max_points: int = Field(5, ge=1, le=20, description="Key points per summary at most")

    # --- LibreTranslate compatibility (names as LibreTranslate's where natural) ---
    batch_limit: int = Field(100_000, ge=1, description="Most texts in one LibreTranslate q list")
    alternatives_limit: int = Field(
        3, ge=0, description="Most alternative translations one LibreTranslate request may ask"
    )
    cors_origins: str = Field(
        "*", description="Origins allowed by CORS, comma-separated; * = any, empty = CORS off"
    )
    api_keys_file: Path | None = Field(
        None, description="File of LibreTranslate API keys, one per line; unset = no keys"
    )
    api_keys_required: bool = Field(
        True, description="With API_KEYS_FILE: every LibreTranslate translation needs a key"
    )

    @property
    def max_wait_s(self) -> float:
        """Return MAX_WAIT_MS in seconds, as the scheduler takes it."""
        return self.max_wait_ms / 1000.0
