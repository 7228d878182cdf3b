"""The batching policy: which queued segments form the next engine batch (pure, no event loop).

Shaped after Ray Serve's batching queue and Hugging Face TGI's router: an ``Entry`` holds one
segment's tokens, its future and its enqueue time, and ``next_batch`` decides, round-robin across
requests, bounded by padded tokens and size, grouped by length. ``backend.batching`` runs it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Per request, a queue of entries in segment order; the dict's order is the round-robin order.
Queues = OrderedDict[str, deque["Entry"]]

#: How many candidates per batch slot the policy looks at when grouping by length.
_CANDIDATES_PER_SLOT = 2
#: How deep into each request's queue the policy looks for entries of the first entry's bucket.
_LOOKAHEAD = 256


@dataclass(eq=False, slots=True)
class Entry:
    """One segment waiting for the engine."""

    request_id: str
    tokens: Sequence[str]
    future: asyncio.Future[str]
    enqueued_at_s: float = field(default_factory=time.monotonic)
    #: True for the first segment of a long request: its time to first segment hangs on it.
    first_of_many: bool = False
    #: Only entries of one bucket share a batch (the engine decodes each bucket with one output
    #: budget, so a segment's translation never depends on what it is batched with).
    bucket: int = 0


def padded_tokens(entries: Sequence[Entry]) -> int:
    """Return the cost of a batch as the engine pads it: longest sequence times batch size."""
    return max((len(entry.tokens) for entry in entries), default=0) * len(entries)


def next_batch(
    queues: Queues, *, max_batch_tokens: int, max_batch_size: int, first_batch_size: int = 0
) -> list[Entry]:
    """Take the next batch out of queues: round-robin across requests, grouped by length.

    No I/O, clock or event loop: it only mutates ``queues``. Entries whose future is already done
    (cancelled by a disconnected client) are dropped. The head of every waiting request goes first,
    least recently served first, so a one-sentence request never waits behind a long document; the
    free places are filled with the entries that waste the least padding. A request's turn is
    over once it was served: it moves to the back of the order.
    A batch holds entries of one bucket only: the first head's; other entries keep their places.
    A batch holding the first segment of a long request, or the heads of several requests, is
    filled only up to ``first_batch_size`` (0: no cap; never fewer than the heads it holds): while
    someone waits on the next batch's latency it stays short, and a document alone gets full
    batches for throughput.
    """
    taken = _take_candidates(queues, max_batch_size * _CANDIDATES_PER_SLOT)
    if not taken:
        return []
    candidates = [entry for entry, _ in taken]
    batch, rest = _take_heads(candidates, max_batch_tokens, max_batch_size)
    size_limit = max_batch_size
    someone_waits = len(batch) > 1 or any(entry.first_of_many for entry in batch)
    if first_batch_size > 0 and someone_waits:
        size_limit = max(len(batch), min(max_batch_size, first_batch_size))
    _fill(batch, rest, max_batch_tokens, size_limit)
    chosen = set(map(id, batch))
    _put_back(queues, taken, chosen)
    for request_id in dict.fromkeys(entry.request_id for entry in batch):
        if request_id in queues:
            queues.move_to_end(request_id)  # served: go to the back of the round-robin order
    return batch


def _take_heads(
    candidates: list[Entry], max_tokens: int, max_size: int
) -> tuple[list[Entry], list[Entry]]:
    """Split candidates into the batch's start (each request's head, in turn) and the rest."""
    batch = [candidates[0]]  # alone, the first head always goes, even over the token bound
    longest = len(candidates[0].tokens)
    heads = {candidates[0].request_id}
    rest: list[Entry] = []
    for entry in candidates[1:]:
        fits = max(longest, len(entry.tokens)) * (len(batch) + 1) <= max_tokens
        if entry.request_id not in heads and len(batch) < max_size and fits:
            batch.append(entry)
            longest = max(longest, len(entry.tokens))
        else:
            rest.append(entry)
        heads.add(entry.request_id)
    return batch, rest


def _fill(batch: list[Entry], rest: list[Entry], max_tokens: int, max_size: int) -> None:
    """Add to batch, up to max_size, the entries of rest that waste the least padding."""
    longest = max(len(entry.tokens) for entry in batch)
    while len(batch) < max_size:
        fitting = [
            entry
            for entry in rest
            if max(longest, len(entry.tokens)) * (len(batch) + 1) <= max_tokens
        ]
        if not fitting:
            return
        # Waste: padding the entry itself gets, or padding it adds to every entry already in.
        best = min(fitting, key=lambda e: _padding_waste(len(e.tokens), longest, len(batch)))
        rest.remove(best)
        batch.append(best)
        longest = max(longest, len(best.tokens))


def _padding_waste(length: int, longest: int, size: int) -> int:
    """Return the padding an entry of length costs a batch of size entries up to longest tokens."""
    return longest - length if length <= longest else (length - longest) * size


def _take_candidates(queues: Queues, limit: int) -> list[tuple[Entry, int]]:
    """Take up to limit live entries of the first head's bucket, one per request in turn.

    Returns each entry with its index in its queue before the taking, so that the unchosen ones
    can go back to their places. Done entries met on the way and empty queues are dropped.
    """
    taken: list[tuple[Entry, int]] = []
    bucket: int | None = None
    scans = {request_id: _Scan() for request_id in queues}
    active = list(queues)
    while active and len(taken) < limit:
        still_active = []
        for request_id in active:
            queue = queues[request_id]
            scan = scans[request_id]
            found = scan.next_match(queue, bucket)
            if found is None:
                if not queue:
                    del queues[request_id]
                continue
            entry, index = found
            bucket = entry.bucket
            taken.append((entry, index))
            still_active.append(request_id)
            if len(taken) == limit:
                break
        active = still_active
    return taken


@dataclass(slots=True)
class _Scan:
    """Where the search for candidates in one queue stands."""

    position: int = 0  # in the queue as it is now
    removed: int = 0  # entries taken out before position so far

    def next_match(self, queue: deque[Entry], bucket: int | None) -> tuple[Entry, int] | None:
        """Remove and return the next live entry of bucket (any if None) and its original index."""
        while self.position < len(queue) and self.position + self.removed < _LOOKAHEAD:
            entry = queue[self.position]
            if entry.future.done():
                del queue[self.position]  # a cancelled segment: drop it for good
                continue
            if bucket is None or entry.bucket == bucket:
                del queue[self.position]
                index = self.position + self.removed
                self.removed += 1
                return entry, index
            self.position += 1
        return None


def _put_back(queues: Queues, taken: list[tuple[Entry, int]], chosen: set[int]) -> None:
    """Return the unchosen candidates to their queues, each at the place it was taken from."""
    by_request: dict[str, list[tuple[Entry, int]]] = {}
    for entry, index in taken:
        by_request.setdefault(entry.request_id, []).append((entry, index))
    for request_id, entries in by_request.items():
        queue = queues.get(request_id)
        if queue is None:
            queue = queues[request_id] = deque()
        gone = 0  # chosen entries that were before the current one
        for entry, index in sorted(entries, key=lambda pair: pair[1]):
            if id(entry) in chosen:
                gone += 1
            else:
                queue.insert(index - gone, entry)
