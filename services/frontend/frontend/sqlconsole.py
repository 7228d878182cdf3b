"""The SQL console's core: run one read-only statement, bounded in time, memory, rows and bytes.

Locks, from the outside in: the statement policy (frontend.sqlpolicy, a parse in the database's
dialect; what runs is generated from the checked tree); at most `max_concurrent` statements at
once (others get QueryBusy, a 429); a separate engine whose account or connection can only
read, with SQLite's value length, column count and heap capped
(frontend.storage.database.create_readonly_engine); a read-only transaction; a statement
timeout enforced by the server (MySQL `max_execution_time`, MariaDB `max_statement_time`, which
the console cannot change: SET is refused) or by SQLite's progress handler, with an interrupt
and a client-side deadline behind them; and rows read one at a time into a result bounded in
rows, bytes per cell and bytes in all (frontend.sqlresult), so a huge result is never buffered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frontend.sqlpolicy import QueryError, QueryRefused, checked_statement
from frontend.sqlresult import BoundedRows, QueryResult, format_cell, notices, to_csv
from frontend.storage.database import DEADLINE_KEY

__all__ = [
    "QueryBusy",
    "QueryConsole",
    "QueryError",
    "QueryFailed",
    "QueryRefused",
    "QueryResult",
    "format_cell",
    "notices",
    "to_csv",
]

log = logging.getLogger(__name__)

# Server error codes meaning "stopped by the statement timeout": MySQL ER_QUERY_TIMEOUT,
# MariaDB ER_STATEMENT_TIMEOUT, and ER_QUERY_INTERRUPTED.
_TIMEOUT_ERRNOS = frozenset({3024, 1969, 1317})
# Client errors meaning "no server to talk to" (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR,
# CR_UNKNOWN_HOST, CR_SERVER_GONE_ERROR, CR_SERVER_LOST): say so without host or socket details.
_UNREACHABLE_ERRNOS = frozenset({2002, 2003, 2005, 2006, 2013})
_UNAVAILABLE = "The database is unavailable; try again later."
# The server's timeout (or SQLite's progress handler) fires first; SQLite's connection is
# interrupted this much later, and the client-side deadline is the last backstop.
_INTERRUPT_AFTER_S = 0.25
_CLIENT_GRACE_S = 0.75


class QueryFailed(QueryError):
    """The database refused or stopped the statement; the message says why in one line."""


class QueryBusy(QueryError):
    """Too many console statements are running; this one was not started."""


class QueryConsole:
    """Run operator SQL on the read-only engine; raise QueryRefused, QueryBusy or QueryFailed."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_rows: int = 1000,
        timeout_s: float = 5.0,
        max_cell_bytes: int = 65_536,
        max_result_bytes: int = 2 * 1024 * 1024,
        max_concurrent: int = 2,
    ) -> None:
        self._engine = engine
        self._max_rows = max_rows
        self._timeout_s = timeout_s
        self._max_cell_bytes = max_cell_bytes
        self._max_result_bytes = max_result_bytes
        self._max_concurrent = max_concurrent
        self._running = 0

    async def run(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        """Check `sql`, run it read-only within `timeout_s` and return its bounded result."""
        max_rows = max(1, max_rows or self._max_rows)
        timeout_s = timeout_s if timeout_s and timeout_s > 0 else self._timeout_s
        statement = checked_statement(sql, dialect=self._engine.dialect.name)
        if self._running >= self._max_concurrent:
            raise QueryBusy(
                f"{self._max_concurrent} console statements are running; try again in a moment."
            )
        self._running += 1
        try:
            return await self._run_bounded(statement, max_rows, timeout_s)
        finally:
            self._running -= 1

    async def _run_bounded(self, statement: str, max_rows: int, timeout_s: float) -> QueryResult:
        bounded = BoundedRows(max_rows, self._max_cell_bytes, self._max_result_bytes)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s + _CLIENT_GRACE_S):
                columns = await self._run_checked(statement, bounded, timeout_s)
        except TimeoutError as error:
            raise QueryFailed(_timeout_message(timeout_s)) from error
        except exc.DBAPIError as error:
            raise QueryFailed(_failure_message(error, timeout_s)) from error
        except exc.TimeoutError as error:
            raise QueryFailed("The console is busy; try again in a moment.") from error
        except (exc.SQLAlchemyError, OSError) as error:
            log.warning("console query failed: %s", type(error).__name__)
            raise QueryFailed(_UNAVAILABLE) from error
        elapsed_s = time.monotonic() - started
        if elapsed_s > timeout_s:
            # MySQL stops SLEEP() at max_execution_time without an error; still say it timed out.
            raise QueryFailed(_timeout_message(timeout_s))
        return bounded.result(columns, round(elapsed_s * 1000))

    async def _run_checked(
        self, statement: str, bounded: BoundedRows, timeout_s: float
    ) -> list[str]:
        # text() treats ':name' as a bind parameter; the generated SQL has none.
        clause = text(statement.replace(":", r"\:"))
        async with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                return await self._run_sqlite(conn, clause, bounded, timeout_s)
            return await self._run_mysql(conn, clause, bounded, timeout_s)

    async def _run_sqlite(
        self, conn: AsyncConnection, clause: Any, bounded: BoundedRows, timeout_s: float
    ) -> list[str]:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None, "a checked-out connection has its driver's"
        # Read by the progress handler installed on this connection (storage.database); the
        # interrupt stops a statement even inside one long opcode.
        raw.info[DEADLINE_KEY] = time.monotonic() + timeout_s
        loop = asyncio.get_running_loop()
        interrupt = loop.call_later(
            timeout_s + _INTERRUPT_AFTER_S, lambda: asyncio.ensure_future(driver.interrupt())
        )
        try:
            result = await conn.stream(clause)
            columns = list(result.keys())
            while (row := await result.fetchone()) is not None and bounded.add(tuple(row)):
                pass
            await result.close()
        finally:
            interrupt.cancel()
            raw.info[DEADLINE_KEY] = None
            await conn.rollback()
        return columns

    async def _run_mysql(
        self, conn: AsyncConnection, clause: Any, bounded: BoundedRows, timeout_s: float
    ) -> list[str]:
        await conn.execution_options(isolation_level="AUTOCOMMIT")  # our own transaction below
        # Set before every statement, so nothing a session did before could have changed it.
        if conn.dialect.is_mariadb:  # type: ignore[attr-defined]
            await conn.exec_driver_sql(f"SET SESSION max_statement_time = {float(timeout_s)}")
        else:
            await conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
        await conn.exec_driver_sql("START TRANSACTION READ ONLY")
        result = await conn.stream(clause)
        columns = list(result.keys())
        complete = False
        while (row := await result.fetchone()) is not None:
            if not bounded.add(tuple(row)):
                break
        else:
            complete = True
        if not complete:
            # Draining an unbuffered result reads every remaining row: drop the connection instead.
            await conn.invalidate()
            return columns
        await result.close()
        await conn.exec_driver_sql("ROLLBACK")
        return columns


def _timeout_message(timeout_s: float) -> str:
    return f"The query ran longer than the {timeout_s:g} s limit and was stopped."


def _failure_message(error: exc.DBAPIError, timeout_s: float) -> str:
    """Describe a driver error in one short line: the server's message, not a trace."""
    original = error.orig
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int):
        errno, message = args[0], str(args[1] if len(args) > 1 else "")
        if errno in _TIMEOUT_ERRNOS:
            return _timeout_message(timeout_s)
        if errno in _UNREACHABLE_ERRNOS or error.connection_invalidated:
            return _UNAVAILABLE
        text_ = f"{message} (error {errno})"
    else:
        text_ = str(original)
        if text_ == "interrupted":  # SQLite's progress handler stopped it at the deadline
            return _timeout_message(timeout_s)
    first_line = text_.strip().splitlines()[0] if text_.strip() else type(original).__name__
    return first_line[:300]
