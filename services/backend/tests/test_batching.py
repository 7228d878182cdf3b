"""The batching policy (pure, no event loop) and the scheduler loop around it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future

import pytest
from backend.batch_policy import Entry, Queues, next_batch, padded_tokens
from backend.batching import BatchScheduler
from backend.engines.base import EngineError


def entries(request_id: str, lengths: list[int]) -> deque[Entry]:
    """Build queued entries whose tokens name their request and position, e.g. ["doc:3", ...]."""
    return deque(
        Entry(request_id, [f"{request_id}:{i}"] * length, Future())
        for i, length in enumerate(lengths)
    )


def names(batch: list[Entry]) -> list[str]:
    return [entry.tokens[0] for entry in batch]


def make_queues(**requests: list[int]) -> Queues:
    return OrderedDict(
        (request_id, entries(request_id, lengths)) for request_id, lengths in requests.items()
    )


# --- the pure policy ---------------------------------------------------------------------------


def test_a_short_request_joins_the_first_batch_despite_a_long_document() -> None:
    queues = make_queues(doc=[10] * 2000, short=[10])
    batch = next_batch(queues, max_batch_tokens=1000, max_batch_size=8)
    assert "short:0" in names(batch)


def test_a_short_request_of_another_length_still_joins_the_next_batch() -> None:
    queues = make_queues(doc=[10] * 2000, short=[40])
    batch = next_batch(queues, max_batch_tokens=1000, max_batch_size=8)
    assert "short:0" in names(batch)
    assert len(batch) == 8


def test_free_places_go_to_the_entries_that_waste_least_padding() -> None:
    queues = make_queues(doc=[30, 5, 31, 6, 29, 30, 4, 28], short=[30])
    batch = next_batch(queues, max_batch_tokens=1000, max_batch_size=5)
    # doc:7 (28) pads 2 tokens; doc:2 (31) would add one to each of the three already in.
    assert sorted(names(batch)) == ["doc:0", "doc:4", "doc:5", "doc:7", "short:0"]


def test_more_requests_than_places_are_served_in_turns() -> None:
    queues = make_queues(**{f"r{i}": [5] * 3 for i in range(5)})
    first = next_batch(queues, max_batch_tokens=1000, max_batch_size=3)
    second = next_batch(queues, max_batch_tokens=1000, max_batch_size=3)
    assert names(first) == ["r0:0", "r1:0", "r2:0"]
    assert names(second) == ["r3:0", "r4:0", "r0:1"]


def test_requests_take_turns_rather_than_first_come_first_served() -> None:
    queues = make_queues(a=[5] * 10, b=[5] * 10, c=[5] * 10)
    batch = next_batch(queues, max_batch_tokens=1000, max_batch_size=3)
    assert sorted(names(batch)) == ["a:0", "b:0", "c:0"]


def test_the_least_recently_served_request_anchors_the_next_batch() -> None:
    queues = make_queues(a=[5] * 10, b=[50] * 10)
    first = next_batch(queues, max_batch_tokens=60, max_batch_size=4)
    second = next_batch(queues, max_batch_tokens=60, max_batch_size=4)
    assert names(first)[0].startswith("a:")
    assert names(second) == ["b:0"]


def test_done_and_cancelled_entries_are_dropped() -> None:
    queues = make_queues(a=[5] * 4)
    queues["a"][0].future.cancel()
    queues["a"][2].future.set_result("already")
    batch = next_batch(queues, max_batch_tokens=1000, max_batch_size=8)
    assert names(batch) == ["a:1", "a:3"]
    assert not any(queue for queue in queues.values())


def test_padded_tokens_stay_within_the_budget() -> None:
    lengths = [3, 17, 8, 25, 1, 12, 30, 9, 14, 2, 22, 6]
    queues = make_queues(a=lengths, b=lengths[::-1])
    served = 0
    while batch := next_batch(queues, max_batch_tokens=60, max_batch_size=16):
        assert padded_tokens(batch) <= 60
        served += len(batch)
    assert served == 2 * len(lengths)


def test_batch_size_is_bounded() -> None:
    queues = make_queues(a=[1] * 100)
    assert len(next_batch(queues, max_batch_tokens=10_000, max_batch_size=7)) == 7


def test_an_entry_over_the_budget_still_goes_alone() -> None:
    queues = make_queues(a=[500, 5])
    assert names(next_batch(queues, max_batch_tokens=100, max_batch_size=8)) == ["a:0"]


def test_entries_of_similar_length_are_grouped() -> None:
    queues = make_queues(a=[5, 50] * 8)
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=8)
    assert {len(entry.tokens) for entry in batch} == {5}


def test_unchosen_entries_keep_their_order() -> None:
    queues = make_queues(a=[5, 50, 5, 50, 5, 50])
    next_batch(queues, max_batch_tokens=10_000, max_batch_size=3)
    assert [entry.tokens[0] for entry in queues["a"]] == ["a:1", "a:3", "a:5"]


def test_the_first_segment_of_a_long_request_gets_a_small_batch() -> None:
    queues = make_queues(doc=[5] * 100)
    queues["doc"][0].first_of_many = True
    first = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=2)
    second = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=2)
    assert names(first) == ["doc:0", "doc:1"]
    assert len(second) == 16


def test_a_batch_shared_by_several_requests_stays_small() -> None:
    queues = make_queues(doc=[5] * 20, short=[5])
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=4)
    assert len(batch) == 4
    assert "short:0" in names(batch)


def test_a_request_alone_gets_a_full_batch() -> None:
    queues = make_queues(doc=[5] * 20)
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=4)
    assert len(batch) == 16


def test_a_shared_batch_still_takes_every_waiting_head() -> None:
    queues = make_queues(**{f"r{i}": [5] for i in range(10)})
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=4)
    assert sorted(names(batch)) == sorted(f"r{i}:0" for i in range(10))


def test_every_entry_is_served_exactly_once() -> None:
    queues = make_queues(a=[(i * 7) % 23 + 1 for i in range(50)], b=[4] * 30, c=[31, 2, 9])
    served: list[str] = []
    while batch := next_batch(queues, max_batch_tokens=64, max_batch_size=8):
        served.extend(names(batch))
    assert sorted(served) == sorted(
        [f"a:{i}" for i in range(50)] + [f"b:{i}" for i in range(30)] + ["c:0", "c:1", "c:2"]
    )
    assert not queues


def test_empty_queues_give_an_empty_batch() -> None:
    assert next_batch(OrderedDict(), max_batch_tokens=10, max_batch_size=2) == []


# --- the scheduler loop ------------------------------------------------------------------------


def seqs(request_id: str, count: int, length: int = 3) -> list[list[str]]:
    return [[f"{request_id}{i}"] * length for i in range(count)]


def seen_by_engine(engine) -> set[str]:
    return {tokens[0] for batch in engine.batches for tokens in batch}


async def wait_thread_event(event) -> None:
    assert await asyncio.to_thread(event.wait, 10), "the engine was never called"


async def test_results_come_back_in_order(fake_engine) -> None:
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=4) as scheduler:
        futures = scheduler.submit("r", [["eins", "zwei"], ["drei"], ["vier", "fünf", "sechs"]])
        assert await asyncio.gather(*futures) == ["EINS ZWEI", "DREI", "VIER FÜNF SECHS"]


async def test_a_short_request_overtakes_a_long_document(fake_engine) -> None:
    fake_engine.gate.clear()
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=8) as scheduler:
        document = scheduler.submit("doc", seqs("d", 200))
        await wait_thread_event(fake_engine.started)  # the document's first batch is running
        short = scheduler.submit("short", [["kurz"] * 3])
        fake_engine.gate.set()
        assert await short[0] == "KURZ KURZ KURZ"
        batch_of_short = next(
            i for i, batch in enumerate(fake_engine.batches) if ["kurz"] * 3 in batch
        )
        assert batch_of_short in (1, 2)
        assert sum(not future.done() for future in document) > 100  # the document is far from done
        await asyncio.gather(*document)


async def test_cancelled_segments_never_reach_the_engine(fake_engine) -> None:
    fake_engine.gate.clear()
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=4) as scheduler:
        futures = scheduler.submit("gone", seqs("g", 20))
        await wait_thread_event(fake_engine.started)
        for future in futures:
            future.cancel()
        fake_engine.gate.set()
        assert await scheduler.submit("next", [["weiter"]])[0] == "WEITER"
    assert len(fake_engine.batches) == 2
    assert seen_by_engine(fake_engine) - {"weiter"} == {f"g{i}" for i in range(4)}


async def test_a_failing_batch_fails_every_future_in_it(fake_engine) -> None:
    fake_engine.fail = True
    # first_batch_size=0: both requests share one batch, the failure must reach all five.
    scheduler = BatchScheduler(fake_engine.translate_batch, max_batch_size=8, first_batch_size=0)
    async with scheduler:
        futures = scheduler.submit("a", seqs("a", 3)) + scheduler.submit("b", seqs("b", 2))
        results = await asyncio.gather(*futures, return_exceptions=True)
    assert len(fake_engine.batches) == 1
    assert all(isinstance(result, EngineError) for result in results)
    assert isinstance(results[0].__cause__, RuntimeError)


async def test_a_wrong_number_of_results_is_an_engine_error() -> None:
    def lose_one(batch: list[list[str]]) -> list[str]:
        return ["x"] * (len(batch) - 1)

    async with BatchScheduler(lose_one) as scheduler:
        results = await asyncio.gather(*scheduler.submit("a", seqs("a", 2)), return_exceptions=True)
    assert all(isinstance(result, EngineError) for result in results)


async def test_the_scheduler_keeps_working_after_a_failed_batch(fake_engine) -> None:
    async with BatchScheduler(fake_engine.translate_batch) as scheduler:
        fake_engine.fail = True
        with pytest.raises(EngineError):
            await scheduler.submit("a", [["eins"]])[0]
        fake_engine.fail = False
        assert await scheduler.submit("b", [["zwei"]])[0] == "ZWEI"


async def test_engine_batches_respect_the_token_budget(fake_engine) -> None:
    lengths = [3, 17, 8, 25, 1, 12, 30, 9, 14, 2, 22, 6, 11, 19]
    async with BatchScheduler(
        fake_engine.translate_batch, max_batch_tokens=40, max_batch_size=16
    ) as scheduler:
        await asyncio.gather(*scheduler.submit("r", [["w"] * n for n in lengths]))
    for batch in fake_engine.batches:
        assert max(map(len, batch)) * len(batch) <= 40
    assert sum(map(len, fake_engine.batches)) == len(lengths)


async def test_aclose_fails_pending_futures_cleanly(fake_engine) -> None:
    fake_engine.gate.clear()
    scheduler = BatchScheduler(fake_engine.translate_batch, max_batch_size=2)
    await scheduler.start()
    try:
        futures = scheduler.submit("r", seqs("r", 10))
        await wait_thread_event(fake_engine.started)
        await scheduler.aclose()
        assert all(future.done() for future in futures)
        assert all(isinstance(future.exception(), EngineError) for future in futures)
        assert scheduler.queue_depth == 0
    finally:
        fake_engine.gate.set()  # let the worker thread finish the batch it holds


async def test_submit_needs_a_running_scheduler(fake_engine) -> None:
    scheduler = BatchScheduler(fake_engine.translate_batch)
    with pytest.raises(EngineError, match="not running"):
        scheduler.submit("r", [["a"]])
    await scheduler.start()
    await scheduler.aclose()
    with pytest.raises(EngineError, match="not running"):
        scheduler.submit("r", [["a"]])


async def test_the_observer_sees_batches_and_queue_depth(fake_engine) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.batches: list[tuple[int, int]] = []
            self.depths: list[int] = []

        def on_batch(self, size: int, padded_tokens: int, duration_s: float) -> None:
            assert duration_s >= 0
            self.batches.append((size, padded_tokens))

        def on_queue_depth(self, depth: int) -> None:
            self.depths.append(depth)

    recorder = Recorder()
    async with BatchScheduler(
        fake_engine.translate_batch, max_batch_size=8, observer=recorder
    ) as scheduler:
        await asyncio.gather(*scheduler.submit("r", [["a"], ["b", "c"]]))
    assert recorder.batches == [(2, 4)]
    assert recorder.depths[0] == 2
    assert recorder.depths[-1] == 0


async def test_queue_depth_counts_waiting_segments(fake_engine) -> None:
    fake_engine.gate.clear()
    try:
        async with BatchScheduler(fake_engine.translate_batch, max_batch_size=2) as scheduler:
            futures = scheduler.submit("r", seqs("r", 7))
            await wait_thread_event(fake_engine.started)
            assert scheduler.queue_depth == 5
            fake_engine.gate.set()
            await asyncio.gather(*futures)
            assert scheduler.queue_depth == 0
    finally:
        fake_engine.gate.set()


async def test_start_twice_is_refused_and_aclose_twice_is_harmless(fake_engine) -> None:
    scheduler = BatchScheduler(fake_engine.translate_batch)
    await scheduler.aclose()  # never started: nothing to do
    await scheduler.start()
    with pytest.raises(RuntimeError, match="already started"):
        await scheduler.start()
    await scheduler.aclose()
    await scheduler.aclose()


async def test_a_shallow_queue_waits_briefly_for_more_segments(fake_engine) -> None:
    async with BatchScheduler(
        fake_engine.translate_batch, max_batch_size=8, max_wait_s=0.5
    ) as scheduler:
        first = scheduler.submit("a", [["eins"]])
        await asyncio.sleep(0)  # let the scheduler start waiting for more
        second = scheduler.submit("b", [["zwei"]])
        await asyncio.gather(*first, *second)
    assert fake_engine.batches == [[["eins"], ["zwei"]]]


def test_bad_bounds_are_refused(fake_engine) -> None:
    with pytest.raises(ValueError, match="positive"):
        BatchScheduler(fake_engine.translate_batch, max_batch_size=0)
    with pytest.raises(ValueError, match="positive"):
        BatchScheduler(fake_engine.translate_batch, workers=0)


def test_a_long_request_starting_behind_others_still_gets_a_small_first_batch() -> None:
    queues = make_queues(short=[5], doc=[5] * 100)
    queues["doc"][0].first_of_many = True
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=3)
    assert names(batch) == ["short:0", "doc:0", "doc:1"]


def test_the_small_first_batch_never_drops_a_waiting_head() -> None:
    queues = make_queues(**{f"r{i}": [5] for i in range(4)}, doc=[5] * 100)
    queues["doc"][0].first_of_many = True
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=16, first_batch_size=2)
    assert names(batch) == ["r0:0", "r1:0", "r2:0", "r3:0", "doc:0"]


# --- several engine workers --------------------------------------------------------------------


async def test_each_worker_gets_a_batch_of_its_own_at_the_same_time() -> None:
    both_running = threading.Barrier(2, timeout=10)

    def translate(batch: list[list[str]]) -> list[str]:
        both_running.wait()  # breaks (and fails the batch) unless a second batch runs alongside
        return [" ".join(tokens).upper() for tokens in batch]

    async with BatchScheduler(
        translate, workers=2, max_batch_size=2, first_batch_size=0
    ) as scheduler:
        results = await asyncio.gather(*scheduler.submit("r", seqs("r", 4)))
    assert results == [f"R{i} R{i} R{i}" for i in range(4)]


async def test_never_more_batches_in_the_engine_than_workers() -> None:
    lock = threading.Lock()
    first_three = threading.Barrier(3, timeout=10)
    calls, running, most = 0, 0, 0

    def translate(batch: list[list[str]]) -> list[str]:
        nonlocal calls, running, most
        with lock:
            calls += 1
            call = calls
            running += 1
            most = max(most, running)
        if call <= 3:
            first_three.wait()  # the first three surely overlap; a fourth at once would show
        else:
            time.sleep(0.002)
        with lock:
            running -= 1
        return [tokens[0] for tokens in batch]

    async with BatchScheduler(translate, workers=3, max_batch_size=2) as scheduler:
        futures = scheduler.submit("a", seqs("a", 30)) + scheduler.submit("b", seqs("b", 30))
        results = await asyncio.gather(*futures)
    assert results == [f"a{i}" for i in range(30)] + [f"b{i}" for i in range(30)]
    assert most == 3


async def test_a_short_request_overtakes_a_long_document_on_two_workers(fake_engine) -> None:
    fake_engine.gate.clear()
    try:
        async with BatchScheduler(
            fake_engine.translate_batch, workers=2, max_batch_size=8
        ) as scheduler:
            document = scheduler.submit("doc", seqs("d", 200))
            assert await asyncio.to_thread(fake_engine.wait_for_batches, 2)  # both workers busy
            short = scheduler.submit("short", [["kurz"] * 3])
            fake_engine.gate.set()
            assert await short[0] == "KURZ KURZ KURZ"
            batch_of_short = next(
                i for i, batch in enumerate(fake_engine.batches) if ["kurz"] * 3 in batch
            )
            assert batch_of_short in (2, 3)  # the first batch a freed worker takes
            await asyncio.gather(*document)
    finally:
        fake_engine.gate.set()


async def test_aclose_fails_the_futures_of_every_batch_in_the_engine(fake_engine) -> None:
    fake_engine.gate.clear()
    scheduler = BatchScheduler(fake_engine.translate_batch, workers=2, max_batch_size=2)
    await scheduler.start()
    try:
        futures = scheduler.submit("r", seqs("r", 10))
        assert await asyncio.to_thread(fake_engine.wait_for_batches, 2)
        await scheduler.aclose()
        assert all(isinstance(future.exception(), EngineError) for future in futures)
    finally:
        fake_engine.gate.set()
