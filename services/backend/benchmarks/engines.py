"""Raw engine figures: batched, one sentence at a time, and the naive transformers baseline."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backend.engines.base import Engine


def batched_sps(engine: Engine, sentences: list[str], batch_size: int) -> float:
    """Return sentences per second when the engine translates batches of batch_size.

    The engine gets as many batches at once as it has workers, as the service gives it.
    """
    tokens = engine.tokenize(sentences)
    batches = [tokens[start : start + batch_size] for start in range(0, len(tokens), batch_size)]
    started = time.perf_counter()
    with ThreadPoolExecutor(engine.workers) as pool:
        for _ in pool.map(engine.translate_batch, batches):
            pass
    return len(tokens) / (time.perf_counter() - started)


def one_at_a_time_sps(engine: Engine, sentences: list[str]) -> float:
    """Return sentences per second when the engine gets one sentence per call."""
    tokens = engine.tokenize(sentences)
    started = time.perf_counter()
    for sequence in tokens:
        engine.translate_batch([sequence])
    return len(tokens) / (time.perf_counter() - started)


def seed_sps(model_dir: Path, sentences: list[str], *, beam_size: int, extra_tokens: int) -> float:
    """Return sentences per second of the naive way: tokenizer + generate, one sentence a call.

    This is what transformers' translation pipeline did per input (transformers 5 dropped that
    pipeline): MarianTokenizer, MarianMTModel.generate, batch_decode, with the same beam and the
    same output budget (input length + extra_tokens) as the engines.
    """
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(model_dir)
    model = MarianMTModel.from_pretrained(model_dir).eval()
    started = time.perf_counter()
    for sentence in sentences:
        inputs = tokenizer([sentence], return_tensors="pt")
        budget = inputs["input_ids"].shape[1] - 1 + extra_tokens
        with torch.inference_mode():
            output = model.generate(**inputs, num_beams=beam_size, max_length=budget + 1)
        tokenizer.batch_decode(output, skip_special_tokens=True)
    return len(sentences) / (time.perf_counter() - started)
