"""The application's SQLite engines hold a bounded number of connections and page caches.

Each pooled SQLite connection is an aiosqlite thread with its own page cache that fills as the
file grows, so the pool's bound and the cache's bound together cap what SQLite keeps in memory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy.exc
from frontend.storage import database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_app_connections_cap_their_page_cache(tmp_path: Path) -> None:
    """PRAGMA cache_size on an application connection is -SQLITE_PAGE_CACHE_KIB (KiB)."""
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    try:
        async with engine.connect() as connection:
            cache_size = (await connection.execute(text("PRAGMA cache_size"))).scalar_one()
    finally:
        await engine.dispose()
    assert cache_size == -database.SQLITE_PAGE_CACHE_KIB


async def _checkouts_until_refused(engine: AsyncEngine, limit: int) -> int:
    """Check out connections (holding them) until the pool refuses one; return how many it gave."""
    held = []
    try:
        for _ in range(limit):
            try:
                held.append(await engine.connect().start())
            except sqlalchemy.exc.TimeoutError:
                break
        return len(held)
    finally:
        for connection in held:
            await connection.close()


# tmp_path is shared by the examples: each one disposes of its engine before the next starts.
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pool_size=st.integers(1, 4), max_overflow=st.integers(0, 3))
def test_app_pool_never_holds_more_than_its_bound(
    tmp_path: Path, pool_size: int, max_overflow: int
) -> None:
    """At most pool_size + max_overflow SQLite connections are open at once."""

    async def run() -> int:
        engine = database.create_engine(
            f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout_s=0.05,
        )
        try:
            return await _checkouts_until_refused(engine, pool_size + max_overflow + 3)
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == pool_size + max_overflow


async def test_console_pool_never_holds_more_than_its_bound(tmp_path: Path) -> None:
    """The read-only console engine on SQLite is bounded as well (2 + 2 by default)."""
    path = tmp_path / "console.db"
    app = database.create_engine(f"sqlite+aiosqlite:///{path}")
    async with app.begin() as connection:
        await connection.execute(text("CREATE TABLE translations (id INTEGER PRIMARY KEY)"))
    await app.dispose()
    engine = database.create_readonly_engine(f"sqlite+aiosqlite:///{path}", pool_timeout_s=0.05)
    try:
        assert await _checkouts_until_refused(engine, 10) == 4
    finally:
        await engine.dispose()


async def test_an_in_memory_database_still_opens() -> None:
    """:memory: gets SQLAlchemy's single-connection pool, which takes no pool bounds."""
    engine = database.create_engine("sqlite+aiosqlite:///:memory:")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
