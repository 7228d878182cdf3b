"""Long texts stream from the first sentence: segmentation and planning are lazy, chunk by chunk."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import backend.segmentation as segmentation
import pytest
from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.segmentation import Segment, iter_segments
from backend.translator import INCREMENTAL_CHARS, Translator

LONG_TEXT = "\n".join(f"Das ist Satz Nummer {i} hier." for i in range(3000))


@pytest.fixture
async def scheduler(fake_engine) -> AsyncIterator[BatchScheduler]:
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=8) as running:
        yield running


def test_segmentation_reads_the_text_line_by_line(monkeypatch) -> None:
    """Taking the first sentence segments the first line only, not the whole text."""
    lines: list[str] = []
    original = segmentation.sentence_spans

    def recording(line: str, start: int = 0):
        lines.append(line)
        return original(line, start)

    monkeypatch.setattr(segmentation, "sentence_spans", recording)
    first = next(iter_segments(LONG_TEXT))
    assert first == Segment("", "Das ist Satz Nummer 0 hier.")
    assert lines == ["Das ist Satz Nummer 0 hier."]


async def test_the_first_segment_streams_while_the_text_is_still_being_read(
    fake_engine, scheduler
) -> None:
    """With segmentation stuck after a few sentences, the first one is already translated."""
    more = threading.Event()

    def slow_segmenter(text: str) -> Iterator[Segment]:
        for i in range(6):
            yield Segment(" " if i else "", f"Satz {i}.")
        assert more.wait(30), "the test never let segmentation go on"
        yield Segment(" ", "Letzter Satz.")
        yield Segment("\n", "")

    translator = Translator(
        fake_engine, scheduler, TranslationCache(0), offload_chars=0, segmenter=slow_segmenter
    )
    stream = translator.stream("x" * (INCREMENTAL_CHARS + 1), request_id="long")
    try:
        first = await asyncio.wait_for(anext(stream), 10)
        assert first.text == "SATZ 0."
        assert not more.is_set()
    finally:
        more.set()
    rest = [part async for part in stream]
    assert "".join(part.text for part in rest).endswith("LETZTER SATZ.\n")
    assert [part.index for part in rest] == list(range(1, 7))
    assert rest[-1].total == 7


async def test_totals_grow_to_the_exact_count_and_the_text_joins_up(fake_engine, scheduler) -> None:
    translator = Translator(fake_engine, scheduler, TranslationCache(0))
    assert len(LONG_TEXT) > INCREMENTAL_CHARS
    parts = [part async for part in translator.stream(LONG_TEXT, request_id="long")]
    assert "".join(part.text for part in parts) == LONG_TEXT.upper()
    assert [part.index for part in parts] == list(range(3000))
    totals = [part.total for part in parts]
    assert totals == sorted(totals)
    assert all(part.total > part.index for part in parts)
    assert totals[-1] == 3000


async def test_a_short_text_knows_its_total_from_the_first_segment(fake_engine, scheduler) -> None:
    translator = Translator(fake_engine, scheduler, TranslationCache(0))
    parts = [part async for part in translator.stream("Eins. Zwei. Drei.", request_id="r")]
    assert [part.total for part in parts] == [3, 3, 3]


async def test_a_later_chunk_is_not_taken_for_a_requests_first_segment(fake_engine) -> None:
    """Only a request's first submission gets the small first batch, not every chunk."""
    fake_engine.gate.clear()  # keep everything queued while we look
    try:
        async with BatchScheduler(fake_engine.translate_batch, first_batch_size=2) as scheduler:
            first = scheduler.submit("a", [["x"]] * 5)
            later = scheduler.submit("b", [["y"]] * 5, continuing=True)
            queued = [entry for queue in scheduler._queues.values() for entry in queue]
            marked = {entry.future for entry in queued if entry.first_of_many}
            assert marked <= {first[0]}
            assert not marked & set(later)
    finally:
        fake_engine.gate.set()
