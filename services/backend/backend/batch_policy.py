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


@dataclass(eq=False, slots=True)
class Entry:
    """One segment waiting for the engine."""

    request_id: str
    tokens: Sequence[str]
    future: asyncio.Future[str]
    enqueued_at_s: float = field(default_factory=time.monotonic)
    #: True for the first segment of a long request: its time to first segment hangs on it.
    first_of_many: bool = False


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
    A batch holding the first segment of a long request, or the heads of several requests, is
    filled only up to ``first_batch_size`` (0: no cap; never fewer than the heads it holds): while
    someone waits on the next batch's latency it stays short, and a document alone gets full
    batches for throughput.
    """
    candidates = _take_candidates(queues, max_batch_size * _CANDIDATES_PER_SLOT)
    if not candidates:
        return []
    batch, rest = _take_heads(candidates, max_batch_tokens, max_batch_size)
    size_limit = max_batch_size
    someone_waits = len(batch) > 1 or any(entry.first_of_many for entry in batch)
    if first_batch_size > 0 and someone_waits:
        size_limit = max(len(batch), min(max_batch_size, first_batch_size))
    _fill(batch, rest, max_batch_tokens, size_limit)
    chosen = set(map(id, batch))
    _put_back(queues, [entry for entry in candidates if id(entry) not in chosen])
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


def _take_candidates(queues: Queues, limit: int) -> list[Entry]:
    """Pop up to limit live entries, one per request in turn; drop done ones and empty queues."""
    candidates: list[Entry] = []
    active = list(queues)
    while active and len(candidates) < limit:
        still_active = []
        for request_id in active:
            queue = queues[request_id]
            while queue and queue[0].future.done():
                queue.popleft()
            if not queue:
                del queues[request_id]
                continue
            candidates.append(queue.popleft())
            still_active.append(request_id)
            if len(candidates) == limit:
                break
        active = still_active
    return candidates


def _put_back(queues: Queues, leftovers: list[Entry]) -> None:
    """Return unchosen candidates to the front of their queues, in their original order."""
    for entry in reversed(leftovers):
        queue = queues.get(entry.request_id)
        if queue is None:
            queue = queues[entry.request_id] = deque()
        queue.appendleft(entry)
