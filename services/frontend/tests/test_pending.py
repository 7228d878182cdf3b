"""Pending saves: a translation finished while the database is down is saved once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from frontend.storage import database, migrations
from frontend.storage.errors import PendingSavesFull
from frontend.storage.pending import PendingSaves
from frontend.storage.repository import TranslationRepository
from frontend.storage.schema import translations
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.servers import free_port
from testkit.waiting import until


class TcpProxy:
    """A loopback TCP forwarder we can cut and restore: the database "goes away" for real."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    def pause(self) -> None:
        """Stop forwarding bytes but keep every connection open: a silent network."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward bytes again."""
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._writers.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


@dataclass
class Outage:
    """A repository whose database can be taken down and brought back by the test."""

    repository: TranslationRepository
    down: Callable[[], Awaitable[None]]
    up: Callable[[], Awaitable[None]]
    engine: AsyncEngine
    proxy: TcpProxy | None = None


@pytest.fixture
async def outage(db_target, migrated_engine) -> AsyncIterator[Outage]:
    """SQLite: another connection holds an exclusive lock. MariaDB: the TCP path is cut."""
    if db_target.kind == "sqlite":
        holder = sqlite3.connect(db_target.url.split("///", 1)[1], isolation_level=None)
        engine = database.create_engine(db_target.url, connect_timeout_s=0.2)

        async def down() -> None:
            holder.execute("BEGIN EXCLUSIVE")

        async def up() -> None:
            holder.execute("ROLLBACK")

        yield Outage(TranslationRepository(engine), down, up, engine)
        await engine.dispose()
        holder.close()
        return
    proxy = TcpProxy(db_target.server.port)
    await proxy.start()
    url = make_url(db_target.url).set(port=proxy.port)
    engine = database.create_engine(url, connect_timeout_s=1)
    yield Outage(TranslationRepository(engine), proxy.stop, proxy.start, engine, proxy)
    await proxy.stop()
    await engine.dispose()


async def _count(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(translations))


async def test_saves_at_once_when_the_database_is_up(repository, make_translation):
    pending = PendingSaves(repository)
    result = await pending.save(make_translation())
    assert not result.pending
    assert result.id is not None
    assert await repository.get(result.id) is not None


async def test_unavailable_then_back_the_retry_task_saves_it(
    outage, migrated_engine, make_translation
):
    pending = PendingSaves(outage.repository, initial_backoff_s=0.05, max_backoff_s=0.2)
    await pending.start()
    try:
        await outage.down()
        finished_at = datetime.now(UTC)
        result = await pending.save(make_translation(source_text="Bitte nicht verlieren."))
        assert result.pending
        assert result.ticket is not None
        assert pending.status(result.ticket).state == "pending"
        assert pending.pending_count == 1
        await outage.up()
        await until(lambda: pending.status(result.ticket).state == "saved", timeout_s=15.0)
    finally:
        await pending.stop()
    saved_id = pending.status(result.ticket).id
    stored = await TranslationRepository(migrated_engine).get(saved_id)
    assert stored is not None
    assert stored.source_text == "Bitte nicht verlieren."
    # The row keeps the time the translation finished, not the time the retry succeeded.
    assert abs((stored.created_at - finished_at).total_seconds()) < 1
    assert pending.pending_count == 0


async def test_a_full_queue_refuses_more_and_keeps_what_it_holds(
    outage, migrated_engine, make_translation
):
    pending = PendingSaves(outage.repository, max_items=2)
    await outage.down()
    first = await pending.save(make_translation(source_text="eins"))
    second = await pending.save(make_translation(source_text="zwei"))
    with pytest.raises(PendingSavesFull):
        await pending.save(make_translation(source_text="drei"))
    await outage.up()
    assert await pending.retry_now()
    assert [pending.status(r.ticket).state for r in (first, second)] == ["saved", "saved"]
    assert pending.status(first.ticket).id < pending.status(second.ticket).id
    assert await _count(migrated_engine) == 2


async def test_stop_makes_a_last_attempt(outage, migrated_engine, make_translation):
    pending = PendingSaves(outage.repository)
    await outage.down()
    result = await pending.save(make_translation())
    await outage.up()
    await pending.stop()
    assert pending.status(result.ticket).state == "saved"
    assert await _count(migrated_engine) == 1


async def test_an_unknown_ticket_is_reported_as_unknown(repository):
    assert PendingSaves(repository).status("no-such-ticket").state == "unknown"


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_a_row_the_database_refuses_is_marked_failed_and_the_rest_saved(
    outage, migrated_engine, make_translation
):
    pending = PendingSaves(outage.repository)
    await outage.down()
    refused = await pending.save(make_translation(source_lang="x" * 40))  # VARCHAR(16), strict
    kept = await pending.save(make_translation())
    await outage.up()
    assert await pending.retry_now()
    assert pending.status(refused.ticket).state == "failed"
    assert pending.status(kept.ticket).state == "saved"
    assert await _count(migrated_engine) == 1


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_a_silent_database_is_treated_as_unavailable(
    outage, migrated_engine, make_translation
):
    """A partition (no refusal, just silence) bounds the save instead of holding the page."""
    pending = PendingSaves(outage.repository, save_timeout_s=0.5)
    await outage.repository.ping()  # a pooled connection through the proxy
    outage.proxy.pause()
    started = time.monotonic()
    result = await pending.save(make_translation())
    assert result.pending
    assert time.monotonic() - started < 3
    outage.proxy.resume()
    await _wait_until_saved(pending, result.ticket)
    assert await _count(migrated_engine) == 1  # saved once: the cut INSERT never committed


async def _wait_until_saved(pending: PendingSaves, ticket: str) -> None:
    await until(pending.retry_now, timeout_s=15.0, interval_s=0.1, what="every pending save stored")
    assert pending.status(ticket).state == "saved"


async def test_a_translation_saved_before_the_schema_exists_waits_for_it(engine, make_translation):
    """The database answers but migrations have not run yet: keep the row, save it after."""
    repository = TranslationRepository(engine)
    pending = PendingSaves(repository)
    result = await pending.save(make_translation())
    assert result.pending
    await migrations.migrate_when_available(engine)
    await _wait_until_saved(pending, result.ticket)
    assert await _count(engine) == 1


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_migrations_wait_for_the_database_to_come_back(outage, mariadb):
    mariadb.admin("DROP TABLE IF EXISTS ut_app.translations, ut_app.schema_version")
    await outage.down()
    task = asyncio.create_task(
        migrations.migrate_when_available(outage.engine, initial_backoff_s=0.1)
    )
    await asyncio.sleep(0.5)
    assert not task.done()
    await outage.up()
    async with asyncio.timeout(15):
        assert await task == migrations.MIGRATIONS[-1].version
