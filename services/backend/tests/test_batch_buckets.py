"""Batches hold one output-budget bucket only: a batch never changes a segment's translation."""

from __future__ import annotations

from collections import OrderedDict, deque
from concurrent.futures import Future

from backend.batch_policy import Entry, Queues, next_batch
from hypothesis import given, settings
from hypothesis import strategies as st


def bucketed(request_id: str, buckets: list[int]) -> deque[Entry]:
    """Build entries of 5 tokens named "request:index", each in the given bucket."""
    return deque(
        Entry(request_id, [f"{request_id}:{i}"] * 5, Future(), bucket=bucket)
        for i, bucket in enumerate(buckets)
    )


def names(batch: list[Entry]) -> list[str]:
    return [entry.tokens[0] for entry in batch]


def test_entries_of_another_bucket_never_share_the_batch() -> None:
    queues: Queues = OrderedDict(doc=bucketed("doc", [1, 2, 1, 2, 1, 2]))
    batch = next_batch(queues, max_batch_tokens=10_000, max_batch_size=8)
    assert names(batch) == ["doc:0", "doc:2", "doc:4"]


def test_entries_left_behind_keep_their_places() -> None:
    queues: Queues = OrderedDict(doc=bucketed("doc", [1, 2, 1, 2, 1, 2]))
    next_batch(queues, max_batch_tokens=10_000, max_batch_size=2)
    assert names(list(queues["doc"])) == ["doc:1", "doc:3", "doc:4", "doc:5"]


def test_the_next_batch_starts_with_the_first_segment_still_waiting() -> None:
    queues: Queues = OrderedDict(doc=bucketed("doc", [1, 2, 1, 2]))
    next_batch(queues, max_batch_tokens=10_000, max_batch_size=8)
    assert names(next_batch(queues, max_batch_tokens=10_000, max_batch_size=8)) == [
        "doc:1",
        "doc:3",
    ]


def test_another_requests_head_of_another_bucket_waits_for_its_turn() -> None:
    queues: Queues = OrderedDict(doc=bucketed("doc", [1] * 10), short=bucketed("short", [2]))
    first = next_batch(queues, max_batch_tokens=10_000, max_batch_size=4)
    second = next_batch(queues, max_batch_tokens=10_000, max_batch_size=4)
    assert "short:0" not in names(first)
    assert names(second) == ["short:0"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=40), min_size=1, max_size=4))
def test_every_entry_is_served_once_in_a_batch_of_its_own_bucket(requests) -> None:
    queues: Queues = OrderedDict(
        (f"r{i}", bucketed(f"r{i}", buckets)) for i, buckets in enumerate(requests)
    )
    waiting = {(f"r{i}", j) for i, buckets in enumerate(requests) for j in range(len(buckets))}
    while batch := next_batch(queues, max_batch_tokens=40, max_batch_size=4, first_batch_size=2):
        assert len({entry.bucket for entry in batch}) == 1
        served = {
            (entry.request_id, int(name.split(":")[1]))
            for entry, name in zip(batch, names(batch), strict=True)
        }
        assert served <= waiting  # served once
        # The batch starts with its request's earliest waiting segment: streaming never stalls.
        anchor = batch[0].request_id
        assert min(j for r, j in waiting if r == anchor) == int(names(batch)[0].split(":")[1])
        waiting -= served
    assert not waiting
