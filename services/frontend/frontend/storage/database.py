"""Create the pooled async engines: the application's and the SQL console's read-only one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_

#: Key in a pooled connection's `info` holding the monotonic deadline of the running console query.
DEADLINE_KEY = "ut_deadline_monotonic"
#: Tables the SQL console may read on SQLite (enforced by an authorizer on its connections).
CONSOLE_TABLES = frozenset({"translations"})
# SQLite functions that reach outside the database; the console never needs them.
_DENIED_SQLITE_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "fts3_tokenizer"})
# Opcodes between two checks of the deadline: small enough to stop within milliseconds.
_PROGRESS_EVERY_OPCODES = 10_000
#: SQLite's heap for the whole process (sqlite3_hard_heap_limit64, via PRAGMA hard_heap_limit):
#: a console statement that sorts or builds too much fails with "out of memory" instead of
#: growing the frontend. The app's own connections need a few MiB.
SQLITE_HARD_HEAP_LIMIT_BYTES = 128 * 1024 * 1024
#: Page cache of each of the application's SQLite connections, in KiB (PRAGMA cache_size = -N).
#: Every pooled connection keeps its own cache, which fills as the file grows: the pool's bound
#: times this is what SQLite's page caches can hold, instead of a default nobody chose.
SQLITE_PAGE_CACHE_KIB = 1024
#: The application's pool: connections kept open, and how many more it may open at a peak.
APP_POOL_SIZE, APP_MAX_OVERFLOW = 5, 5
#: Columns of a console result (SQLITE_LIMIT_COLUMN): a row is at most this many values.
SQLITE_CONSOLE_MAX_COLUMNS = 100
# The default longest value of a console connection: enough for the longest stored text.
_DEFAULT_CONSOLE_MAX_VALUE_BYTES = 4 * 1_000_000 + 65_536


def is_sqlite(url: str | URL) -> bool:
    """Tell whether `url` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str | URL,
    *,
    pool_size: int = APP_POOL_SIZE,
    max_overflow: int = APP_MAX_OVERFLOW,
    pool_recycle_s: int = 280,
    pool_timeout_s: float = 10.0,
    connect_timeout_s: float = 5.0,
) -> AsyncEngine:
    """Create the application's pooled engine (MySQL/MariaDB via asyncmy, or SQLite)."""
    parsed = make_url(url)
    if is_sqlite(parsed):
        _ensure_sqlite_directory(parsed)
        # sqlite3's `timeout` is how long a statement waits for another connection's lock.
        # The pool is bounded as for MySQL (SQLAlchemy's default allows 15 connections, each an
        # aiosqlite thread with its own page cache).
        # An in-memory database gets SQLAlchemy's StaticPool: one connection, no pool to bound.
        pool = {
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout_s,
        }
        engine = create_async_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"timeout": connect_timeout_s},
            **({} if _in_memory(parsed) else pool),
        )
        event.listen(engine.sync_engine, "connect", _bound_sqlite_page_cache)
        return engine
    return create_async_engine(
        _with_utf8mb4(parsed),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Recycle below MySQL's wait_timeout and any proxy idle timeout (Swarm's IPVS drops idle
        # TCP after 900 s), so the pool never hands out a connection the network already closed.
        pool_recycle=pool_recycle_s,
        pool_pre_ping=True,
        pool_timeout=pool_timeout_s,
        connect_args={"connect_timeout": connect_timeout_s},
    )


def create_readonly_engine(
    url: str | URL,
    *,
    max_value_bytes: int = _DEFAULT_CONSOLE_MAX_VALUE_BYTES,
    pool_size: int = 2,
    max_overflow: int = 2,
    pool_recycle_s: int = 280,
    pool_timeout_s: float = 5.0,
    connect_timeout_s: float = 5.0,
) -> AsyncEngine:
    """Create the SQL console's engine: read-only at the connection, not just by convention.

    SQLite: the file is opened with mode=ro, `PRAGMA query_only`, an authorizer that allows
    reading only CONSOLE_TABLES and a progress handler that enforces each query's deadline;
    no value longer than `max_value_bytes` (SQLITE_LIMIT_LENGTH: randomblob, zeroblob, printf,
    replace… fail at once) and SQLite's heap capped for the process.
    MySQL/MariaDB: `url` must name the read-only account (SELECT on the app's database only);
    every session is also set to READ ONLY transactions.
    """
    parsed = make_url(url)
    if is_sqlite(parsed):
        engine = create_async_engine(
            _sqlite_readonly_url(parsed),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout_s,
            pool_pre_ping=True,
            pool_recycle=pool_recycle_s,
            connect_args={
                "timeout": connect_timeout_s,
                "factory": _limited_sqlite_connection(max_value_bytes),
            },
        )
        event.listen(engine.sync_engine, "connect", _lock_down_sqlite)
        return engine
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle_s=pool_recycle_s,
        pool_timeout_s=pool_timeout_s,
        connect_timeout_s=connect_timeout_s,
    )
    event.listen(engine.sync_engine, "connect", _read_only_mysql_session)
    return engine


