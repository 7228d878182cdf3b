"""Merge the segments of every request in flight into engine batches, fairly.

Shaped after Ray Serve's batching queue and Hugging Face TGI's router: an ``Entry`` holds one
segment's tokens, its future and its enqueue time; ``next_batch`` is the pure policy (round-robin
across requests, bounded by padded tokens and size, grouped by length) and ``BatchScheduler`` is the
thin async loop that feeds it and runs the blocking engine in one worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from backend.engines.base import EngineError

logger = logging.getLogger(__name__)

#: Per request, a queue of entries in segment order; the dict's order is the round-robin order.
Queues = OrderedDict[str, deque["Entry"]]
TranslateBatch = Callable[[list[list[str]]], list[str]]

#: How many candidates per batch slot the policy looks at when grouping by length.
_CANDIDATES_PER_SLOT = 4


@dataclass(eq=False, slots=True)
class Entry:
    """One segment waiting for the engine."""

    request_id: str
    tokens: Sequence[str]
    future: asyncio.Future[str]
    enqueued_at_s: float = field(default_factory=time.monotonic)
    #: True for the first segment of a long request: its time to first segment hangs on it.
    first_of_many: bool = False


class BatchObserver(Protocol):
    """Receive scheduler events; metrics.py implements this so batching knows no metrics."""

    def on_batch(self, size: int, padded_tokens: int, duration_s: float) -> None:
        """Record one engine batch of size entries costing padded_tokens, run in duration_s."""

    def on_queue_depth(self, depth: int) -> None:
        """Record how many segments wait for the engine."""


def padded_tokens(entries: Sequence[Entry]) -> int:
    """Return the cost of a batch as the engine pads it: longest sequence times batch size."""
    return max((len(entry.tokens) for entry in entries), default=0) * len(entries)


def next_batch(
    queues: Queues, *, max_batch_tokens: int, max_batch_size: int, first_batch_size: int = 0
) -> list[Entry]:
    """Take the next batch out of queues: round-robin across requests, grouped by length.

    No I/O, clock or event loop: it only mutates ``queues``. Entries whose future is already done
    (cancelled by a disconnected client) are dropped. The head of the least recently served request
    is always in the batch, so every request is served within a few batches whatever its size.
    The first segment of a long request caps the batch at ``first_batch_size`` (0: no cap) so that
    the first streamed segment of a long document does not wait for a full batch.
    """
    candidates = _take_candidates(queues, max_batch_size * _CANDIDATES_PER_SLOT)
    if not candidates:
        return []
    anchor = candidates[0]
    size_limit = max_batch_size
    if anchor.first_of_many and first_batch_size > 0:
        size_limit = min(size_limit, first_batch_size)
    ordered = sorted(candidates, key=lambda entry: len(entry.tokens))
    begin, end = _best_run(ordered, ordered.index(anchor), max_batch_tokens, size_limit)
    batch = ordered[begin:end]
    chosen = set(map(id, batch))
    _put_back(queues, [entry for entry in candidates if id(entry) not in chosen])
    for request_id in dict.fromkeys(entry.request_id for entry in batch):
        if request_id in queues:
            queues.move_to_end(request_id)  # served: go to the back of the round-robin order
    return batch


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


def _best_run(ordered: list[Entry], anchor: int, max_tokens: int, max_size: int) -> tuple[int, int]:
    """Return the largest run ordered[begin:end] holding anchor that fits both bounds."""
    best = (anchor, anchor + 1)  # alone, the anchor always goes, even over the token bound
    for begin in range(anchor + 1):
        end = anchor + 1
        # Sorted by length, so the run's padded cost is its last entry's length times its size.
        if len(ordered[end - 1].tokens) * (end - begin) > max_tokens or end - begin > max_size:
            continue
        while end < len(ordered) and end + 1 - begin <= max_size:
            if len(ordered[end].tokens) * (end + 1 - begin) > max_tokens:
                break
            end += 1
        if end - begin > best[1] - best[0]:
            best = (begin, end)
    return best


def _put_back(queues: Queues, leftovers: list[Entry]) -> None:
    """Return unchosen candidates to the front of their queues, in their original order."""
    for entry in reversed(leftovers):
        queue = queues.get(entry.request_id)
        if queue is None:
            queue = queues[entry.request_id] = deque()
        queue.appendleft(entry)


class BatchScheduler:
    """Feed the engine batches formed by next_batch, from one task and one worker thread."""

    def __init__(
        self,
        translate_batch: TranslateBatch,
        *,
        max_batch_tokens: int = 4096,
        max_batch_size: int = 16,
        max_wait_s: float = 0.005,
        first_batch_size: int = 4,
        observer: BatchObserver | None = None,
    ) -> None:
        if max_batch_tokens < 1 or max_batch_size < 1 or max_wait_s < 0 or first_batch_size < 0:
            raise ValueError("batch bounds must be positive and max_wait_s not negative")
        self._translate_batch = translate_batch
        self._max_batch_tokens = max_batch_tokens
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._first_batch_size = first_batch_size
        self._observer = observer
        self._queues: Queues = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._arrived: asyncio.Event | None = None
        self._in_engine: list[Entry] = []

    @property
    def queue_depth(self) -> int:
        """Return how many submitted segments wait for the engine (cancelled ones until dropped)."""
        return sum(len(queue) for queue in self._queues.values())

    async def start(self) -> None:
        """Start the worker thread and the batching task on the running loop."""
        if self._task is not None:
            raise RuntimeError("the scheduler is already started")
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self._task = asyncio.create_task(self._run(), name="batch-scheduler")

    async def aclose(self) -> None:
        """Stop batching and fail every pending segment with EngineError."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        pending = [*self._in_engine, *(entry for q in self._queues.values() for entry in q)]
        _fail(pending, EngineError("the translation service is shutting down"))
        self._queues.clear()
        self._in_engine = []
        if self._executor is not None:
            # Do not block the loop on a batch still in the engine; its results are discarded.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def __aenter__(self) -> BatchScheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def submit(
        self, request_id: str, token_seqs: Sequence[Sequence[str]]
    ) -> list[asyncio.Future[str]]:
        """Queue one request's segments; return one future per segment, in order."""
        if self._task is None or self._arrived is None:
            raise EngineError("the translation service is not running")
        loop = asyncio.get_running_loop()
        many = len(token_seqs) > self._first_batch_size
        entries = [
            Entry(request_id, tokens, loop.create_future(), first_of_many=many and index == 0)
            for index, tokens in enumerate(token_seqs)
        ]
        if entries:
            self._queues.setdefault(request_id, deque()).extend(entries)
            self._arrived.set()
            self._publish_depth()
        return [entry.future for entry in entries]

    async def _run(self) -> None:
        """Form and run batches for as long as the scheduler lives."""
        assert self._arrived is not None
        while True:
            if not self._queues:
                self._arrived.clear()
                await self._arrived.wait()
            await self._wait_for_more()
            batch = next_batch(
                self._queues,
                max_batch_tokens=self._max_batch_tokens,
                max_batch_size=self._max_batch_size,
                first_batch_size=self._first_batch_size,
            )
            self._publish_depth()
            if batch:
                await self._execute(batch)

    async def _wait_for_more(self) -> None:
        """Give a shallow queue up to max_wait_s to fill a batch."""
        assert self._arrived is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_wait_s
        while self.queue_depth < self._max_batch_size:
            remaining_s = deadline - loop.time()
            if remaining_s <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining_s)
            except TimeoutError:
                return

    async def _execute(self, batch: list[Entry]) -> None:
        """Run one batch in the worker thread and settle each of its futures."""
        loop = asyncio.get_running_loop()
        self._in_engine = batch  # aclose fails these if it interrupts the batch
        started_s = time.perf_counter()
        try:
            outputs = await loop.run_in_executor(
                self._executor, self._translate_batch, [list(e.tokens) for e in batch]
            )
            if len(outputs) != len(batch):
                raise EngineError(f"the engine returned {len(outputs)} results for {len(batch)}")
        except Exception as exc:  # every waiting request must hear of it, not just the first
            logger.exception("engine batch of %d segments failed", len(batch))
            _fail(batch, EngineError("the translation engine failed"), cause=exc)
        else:
            for entry, output in zip(batch, outputs, strict=True):
                if not entry.future.done():  # the client may have gone meanwhile
                    entry.future.set_result(output)
        self._in_engine = []
        if self._observer is not None:
            duration_s = time.perf_counter() - started_s
            self._observer.on_batch(len(batch), padded_tokens(batch), duration_s)

    def _publish_depth(self) -> None:
        if self._observer is not None:
            self._observer.on_queue_depth(self.queue_depth)


def _fail(entries: Sequence[Entry], error: EngineError, cause: BaseException | None = None) -> None:
    """Fail every still-pending future of entries with its own copy of error."""
    for entry in entries:
        if not entry.future.done():
            copy = EngineError(*error.args)
            copy.__cause__ = cause
            entry.future.set_exception(copy)
