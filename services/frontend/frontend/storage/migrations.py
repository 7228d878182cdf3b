"""A small versioned migration runner, safe when several frontend replicas start at once.

Each migration runs once, in order, and is recorded in `schema_version`. Concurrent runners
serialise on a lock: MySQL/MariaDB `GET_LOCK('ut_migrations', ...)` (a named lock held by the
session, https://dev.mysql.com/doc/refman/8.4/en/locking-functions.html), SQLite
`BEGIN IMMEDIATE` (the write lock, taken before reading the version). Whoever comes second
finds the work done and applies nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frontend.storage import documents, schema
from frontend.storage.errors import MigrationLockTimeout, StorageUnavailable, storage_errors

log = logging.getLogger(__name__)

LOCK_NAME = "ut_migrations"


@dataclass(frozen=True)
class Migration:
    """One schema step: its version number, a description and the DDL it applies."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_translations_v1(conn: Connection) -> None:
    """Create the translations table as version 1 defined it (frozen: later steps alter it)."""
    v1 = MetaData()
    table = Table(
        "translations",
        v1,
        Column("id", schema.ID, primary_key=True, autoincrement=True),
        Column("source_text", schema.LONG_TEXT, nullable=False),
        Column("translated_text", schema.LONG_TEXT, nullable=False),
        Column("source_lang", String(16), nullable=False),
        Column("target_lang", String(16), nullable=False),
        Column("model", String(255), nullable=False),
        Column("engine", String(32), nullable=False),
        Column("segments", Integer, nullable=False),
        Column("characters", Integer, nullable=False),
        Column("words", Integer, nullable=False),
        Column("duration_ms", Integer, nullable=False),
        Column("created_at", schema.UTC_DATETIME, nullable=False),
        Index("ix_translations_created_at", "created_at"),
        **schema.MYSQL_TABLE_OPTIONS,
    )
    # checkfirst: MySQL commits DDL at once, so a step may have run without its version row.
    table.create(conn, checkfirst=True)


def _add_segment_lengths_v2(conn: Connection) -> None:
    """Add the nullable segment_lengths column: where each sentence and its translation end."""
    # Checked first: MySQL commits DDL at once, so the column may exist without its version row.
    if "segment_lengths" in {c["name"] for c in inspect(conn).get_columns("translations")}:
        return
    column_type = schema.LONG_TEXT.compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE translations ADD COLUMN segment_lengths {column_type} NULL"))


def _add_article_source_v3(conn: Connection) -> None:
    """Add where an article by URL came from: its address and title (NULL for pasted text)."""
    present = {column["name"] for column in inspect(conn).get_columns("translations")}
    # Checked one by one: MySQL commits each ALTER at once, so a step may have half run.
    for name, sql_type in (("source_url", "VARCHAR(2048)"), ("title", "VARCHAR(500)")):
        if name not in present:
            conn.execute(text(f"ALTER TABLE translations ADD COLUMN {name} {sql_type} NULL"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create translations", _create_translations_v1),
    Migration(2, "store segment boundaries", _add_segment_lengths_v2),
    Migration(3, "add article source url and title", _add_article_source_v3),
    Migration(4, "create documents", documents.create_documents_v4),
)


async def migrate(engine: AsyncEngine, *, lock_timeout_s: float = 60.0) -> int:
    """Apply every pending migration under the cross-replica lock; return the schema version."""
    with storage_errors():
        async with engine.connect() as conn:
            # Autocommit at the driver, so the explicit lock and transaction statements are ours.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "sqlite":
                return await _migrate_sqlite(conn, lock_timeout_s)
            return await _migrate_mysql(conn, lock_timeout_s)


async def migrate_when_available(
    engine: AsyncEngine, *, initial_backoff_s: float = 1.0, max_backoff_s: float = 30.0
) -> int:
    """Migrate, retrying with capped backoff while the database is unreachable or locked."""
    backoff_s = initial_backoff_s
    while True:
        try:
            return await migrate(engine)
        except (StorageUnavailable, MigrationLockTimeout) as error:
            log.warning("migrations postponed, retrying in %.1f s: %s", backoff_s, error)
        await asyncio.sleep(backoff_s)
        backoff_s = min(backoff_s * 2, max_backoff_s)


async def current_version(engine: AsyncEngine) -> int:
    """Return the schema version recorded in the database (0 when nothing was applied)."""
    with storage_errors():
        async with engine.connect() as conn:
            return await conn.run_sync(_recorded_version)


async def _migrate_mysql(conn: AsyncConnection, lock_timeout_s: float) -> int:
    got = await conn.scalar(select(func.get_lock(LOCK_NAME, int(lock_timeout_s))))
    if got != 1:
        raise MigrationLockTimeout(f"{LOCK_NAME} still held after {lock_timeout_s:g} s")
    try:
        return await conn.run_sync(_apply_pending)
    finally:
        await conn.scalar(select(func.release_lock(LOCK_NAME)))


async def _migrate_sqlite(conn: AsyncConnection, lock_timeout_s: float) -> int:
    await _begin_immediate(conn, lock_timeout_s)
    try:
        version = await conn.run_sync(_apply_pending)
    except BaseException:
        await conn.exec_driver_sql("ROLLBACK")
        raise
    await conn.exec_driver_sql("COMMIT")
    return version


async def _begin_immediate(conn: AsyncConnection, lock_timeout_s: float) -> None:
    """Take SQLite's write lock, waiting (beyond the driver's busy timeout) up to the limit."""
    deadline = time.monotonic() + lock_timeout_s
    while True:
        try:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except Exception as error:
            if "locked" not in str(error):
                raise
            if time.monotonic() > deadline:
                message = f"SQLite still locked after {lock_timeout_s:g} s"
                raise MigrationLockTimeout(message) from error
            await asyncio.sleep(0.1)


def _recorded_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return 0
    return int(conn.scalar(select(func.max(schema.schema_version.c.version))) or 0)


def _apply_pending(conn: Connection) -> int:
    """Create the version table if needed, then apply and record each missing migration."""
    schema.schema_version.create(conn, checkfirst=True)
    version = _recorded_version(conn)
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        log.info("applying migration %d: %s", migration.version, migration.description)
        migration.apply(conn)
        conn.execute(
            schema.schema_version.insert().values(
                version=migration.version,
                description=migration.description,
                applied_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
        version = migration.version
    return version
