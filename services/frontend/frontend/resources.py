"""Open and close everything a serving app needs: the backend client, databases, retry task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frontend.articles.pipeline import Articles
from frontend.backend_client import BackendClient
from frontend.config import Settings
from frontend.saving import SaveOutcome
from frontend.sqlconsole import QueryConsole
from frontend.storage import database, migrations
from frontend.storage.errors import MigrationLockTimeout, StorageError, StorageUnavailable
from frontend.storage.models import NewTranslation
from frontend.storage.pending import PendingSaves
from frontend.storage.repository import TranslationRepository
from frontend.translating import Translating

log = logging.getLogger(__name__)


class PendingSaver:
    """Save through PendingSaves, which keeps the translation in memory while the DB is down."""

    def __init__(self, pending: PendingSaves) -> None:
        self._pending = pending

    async def save(self, new: NewTranslation) -> SaveOutcome:
        """Store `new` now, or queue it for the retry task and say it is not saved yet."""
        result = await self._pending.save(new)
        return SaveOutcome(id=result.id, ticket=result.ticket)


@dataclass
class Resources:
    """What one serving app owns; `close()` releases it in the reverse order of opening."""

    http: httpx.AsyncClient
    backend: BackendClient
    engine: AsyncEngine
    readonly_engine: AsyncEngine
    repository: TranslationRepository
    pending: PendingSaves
    migrating: asyncio.Task[int] | None
    console: QueryConsole
    translating: Translating
    articles: Articles
    exits: contextlib.AsyncExitStack = field(repr=False)

    async def close(self) -> None:
        """Stop the background tasks, then close the HTTP clients and both database engines."""
        await self.exits.aclose()


async def _cancel(task: asyncio.Task[int]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, StorageError):
        await task


def _backend_http(settings: Settings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        settings.backend_read_timeout_s, connect=settings.backend_connect_timeout_s
    )
    return httpx.AsyncClient(base_url=settings.backend_url, timeout=timeout)


async def _migrate_or_postpone(engine: AsyncEngine) -> asyncio.Task[int] | None:
    """Migrate now; if the database is not there yet, keep trying in the background."""
    try:
        await migrations.migrate(engine)
    except (StorageUnavailable, MigrationLockTimeout) as error:
        # The app still serves: translations wait as pending saves and /readyz says 503.
        log.warning("database not ready for migrations, retrying in the background: %s", error)
        return asyncio.create_task(migrations.migrate_when_available(engine), name="migrations")
    return None


async def open_resources(settings: Settings) -> Resources:
    """Open the backend client and databases, run migrations and start the retry task.

    Whatever was opened is closed again when a later step fails (the exit stack's promise).
    """
    async with contextlib.AsyncExitStack() as exits:
        http = _backend_http(settings)
        exits.push_async_callback(http.aclose)
        engine = database.create_engine(
            settings.database_dsn(), pool_recycle_s=settings.database_pool_recycle_s
        )
        exits.push_async_callback(engine.dispose)
        readonly_engine = database.create_readonly_engine(
            settings.readonly_database_dsn(),
            max_value_bytes=settings.max_stored_value_bytes,
            pool_recycle_s=settings.database_pool_recycle_s,
        )
        exits.push_async_callback(readonly_engine.dispose)
        migrating = await _migrate_or_postpone(engine)
        if migrating is not None:
            exits.push_async_callback(_cancel, migrating)
        repository = TranslationRepository(engine)
        pending = PendingSaves(repository, max_items=settings.pending_max_items)
        await pending.start()
        exits.push_async_callback(pending.stop)
        backend = BackendClient(
            http,
            source_lang=settings.source_lang,
            target_lang=settings.target_lang,
            stream_idle_timeout_s=settings.backend_stream_idle_timeout_s,
        )
        translating = Translating(
            backend,
            PendingSaver(pending),
            source_lang=settings.source_lang,
            target_lang=settings.target_lang,
            stream_attempts=settings.backend_stream_attempts,
            unavailable_wait_s=settings.backend_unavailable_wait_s,
        )
        articles = Articles.open(settings, translating, http)
        exits.push_async_callback(articles.aclose)
        resources = Resources(
            http=http,
            backend=backend,
            engine=engine,
            readonly_engine=readonly_engine,
            repository=repository,
            pending=pending,
            migrating=migrating,
            console=QueryConsole(
                readonly_engine,
                max_rows=settings.query_max_rows,
                timeout_s=settings.query_timeout_s,
                max_cell_bytes=settings.query_max_cell_bytes,
                max_result_bytes=settings.query_max_result_bytes,
                max_concurrent=settings.query_max_concurrent,
            ),
            translating=translating,
            articles=articles,
            # Opened: from here on Resources.close() owns the closing.
            exits=exits.pop_all(),
        )
    return resources
