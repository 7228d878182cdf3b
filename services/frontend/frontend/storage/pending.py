"""Keep finished translations in memory while the database is down, and save them when it is back.

Nothing the page calls saved is ever lost: a translation is "saved" only once the INSERT has
committed; until then it is "pending" here and retried with capped exponential backoff. The queue
is bounded: when it is full, `save` raises PendingSavesFull instead of growing without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from frontend.storage.errors import PendingSavesFull, StorageError, StorageUnavailable
from frontend.storage.models import NewTranslation
from frontend.storage.repository import TranslationRepository

log = logging.getLogger(__name__)

SaveState = Literal["saved", "pending", "failed", "unknown"]


@dataclass(frozen=True)
class SaveResult:
    """The outcome of `PendingSaves.save`: an id once stored, else a ticket to ask about later."""

    id: int | None
    ticket: str | None = None

    @property
    def pending(self) -> bool:
        """Tell whether the translation is not saved yet."""
        return self.id is None


@dataclass(frozen=True)
class SaveStatus:
    """Where a queued translation stands: pending, saved (with its id), failed or unknown."""

    state: SaveState
    id: int | None = None


class PendingSaves:
    """Save now, or keep in a bounded in-memory queue retried by a background task."""

    def __init__(
        self,
        repository: TranslationRepository,
        *,
        max_items: int = 1000,
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        remembered_outcomes: int = 1000,
        stop_flush_timeout_s: float = 5.0,
        save_timeout_s: float = 10.0,
    ) -> None:
        self._repository = repository
        self._max_items = max_items
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self._remembered = remembered_outcomes
        self._stop_flush_timeout_s = stop_flush_timeout_s
        self._save_timeout_s = save_timeout_s
        self._queue: OrderedDict[str, NewTranslation] = OrderedDict()
        self._outcomes: OrderedDict[str, SaveStatus] = OrderedDict()
        self._wake = asyncio.Event()
        self._retry_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending_count(self) -> int:
        """Return how many translations wait in memory for the database."""
        return len(self._queue)

    async def save(self, new: NewTranslation) -> SaveResult:
        """Store `new` now; if the database is unavailable, queue it and return a ticket."""
        # Stamp the finish time now, so a late save keeps the translation's real place in history.
        if new.created_at is None:
            new = replace(new, created_at=datetime.now(UTC))
        try:
            return SaveResult(id=await self._save_bounded(new))
        except StorageUnavailable as error:
            log.warning("database unavailable, keeping the translation in memory: %s", error)
        if len(self._queue) >= self._max_items:
            raise PendingSavesFull(
                f"the database is unavailable and {self._max_items} translations already wait"
            )
        ticket = uuid.uuid4().hex
        self._queue[ticket] = new
        self._remember(ticket, SaveStatus("pending"))
        self._wake.set()
        return SaveResult(id=None, ticket=ticket)

    def status(self, ticket: str) -> SaveStatus:
        """Return what became of the translation queued under `ticket`."""
        return self._outcomes.get(ticket, SaveStatus("unknown"))

    async def retry_now(self) -> bool:
        """Try to save every queued translation in order; return True when none is left."""
        async with self._retry_lock:
            for ticket, new in list(self._queue.items()):
                try:
                    translation_id = await self._save_bounded(new)
                except StorageUnavailable:
                    return False
                except StorageError as error:
                    # Not transient (the row itself is refused): retrying would never end.
                    log.error("dropping a pending translation the database refuses: %s", error)
                    self._queue.pop(ticket, None)
                    self._remember(ticket, SaveStatus("failed"))
                    continue
                self._queue.pop(ticket, None)
                self._remember(ticket, SaveStatus("saved", translation_id))
            return not self._queue

    async def start(self) -> None:
        """Start the background retry task (call once the event loop serves)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pending-saves")

    async def stop(self) -> None:
        """Stop the retry task, then make one last bounded attempt to save what is queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._queue:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._stop_flush_timeout_s):
                    await self.retry_now()
        if self._queue:
            log.error("stopping with %d translations not saved", len(self._queue))

    async def _run(self) -> None:
        """Retry while anything is queued, backing off exponentially up to max_backoff_s."""
        backoff_s = self._initial_backoff_s
        while True:
            await self._wake.wait()
            if await self.retry_now():
                self._wake.clear()
                backoff_s = self._initial_backoff_s
                continue
            # Jitter spreads the retries of several replicas that lost the database together.
            await asyncio.sleep(backoff_s * random.uniform(0.5, 1.0))
            backoff_s = min(backoff_s * 2, self._max_backoff_s)

    async def _save_bounded(self, new: NewTranslation) -> int:
        """Save, treating a database that does not answer in time as unavailable."""
        # A silent network (a partition, not a refusal) would otherwise hold the page for minutes.
        # If the INSERT did commit unseen, the retry stores it twice: a duplicate, never a loss.
        try:
            async with asyncio.timeout(self._save_timeout_s):
                return await self._repository.save(new)
        except TimeoutError as error:
            raise StorageUnavailable(f"no answer within {self._save_timeout_s:g} s") from error

    def _remember(self, ticket: str, status: SaveStatus) -> None:
        self._outcomes[ticket] = status
        self._outcomes.move_to_end(ticket)
        while len(self._outcomes) > self._remembered:
            oldest, state = next(iter(self._outcomes.items()))
            if state.state == "pending":  # never forget a translation still waiting
                break
            del self._outcomes[oldest]
