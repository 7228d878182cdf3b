"""A segment's translation depends on the segment alone: not its batch, the cache or a restart.

On both real engines (tiny random model: nonsense, but deterministic, so outputs compare exactly).
"""

from __future__ import annotations

import asyncio
import random

import pytest
from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.config import Settings
from backend.engines.base import Engine
from backend.engines.loader import load_engine
from backend.tools.corpus import german_sentences
from backend.translator import Translator
from hypothesis import given, settings
from hypothesis import strategies as st


def _long_sentence(parts: int, seed: int) -> str:
    return ", ".join(s.rstrip(".!?") for s in german_sentences(parts, seed=seed)) + "."


# One sentence each, of many lengths (1 to ~75 tokens), so budgets differ within a batch.
SENTENCES = [
    *german_sentences(5, seed=11),
    "Ja.",
    "Das Haus ist alt.",
    _long_sentence(2, seed=5),
    _long_sentence(3, seed=6),
]


@pytest.fixture(scope="module")
def alone(tiny_engines: dict[str, Engine]) -> dict[str, list[str]]:
    """Each sentence translated on its own, per engine."""
    return {
        name: [engine.translate_batch(engine.tokenize([text]))[0] for text in SENTENCES]
        for name, engine in tiny_engines.items()
    }


@pytest.mark.parametrize("name", ["ctranslate2", "transformers"])
@settings(max_examples=4, deadline=None)
@given(order=st.permutations(range(len(SENTENCES))), size=st.integers(2, len(SENTENCES)))
def test_a_sentence_translates_the_same_in_any_batch(
    name: str, order: list[int], size: int, tiny_engines, alone
) -> None:
    engine = tiny_engines[name]
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        outputs = engine.translate_batch(engine.tokenize([SENTENCES[i] for i in chunk]))
        assert outputs == [alone[name][i] for i in chunk]


def _translator(engine: Engine, cache: TranslationCache, scheduler: BatchScheduler) -> Translator:
    return Translator(engine, scheduler, cache, offload_chars=10_000)


def _scheduler(engine: Engine) -> BatchScheduler:
    return BatchScheduler(
        engine.translate_batch,
        max_batch_size=16,
        first_batch_size=0,
        bucket_of=lambda tokens: engine.budget(len(tokens)),
    )


@pytest.mark.parametrize("name", ["ctranslate2", "transformers"])
async def test_alone_batched_cached_and_restarted_give_the_same_text(
    name: str, tiny_engines, tiny_model, tmp_path, alone
) -> None:
    engine = tiny_engines[name]
    document = " ".join(SENTENCES)
    expected = " ".join(alone[name])
    cache = TranslationCache(1000)
    async with _scheduler(engine) as scheduler:
        translator = _translator(engine, cache, scheduler)
        # Batched: the document and every sentence on its own, all at once, sharing batches.
        results = await asyncio.gather(
            translator.translate(document, request_id="doc"),
            *(translator.translate(s, request_id=f"s{i}") for i, s in enumerate(SENTENCES)),
        )
        assert results[0].translation == expected
        assert [result.translation for result in results[1:]] == alone[name]
        # Cached: half the sentences are cached from the first run, in a new order.
        shuffled = SENTENCES[:]
        random.Random(3).shuffle(shuffled)
        again = await translator.translate(" ".join(shuffled), request_id="again")
        assert again.translation == " ".join(alone[name][SENTENCES.index(s)] for s in shuffled)
        assert cache.hits > 0
    # Restarted: a new engine loaded from the same model, a new translator with an empty cache.
    fresh = load_engine(
        Settings(
            model=str(tiny_model),
            engine=name,
            device="cpu",
            model_cache_dir=tmp_path,
            retry_truncated=False,
        )
    )
    async with _scheduler(fresh) as scheduler:
        restarted = _translator(fresh, TranslationCache(0), scheduler)
        assert (await restarted.translate(document, request_id="r")).translation == expected
