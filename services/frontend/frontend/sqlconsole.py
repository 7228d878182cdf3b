"""The SQL console's core: run one read-only statement, bounded in time and rows, on its own engine.

Locks, from the outside in: the statement policy (frontend.sqlpolicy); a separate engine whose
account or connection can only read (frontend.storage.database.create_readonly_engine); a
read-only transaction; a statement timeout enforced by the server (MySQL `max_execution_time`,
MariaDB `max_statement_time`, SQLite a progress handler) and a client-side deadline behind it;
and a row cap, fetched as cap + 1 through a streaming cursor so a huge result is never buffered.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frontend.sqlpolicy import QueryError, QueryRefused, checked_statement
from frontend.storage.database import DEADLINE_KEY

__all__ = [
    "QueryConsole",
    "QueryError",
    "QueryFailed",
    "QueryRefused",
    "QueryResult",
    "format_cell",
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
# The server's own timeout should fire first; the client-side deadline is the backstop.
_CLIENT_GRACE_S = 2.0
_CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class QueryFailed(QueryError):
    """The database refused or stopped the statement; the message says why in one line."""


@dataclass(frozen=True)
class QueryResult:
    """Column names, at most max_rows rows, whether more rows were cut, and the time it took."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: int


class QueryConsole:
    """Run operator SQL on the read-only engine; raise QueryRefused or QueryFailed, never more."""

    def __init__(
        self, engine: AsyncEngine, *, max_rows: int = 1000, timeout_s: float = 5.0
    ) -> None:
        self._engine = engine
        self._max_rows = max_rows
        self._timeout_s = timeout_s

    async def run(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        """Check `sql`, run it read-only within `timeout_s` and return up to `max_rows` rows."""
        max_rows = max(1, max_rows or self._max_rows)
        timeout_s = timeout_s if timeout_s and timeout_s > 0 else self._timeout_s
        statement = checked_statement(sql, dialect=self._engine.dialect.name)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s + _CLIENT_GRACE_S):
                columns, rows = await self._run_checked(statement, max_rows, timeout_s)
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
        truncated = len(rows) > max_rows
        return QueryResult(columns, rows[:max_rows], truncated, round(elapsed_s * 1000))

    async def _run_checked(
        self, statement: str, max_rows: int, timeout_s: float
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        # text() treats ':name' as a bind parameter; the operator's SQL has none.
        clause = text(statement.replace(":", r"\:"))
        async with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                return await self._run_sqlite(conn, clause, max_rows, timeout_s)
            return await self._run_mysql(conn, clause, max_rows, timeout_s)

    async def _run_sqlite(
        self, conn: AsyncConnection, clause: Any, max_rows: int, timeout_s: float
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        raw = await conn.get_raw_connection()
        # Read by the progress handler installed on this connection (storage.database).
        raw.info[DEADLINE_KEY] = time.monotonic() + timeout_s
        try:
            result = await conn.stream(clause)
            rows = await result.fetchmany(max_rows + 1)
            columns = list(result.keys())
            await result.close()
        finally:
            raw.info[DEADLINE_KEY] = None
            await conn.rollback()
        return columns, [tuple(row) for row in rows]

    async def _run_mysql(
        self, conn: AsyncConnection, clause: Any, max_rows: int, timeout_s: float
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        await conn.execution_options(isolation_level="AUTOCOMMIT")  # our own transaction below
        if conn.dialect.is_mariadb:  # type: ignore[attr-defined]
            await conn.exec_driver_sql(f"SET SESSION max_statement_time = {float(timeout_s)}")
        else:
            await conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
        await conn.exec_driver_sql("START TRANSACTION READ ONLY")
        result = await conn.stream(clause)
        rows = await result.fetchmany(max_rows + 1)
        columns = list(result.keys())
        if len(rows) > max_rows:
            # Draining an unbuffered result reads every remaining row: drop the connection instead.
            await conn.invalidate()
            return columns, [tuple(row) for row in rows]
        await result.close()
        await conn.exec_driver_sql("ROLLBACK")
        return columns, [tuple(row) for row in rows]


def format_cell(value: Any) -> str:
    """Render one result value as text (NULL as an empty string, bytes as UTF-8 or hex)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + data.hex()
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(result: QueryResult) -> str:
    """Render a result as CSV, neutralising cells a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_safe(name) for name in result.columns])
    for row in result.rows:
        writer.writerow([_csv_safe(format_cell(value)) for value in row])
    return buffer.getvalue()


def _csv_safe(cell: str) -> str:
    # OWASP "CSV injection": a leading ' makes spreadsheets show the cell as text.
    return "'" + cell if cell.startswith(_CSV_FORMULA_PREFIXES) else cell


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
