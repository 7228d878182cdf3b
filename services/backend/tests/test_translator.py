"""The Translator: structure kept, segments streamed in order, cache used, disconnects honoured."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest
from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.engines.base import EngineError
from backend.translator import StreamedSegment, Translator

DOCUMENT = (
    "Sehr geehrte Damen und Herren,\r\n\r\n"
    "wir danken z. B. Dr. Müller. Er kam am 3. Oktober 2026.\n"
    "  - Erster Punkt der Liste.  \n"
    "  - Zweiter Punkt.\n\n"
    "---\n"
    "Mit freundlichen Grüßen\n"
)
EXPECTED = (
    "SEHR GEEHRTE DAMEN UND HERREN,\r\n\r\n"
    "WIR DANKEN Z. B. DR. MÜLLER. ER KAM AM 3. OKTOBER 2026.\n"
    "  - ERSTER PUNKT DER LISTE.  \n"
    "  - ZWEITER PUNKT.\n\n"
    "---\n"
    "MIT FREUNDLICHEN GRÜSSEN\n"
)


@pytest.fixture
async def scheduler(fake_engine) -> AsyncIterator[BatchScheduler]:
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=4) as running:
        yield running


@pytest.fixture
def cache() -> TranslationCache:
    return TranslationCache(100)


@pytest.fixture
def translator(fake_engine, scheduler, cache) -> Translator:
    return Translator(fake_engine, scheduler, cache)


async def test_translate_keeps_every_line_marker_and_space(translator) -> None:
    result = await translator.translate(DOCUMENT, request_id="r")
    assert result.translation == EXPECTED
    assert result.segments == 6


async def test_stream_joins_to_the_whole_translation(translator) -> None:
    parts = [part async for part in translator.stream(DOCUMENT, request_id="r")]
    assert "".join(part.text for part in parts) == EXPECTED
    assert [part.index for part in parts] == list(range(6))
    assert {part.total for part in parts} == {6}
    assert parts[-1].text.endswith("GRÜSSEN\n")  # the trailer rides on the last segment


@pytest.mark.parametrize("text", [" ", "\n\n  \r\n", "---\n2026"])
async def test_text_without_sentences_comes_back_unchanged(translator, fake_engine, text) -> None:
    result = await translator.translate(text, request_id="r")
    assert (result.translation, result.segments) == (text, 0)
    streamed = [part async for part in translator.stream(text, request_id="r")]
    assert streamed == [StreamedSegment(0, 1, text)]
    assert fake_engine.batches == []


async def test_empty_text_streams_nothing(translator) -> None:
    assert (await translator.translate("", request_id="r")).translation == ""
    assert [part async for part in translator.stream("", request_id="r")] == []


async def test_long_text_is_prepared_off_the_event_loop(fake_engine, scheduler, cache) -> None:
    translator = Translator(fake_engine, scheduler, cache, offload_chars=10)
    main_thread = threading.get_ident()
    threads: list[int] = []
    tokenize = fake_engine.tokenize

    def recording_tokenize(texts: list[str]) -> list[list[str]]:
        threads.append(threading.get_ident())
        return tokenize(texts)

    fake_engine.tokenize = recording_tokenize
    await translator.translate("Kurz.", request_id="short")
    await translator.translate("Ein deutlich längerer Satz.", request_id="long")
    assert threads[0] == main_thread
    assert threads[1] != main_thread


async def test_a_sentence_over_the_model_window_is_cut_not_truncated(
    fake_engine, scheduler, cache
) -> None:
    fake_engine.max_input_tokens = 3
    translator = Translator(fake_engine, scheduler, cache)
    text = "- eins zwei drei vier fünf sechs sieben acht"
    result = await translator.translate(text, request_id="r")
    assert result.translation == "- EINS ZWEI DREI VIER FÜNF SECHS SIEBEN ACHT"
    assert result.segments == 3
    assert all(len(tokens) <= 3 for batch in fake_engine.batches for tokens in batch)


async def test_cached_sentences_skip_the_engine(translator, fake_engine, cache) -> None:
    await translator.translate("Guten Morgen. Wie geht es?", request_id="a")
    calls = len(fake_engine.batches)
    result = await translator.translate("Wie geht es? Guten Morgen.", request_id="b")
    assert result.translation == "WIE GEHT ES? GUTEN MORGEN."
    assert len(fake_engine.batches) == calls
    assert cache.hits == 2


async def test_a_sentence_repeated_in_one_text_is_translated_once(translator, fake_engine) -> None:
    result = await translator.translate("Ja. Nein. Ja. Ja.", request_id="r")
    assert result.translation == "JA. NEIN. JA. JA."
    assert result.segments == 4
    assert sorted(tokens for batch in fake_engine.batches for tokens in batch) == [
        ["Ja."],
        ["Nein."],
    ]


async def test_engine_failure_reaches_the_caller(translator, fake_engine) -> None:
    fake_engine.fail = True
    with pytest.raises(EngineError):
        await translator.translate("Eins. Zwei. Drei.", request_id="r")
    with pytest.raises(EngineError):
        async for _ in translator.stream("Vier. Fünf.", request_id="r"):
            pass


WORDS = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]


class SteppedEngine:
    """Answer the first batch at once and hold every later one until `release` is set."""

    name = "stepped"
    model = "stepped-model"
    max_input_tokens = 512
    workers = 1

    def __init__(self) -> None:
        self.release = threading.Event()
        self.second_started = threading.Event()
        self.seen: list[str] = []

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [text.split() for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        first_call = not self.seen
        self.seen.extend(" ".join(tokens) for tokens in batch)
        if not first_call:
            self.second_started.set()
            assert self.release.wait(timeout=30), "the test never released the engine"
        return [" ".join(tokens).upper() for tokens in batch]


TEN_SENTENCES = " ".join(f"Das ist Satz {word}." for word in WORDS)


@pytest.fixture
async def stepped() -> AsyncIterator[tuple[SteppedEngine, Translator]]:
    """A translator over SteppedEngine in batches of two; the engine is released on the way out."""
    engine = SteppedEngine()
    try:
        async with BatchScheduler(
            engine.translate_batch, max_batch_size=2, first_batch_size=0
        ) as scheduler:
            yield engine, Translator(engine, scheduler, TranslationCache(0))
    finally:
        engine.release.set()


async def test_stream_yields_the_first_segment_before_the_rest_is_translated(stepped) -> None:
    engine, translator = stepped
    stream = translator.stream(TEN_SENTENCES, request_id="r")
    first = await anext(stream)
    assert first == StreamedSegment(0, 10, "DAS IST SATZ NULL.")
    engine.release.set()
    rest = [part async for part in stream]
    assert [part.index for part in rest] == list(range(1, 10))


async def test_closing_the_stream_cancels_the_remaining_segments(stepped) -> None:
    engine, translator = stepped
    stream = translator.stream(TEN_SENTENCES, request_id="gone")
    await anext(stream)
    assert await asyncio.to_thread(engine.second_started.wait, 10)
    await stream.aclose()  # the client disconnected
    engine.release.set()
    assert (await translator.translate("Noch da.", request_id="next")).segments == 1
    # Two batches of two reached the engine before the disconnect; the other six never did.
    assert engine.seen[:4] == [f"Das ist Satz {word}." for word in WORDS[:4]]
    assert engine.seen[4:] == ["Noch da."]


async def test_a_cancelled_consumer_cancels_the_remaining_segments(stepped) -> None:
    engine, translator = stepped
    task = asyncio.create_task(translator.translate(TEN_SENTENCES, request_id="gone"))
    assert await asyncio.to_thread(engine.second_started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    engine.release.set()
    assert (await translator.translate("Noch da.", request_id="next")).segments == 1
    assert engine.seen[4:] == ["Noch da."]
