"""Migrations: versioned, idempotent, and safe when several replicas start at once."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from frontend.storage import database, migrations, schema
from frontend.storage.errors import MigrationLockTimeout
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

LATEST = migrations.MIGRATIONS[-1].version


async def _versions(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(schema.schema_version.c.version))
        return sorted(row[0] for row in rows)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_an_empty_database_is_at_version_zero(engine):
    assert await migrations.current_version(engine) == 0


async def test_migrate_creates_the_tables_and_records_each_version(engine):
    assert await migrations.migrate(engine) == LATEST
    assert {"translations", "schema_version"} <= await _tables(engine)
    assert await _versions(engine) == [m.version for m in migrations.MIGRATIONS]
    assert await migrations.current_version(engine) == LATEST


async def test_migrating_again_changes_nothing(engine):
    await migrations.migrate(engine)
    assert await migrations.migrate(engine) == LATEST
    assert await _versions(engine) == [m.version for m in migrations.MIGRATIONS]


async def test_concurrent_migrators_apply_each_version_once(db_target):
    """Six replicas starting at once, each with its own engine, end with one schema."""
    engines = [database.create_engine(db_target.url) for _ in range(6)]
    try:
        results = await asyncio.gather(*(migrations.migrate(e) for e in engines))
        assert results == [LATEST] * len(engines)
        assert await _versions(engines[0]) == [m.version for m in migrations.MIGRATIONS]
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))


async def test_a_held_lock_makes_migrate_wait_then_give_up(db_target, engine):
    """Another replica holding the migration lock past the limit yields MigrationLockTimeout."""
    if db_target.kind == "sqlite":
        path = db_target.url.split("///", 1)[1]
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(MigrationLockTimeout):
                await migrations.migrate(engine, lock_timeout_s=0.5)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        async with engine.connect() as holder:
            assert await holder.scalar(text("SELECT GET_LOCK('ut_migrations', 0)")) == 1
            with pytest.raises(MigrationLockTimeout):
                await migrations.migrate(engine, lock_timeout_s=1)
            await holder.scalar(text("SELECT RELEASE_LOCK('ut_migrations')"))
    assert await migrations.migrate(engine) == LATEST


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_mariadb_tables_are_utf8mb4_with_long_text(migrated_engine):
    async with migrated_engine.connect() as conn:
        collation = await conn.scalar(
            text(
                "SELECT table_collation FROM information_schema.tables"
                " WHERE table_schema = DATABASE() AND table_name = 'translations'"
            )
        )
        kinds = dict(
            (
                await conn.execute(
                    text(
                        "SELECT column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = DATABASE() AND table_name = 'translations'"
                    )
                )
            ).all()
        )
    assert collation.startswith("utf8mb4")
    assert kinds["source_text"] == kinds["translated_text"] == "longtext"


async def test_the_migrated_tables_match_what_the_repository_queries(migrated_engine):
    def columns(sync_conn) -> dict[str, set[str]]:
        inspector = inspect(sync_conn)
        return {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in schema.metadata.tables
        }

    async with migrated_engine.connect() as conn:
        found = await conn.run_sync(columns)
    assert found == {name: set(t.columns.keys()) for name, t in schema.metadata.tables.items()}
