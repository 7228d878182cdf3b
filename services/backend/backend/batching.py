"""Run the engine on batches merged from every request in flight, off the event loop.

``BatchScheduler`` is the thin async loop around the pure policy in ``backend.batch_policy``: it
queues each request's segments, waits briefly to fill a shallow batch, keeps one batch in flight
per engine worker (each in its own thread), and settles every segment's future (all of a failed
batch's, not just one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from backend.batch_policy import Entry, Queues, next_batch, padded_tokens
from backend.engines.base import EngineError

__all__ = [
    "BatchObserver",
    "BatchScheduler",
    "BucketOf",
    "Entry",
    "Queues",
    "next_batch",
    "padded_tokens",
]

logger = logging.getLogger(__name__)

TranslateBatch = Callable[[list[list[str]]], list[str]]
#: The bucket of a token sequence: only sequences of one bucket share an engine batch.
BucketOf = Callable[[Sequence[str]], int]


class BatchObserver(Protocol):
    """Receive scheduler events; metrics.py implements this so batching knows no metrics."""

    def on_batch(self, size: int, padded_tokens: int, duration_s: float) -> None:
        """Record one engine batch of size entries costing padded_tokens, run in duration_s."""

    def on_queue_depth(self, depth: int) -> None:
        """Record how many segments wait for the engine."""


class BatchScheduler:
    """Feed the engine batches formed by next_batch, one in flight per engine worker.

    A short request waits for the first worker to finish its batch and then for its own, so the
    batch size trades its latency against a lone document's throughput; with several workers the
    batches finish staggered, which cuts that wait. next_batch cuts batches that several requests
    share to first_batch_size, so only a request alone gets max_batch_size.
    The service's defaults and their measurements: services/backend/README.md.
    """

    def __init__(
        self,
        translate_batch: TranslateBatch,
        *,
        workers: int = 1,
        max_batch_tokens: int = 4096,
        max_batch_size: int = 8,
        max_wait_s: float = 0.005,
        first_batch_size: int = 4,
        observer: BatchObserver | None = None,
        bucket_of: BucketOf | None = None,
    ) -> None:
        if (
            min(workers, max_batch_tokens, max_batch_size) < 1
            or min(max_wait_s, first_batch_size) < 0
        ):
            raise ValueError("workers and batch bounds must be positive, max_wait_s not negative")
        self._translate_batch = translate_batch
        self._workers = workers
        self._max_batch_tokens = max_batch_tokens
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._first_batch_size = first_batch_size
        self._observer = observer
        self._bucket_of = bucket_of
        self._queues: Queues = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._arrived: asyncio.Event | None = None
        self._free_workers: asyncio.Semaphore | None = None
        #: Each batch in the engine, by the task that waits for it.
        self._in_engine: dict[asyncio.Task[None], list[Entry]] = {}

    @property
    def queue_depth(self) -> int:
        """Return how many submitted segments wait for the engine (cancelled ones until dropped)."""
        return sum(len(queue) for queue in self._queues.values())

    async def start(self) -> None:
        """Start the worker threads and the batching task on the running loop."""
        if self._task is not None:
            raise RuntimeError("the scheduler is already started")
        self._arrived = asyncio.Event()
        self._free_workers = asyncio.Semaphore(self._workers)
        self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="engine")
        self._task = asyncio.create_task(self._run(), name="batch-scheduler")

    async def aclose(self) -> None:
        """Stop batching and fail every pending segment with EngineError."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        in_engine = self._in_engine
        self._in_engine = {}
        for batch_task in in_engine:
            batch_task.cancel()
        await asyncio.gather(*in_engine, return_exceptions=True)
        pending = [entry for batch in in_engine.values() for entry in batch]
        pending += [entry for queue in self._queues.values() for entry in queue]
        _fail(pending, EngineError("the translation service is shutting down"))
        self._queues.clear()
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
        self,
        request_id: str,
        token_seqs: Sequence[Sequence[str]],
        *,
        continuing: bool = False,
        more_to_come: bool = False,
    ) -> list[asyncio.Future[str]]:
        """Queue one request's segments; return one future per segment, in order.

        ``continuing``: more of a request submitted earlier, whose first segment is already queued.
        ``more_to_come``: the first part of a request submitted in parts (a long text planned
        chunk by chunk): its first segment gets a small batch however few segments this part has.
        """
        if self._task is None or self._arrived is None:
            raise EngineError("the translation service is not running")
        loop = asyncio.get_running_loop()
        many = (more_to_come or len(token_seqs) > self._first_batch_size) and not continuing
        bucket_of = self._bucket_of
        entries = [
            Entry(
                request_id,
                tokens,
                loop.create_future(),
                first_of_many=many and index == 0,
                bucket=bucket_of(tokens) if bucket_of else 0,
            )
            for index, tokens in enumerate(token_seqs)
        ]
        if entries:
            self._queues.setdefault(request_id, deque()).extend(entries)
            self._arrived.set()
            self._publish_depth()
        return [entry.future for entry in entries]

    async def _run(self) -> None:
        """Form batches and hand each to a free engine worker, as long as the scheduler lives."""
        assert self._arrived is not None
        assert self._free_workers is not None
        while True:
            await self._free_workers.acquire()
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
            if not batch:  # every queued segment had been cancelled
                self._free_workers.release()
                continue
            batch_task = asyncio.create_task(self._execute(batch), name="engine-batch")
            self._in_engine[batch_task] = batch  # aclose fails these if it interrupts them
            batch_task.add_done_callback(self._worker_freed)

    def _worker_freed(self, batch_task: asyncio.Task[None]) -> None:
        if self._in_engine.pop(batch_task, None) is not None and self._free_workers is not None:
            self._free_workers.release()

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
        """Run one batch in a worker thread and settle each of its futures."""
        loop = asyncio.get_running_loop()
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
