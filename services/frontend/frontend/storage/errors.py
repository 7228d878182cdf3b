"""Domain errors of the storage layer; callers never see SQLAlchemy or driver exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc


class StorageError(Exception):
    """A storage operation failed for a reason a retry will not fix."""


class StorageUnavailable(StorageError):
    """The database could not be reached or is busy; retrying later may succeed."""


class MigrationLockTimeout(StorageError):
    """Another replica held the migration lock for longer than we were willing to wait."""


class PendingSavesFull(StorageError):
    """The database is down and the in-memory queue of unsaved translations is full."""


# ER_NO_SUCH_TABLE: the schema is not migrated yet (the database came back before the migrations
# ran); a later retry succeeds, so a pending translation must be kept, not dropped.
_TRANSIENT_MYSQL_ERRNOS = frozenset({1146})


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn driver and SQLAlchemy exceptions into StorageUnavailable or StorageError."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError) as error:
        raise StorageUnavailable(_short(error)) from error
    except exc.TimeoutError as error:  # the pool had no free connection in time
        raise StorageUnavailable("no database connection available") from error
    except exc.DBAPIError as error:
        if error.connection_invalidated or _errno(error) in _TRANSIENT_MYSQL_ERRNOS:
            raise StorageUnavailable(_short(error)) from error
        raise StorageError(_short(error)) from error
    except exc.SQLAlchemyError as error:
        raise StorageError(_short(error)) from error
    except OSError as error:  # includes TimeoutError: the server did not answer
        raise StorageUnavailable(type(error).__name__) from error


def _short(error: Exception) -> str:
    """Describe a database error in one line, without the statement or its parameters."""
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {original}".splitlines()[0][:200]


def _errno(error: exc.DBAPIError) -> int | None:
    """Return the MySQL error number of a driver error (None for SQLite and others)."""
    args = getattr(error.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None
