"""Raw engine figures on an NVIDIA GPU: CTranslate2 (float16, int8_float16) vs transformers float16.

Each run sends the same sentences in token-bounded batches, formed as the service's scheduler forms
them (sorted by length, at most `batch_size` sentences and `batch_size` x 32 padded tokens each),
and reports target tokens/s (the tokens the engine actually produced), sentences/s, the p95 of a
batch's latency and the GPU's peak memory in use during the run.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

#: Padded source tokens per sentence slot: a batch of B sentences may hold B x 32 tokens, a bit
#: more than the benchmark's ~30-token sentences, as MAX_BATCH_TOKENS bounds the service's.
TOKENS_PER_SLOT = 32
#: How often the memory sampler reads the GPU's memory in use.
SAMPLE_EVERY_S = 0.02

#: One batch of token sequences in, (translations' token counts) out, blocking.
RunBatch = Callable[[list[list[str]]], list[int]]


@dataclass(frozen=True)
class RunFigures:
    """What one engine set-up did with one batch size."""

    engine: str
    compute_type: str
    batch_size: int
    sentences: int
    target_tokens_per_s: float
    sentences_per_s: float
    batch_p95_s: float
    gpu_memory_peak_bytes: int | None

    def as_dict(self) -> dict:
        """Return the figures as a JSON-ready dict."""
        return asdict(self)


def token_batches(tokens: Sequence[list[str]], batch_size: int) -> list[list[list[str]]]:
    """Cut length-sorted sequences into batches of <= batch_size and <= batch_size x 32 padded."""
    budget = batch_size * TOKENS_PER_SLOT
    batches: list[list[list[str]]] = []
    current: list[list[str]] = []
    for sequence in sorted(tokens, key=len):
        # Sorted ascending, so the newcomer is the longest: it sets the padded length.
        if current and (len(current) == batch_size or len(sequence) * (len(current) + 1) > budget):
            batches.append(current)
            current = []
        current.append(sequence)
    if current:
        batches.append(current)
    return batches


class GpuMemorySampler:
    """Sample the GPU's memory in use in a thread; ``peak_bytes`` is the highest reading."""

    def __init__(self, read_used_bytes: Callable[[], int | None]) -> None:
        self._read = read_used_bytes
        self.peak_bytes: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="gpu-memory", daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            used = self._read()
            if used is not None:
                self.peak_bytes = max(used, self.peak_bytes or 0)
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> GpuMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(
    run_batch: RunBatch,
    tokens: Sequence[list[str]],
    batch_size: int,
    read_used_bytes: Callable[[], int | None],
    *,
    engine: str,
    compute_type: str,
) -> RunFigures:
    """Run every batch of tokens once (after one warm-up batch) and return the figures."""
    batches = token_batches(tokens, batch_size)
    run_batch(batches[-1])  # warm-up: the longest batch allocates the most, once
    latencies: list[float] = []
    produced = 0
    with GpuMemorySampler(read_used_bytes) as sampler:
        started = time.perf_counter()
        for batch in batches:
            batch_started = time.perf_counter()
            produced += sum(run_batch(batch))
            latencies.append(time.perf_counter() - batch_started)
        elapsed_s = time.perf_counter() - started
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else latencies[0]
    return RunFigures(
        engine=engine,
        compute_type=compute_type,
        batch_size=batch_size,
        sentences=len(tokens),
        target_tokens_per_s=produced / elapsed_s,
        sentences_per_s=len(tokens) / elapsed_s,
        batch_p95_s=p95,
        gpu_memory_peak_bytes=sampler.peak_bytes,
    )


def ctranslate2_runner(
    model_dir: Path, compute_type: str, *, beam_size: int, extra_tokens: int, device: str = "cuda"
) -> RunBatch:
    """Load a converted model on the GPU; return a batch runner counting produced tokens."""
    import ctranslate2

    translator = ctranslate2.Translator(str(model_dir), device=device, compute_type=compute_type)

    def run(batch: list[list[str]]) -> list[int]:
        sources = [[*tokens, "</s>"] for tokens in batch]
        results = translator.translate_batch(
            sources,
            beam_size=beam_size,
            max_decoding_length=max(map(len, sources)) + extra_tokens,
        )
        return [len(result.hypotheses[0]) for result in results]

    return run


def transformers_runner(
    model_dir: Path, *, beam_size: int, extra_tokens: int, device: str = "cuda"
) -> RunBatch:
    """Load the checkpoint in float16 on the GPU; return a batch runner counting produced tokens."""
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(model_dir)
    model = MarianMTModel.from_pretrained(model_dir, dtype=torch.float16).to(device).eval()
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id

    def run(batch: list[list[str]]) -> list[int]:
        ids = [[*tokenizer.convert_tokens_to_ids(t), tokenizer.eos_token_id] for t in batch]
        longest = max(map(len, ids))
        input_ids = torch.full((len(ids), longest), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), longest), dtype=torch.long)
        for row, sequence in enumerate(ids):
            input_ids[row, : len(sequence)] = torch.tensor(sequence)
            mask[row, : len(sequence)] = 1
        with torch.inference_mode():
            output = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                num_beams=beam_size,
                # +1: generate counts the decoder start token, CTranslate2 does not.
                max_length=longest + extra_tokens + 1,
            )
        # Produced tokens as CTranslate2 counts them: without the decoder start token (pad),
        # </s> and the padding after it.
        produced = output[:, 1:].cpu()
        return [int(((row != pad) & (row != eos)).sum()) for row in produced]

    return run
