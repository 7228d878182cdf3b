"""Open and close everything a serving app needs: the backend client, databases, retry task."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frontend.backend_client import BackendClient
from frontend.config import Settings
from frontend.saving import SaveOutcome
from frontend.sqlconsole import QueryConsole
from frontend.storage import database, migrations
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
    console: QueryConsole
    translating: Translating

    async def close(self) -> None:
        """Stop the retry task, then close the HTTP client and both database engines."""
        await self.pending.stop()
        await self.http.aclose()
        await self.readonly_engine.dispose()
        await self.engine.dispose()


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
        settings.readonly_database_dsn(), pool_recycle_s=settings.database_pool_recycle_s
    )
    try:
        await migrations.migrate(engine)
    except Exception:
        # The app still starts: translations are kept as pending saves and /readyz says 503.
        log.exception("database migrations failed; continuing without a database")
    repository = TranslationRepository(engine)
    pending = PendingSaves(repository, max_items=settings.pending_max_items)
    await pending.start()
    backend = BackendClient(
        http, source_lang=settings.source_lang, target_lang=settings.target_lang
    )
    return Resources(
        http=http,
        backend=backend,
        engine=engine,
        readonly_engine=readonly_engine,
        repository=repository,
        pending=pending,
        console=QueryConsole(
            readonly_engine,
            max_rows=settings.query_max_rows,
            timeout_s=settings.query_timeout_s,
        ),
        translating=Translating(
            backend,
            PendingSaver(pending),
            source_lang=settings.source_lang,
            target_lang=settings.target_lang,
        ),
    )