def _with_utf8mb4(url: URL) -> URL:
    """Ask for utf8mb4 unless the URL already names a charset (German text needs 4-byte UTF-8)."""
    if "charset" in url.query:
        return url
    return url.update_query_dict({"charset": "utf8mb4"})


def _ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of an SQLite file (the default lives under ./data/)."""
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _in_memory(url: URL) -> bool:
    """Tell whether an SQLite URL names an in-memory database."""
    database = url.database or ""
    return (
        database in ("", ":memory:")
        or "mode=memory" in database
        or url.query.get("mode") == "memory"
    )


def _bound_sqlite_page_cache(dbapi_connection: Any, _connection_record: Any) -> None:
    """Cap a fresh application connection's page cache at SQLITE_PAGE_CACHE_KIB."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_PAGE_CACHE_KIB}")
    cursor.close()


def _sqlite_readonly_url(url: URL) -> URL:
    """Turn an SQLite URL into one opening the same file read-only (a `file:` URI, mode=ro)."""
    database = url.database or ""
    if not database or database == ":memory:":
        raise ValueError("the SQL console needs an SQLite file, not an in-memory database")
    if database.startswith("file:"):
        path = database.removeprefix("file:").split("?", 1)[0]
    else:
        path = str(Path(database).expanduser().resolve())
    return url.set(database=f"file:{path}").update_query_dict({"mode": "ro", "uri": "true"})


def _limited_sqlite_connection(max_value_bytes: int) -> type[sqlite3.Connection]:
    """Return a sqlite3.Connection class whose connections carry the console's limits.

    Set in the constructor, i.e. in aiosqlite's own thread, before any statement runs.
    """

    class LimitedConnection(sqlite3.Connection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_value_bytes)
            self.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, SQLITE_CONSOLE_MAX_COLUMNS)
            self.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 100_000)
            self.setlimit(sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 200)
            self.setlimit(sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 50)
            self.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            self.execute(f"PRAGMA hard_heap_limit = {SQLITE_HARD_HEAP_LIMIT_BYTES}")

    return LimitedConnection


def _lock_down_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Make a fresh SQLite console connection query-only, table-restricted and interruptible."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    # The authorizer cannot tell a table from a CTE by name, so it hides the real tables that are
    # not the console's (migrations create tables at start-up, before the console connects).
    cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    hidden = {str(name).lower() for (name,) in cursor.fetchall()} - CONSOLE_TABLES
    cursor.close()
    info = connection_record.info
    info[DEADLINE_KEY] = None

    def past_deadline() -> int:
        deadline = info.get(DEADLINE_KEY)
        return int(deadline is not None and time.monotonic() > deadline)

    driver = connection_record.driver_connection
    await_(driver.set_progress_handler(past_deadline, _PROGRESS_EVERY_OPCODES))
    await_(driver.set_authorizer(_console_authorizer(frozenset(hidden))))


def _console_authorizer(hidden: frozenset[str]) -> Callable[..., int]:
    """Build an authorizer allowing plain SELECTs that read no hidden or internal table."""

    def authorize(action: int, arg1: Any, arg2: Any, _db: Any, _source: Any) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            name = str(arg1).lower()
            if name not in hidden and not name.startswith("sqlite_"):
                return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() not in _DENIED_SQLITE_FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    return authorize


def _read_only_mysql_session(dbapi_connection: Any, _connection_record: Any) -> None:
    """Make every transaction of a console session read-only (a second lock behind the grants)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    cursor.close()
