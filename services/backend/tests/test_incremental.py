"""Long texts stream from the first sentence: segmentation and planning are lazy, chunk by chunk."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import backend.segmentation as segmentation
import pytest
from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.config import Settings
from backend.segmentation import Segment, iter_segments
from backend.translator import CHUNK_SEGMENTS, FIRST_CHUNK_SEGMENTS, INCREMENTAL_CHARS, Translator

LONG_TEXT = "\n".join(f"Das ist Satz Nummer {i} hier." for i in range(3000))
#: `make bench`'s first_segment_1m_s text size (MAX_TEXT_CHARS' default).
MILLION = 1_000_000


def paragraphs(chars: int) -> str:
    """Return a text of exactly chars characters: paragraphs of eight distinct sentences."""
    lines, size, number = [], 0, 0
    while size < chars:
        lines.append(" ".join(f"Der Satz {number + i} steht hier." for i in range(8)))
        number += 8
        size += len(lines[-1]) + 2
    return "\n\n".join(lines)[:chars]


class HeldSegmenter:
    """The real segmenter, held after `limit` segments until `go_on` is set; counts what it read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.go_on = threading.Event()
        self.segments = 0
        self.chars = 0

    def __call__(self, text: str) -> Iterator[Segment]:
        for seg in iter_segments(text):
            if self.segments == self.limit:
                assert self.go_on.wait(30), "the test never let segmentation go on"
            self.segments += 1
            self.chars += len(seg.prefix) + len(seg.text)
            yield seg


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


async def test_a_small_first_part_of_a_long_request_is_marked_as_its_first(fake_engine) -> None:
    """A first chunk no larger than first_batch_size still gets the small first batch."""
    fake_engine.gate.clear()  # keep everything queued while we look
    try:
        async with BatchScheduler(fake_engine.translate_batch, first_batch_size=4) as scheduler:
            whole = scheduler.submit("short", [["x"]] * 4)
            part = scheduler.submit("long", [["y"]] * 4, more_to_come=True)
            queued = [entry for queue in scheduler._queues.values() for entry in queue]
            marked = {entry.future for entry in queued if entry.first_of_many}
            assert part[0] in marked
            assert not marked & set(whole)
    finally:
        fake_engine.gate.set()


@pytest.mark.parametrize("chars", [INCREMENTAL_CHARS + 1, MILLION])
async def test_the_first_segment_does_not_wait_for_the_rest_of_a_long_text(fake_engine, chars):
    """The work before the first segment streams is bounded, whatever the text's length.

    Segmentation is held once the first two chunks are planned: the first segment must still
    reach the engine in a batch of at most FIRST_BATCH_SIZE (not a full one with the chunks
    after it) and stream back, with only those chunks' characters read.
    """
    first_batch_size = Settings.model_fields["first_batch_size"].default
    held = HeldSegmenter(FIRST_CHUNK_SEGMENTS + CHUNK_SEGMENTS)
    text = paragraphs(chars)
    # A long max_wait_s: the scheduler forms its first batch only once both chunks are queued,
    # so a first segment batched with everything queued behind it would show.
    async with BatchScheduler(
        fake_engine.translate_batch,
        max_batch_size=16,
        first_batch_size=first_batch_size,
        max_wait_s=30,
    ) as scheduler:
        translator = Translator(fake_engine, scheduler, TranslationCache(0), segmenter=held)
        stream = translator.stream(text, request_id="long")
        try:
            first = await asyncio.wait_for(anext(stream), 10)
            assert (held.segments, held.go_on.is_set()) == (held.limit, False)
        finally:
            held.go_on.set()
            await stream.aclose()
    assert (first.index, first.text) == (0, "DER SATZ 0 STEHT HIER.")
    first_batch = fake_engine.batches[0]
    assert 1 <= len(first_batch) <= first_batch_size
    assert first_batch[0] == ["Der", "Satz", "0", "steht", "hier."]
    assert held.chars < INCREMENTAL_CHARS  # the same few chunks for 20 kB as for 1 MB
