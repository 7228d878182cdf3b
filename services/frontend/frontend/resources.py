"""Open and close everything a serving app needs: the backend client, databases, retry task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

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
    """What one serving app owns; `close()` releases it in reverse order."""

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

    async def close(self) -> None:
        """Stop the background tasks, then close the HTTP client and both database engines."""
        if self.migrating is not None:
            self.migrating.cancel()
            with contextlib.suppress(asyncio.CancelledError, StorageError):
                await self.migrating
        await self.pending.stop()
        await self.articles.aclose()
        await self.http.aclose()
        await self.readonly_engine.dispose()
        await self.engine.dispose()


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
    """Open the backend client and databases, run migrations and start the retry task."""
    timeout = httpx.Timeout(
        settings.backend_read_timeout_s, connect=settings.backend_connect_timeout_s
    )
    http = httpx.AsyncClient(base_url=settings.backend_url, timeout=timeout)
    engine = database.create_engine(
        settings.database_dsn(), pool_recycle_s=settings.database_pool_recycle_s
    )
    readonly_engine = database.create_readonly_engine(
        settings.readonly_database_dsn(),
        max_value_bytes=settings.max_stored_value_bytes,
        pool_recycle_s=settings.database_pool_recycle_s,
    )
    migrating = await _migrate_or_postpone(engine)
    repository = TranslationRepository(engine)
    pending = PendingSaves(repository, max_items=settings.pending_max_items)
    await pending.start()
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
    )
    return Resources(
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
        articles=Articles.open(settings, translating, http),
    )
