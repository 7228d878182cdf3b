"""Translated documents: the file and its metadata in the database, kept for a retention period.

Every frontend replica reads the same table, so a download works wherever Traefik sends it and
whichever replica did the upload; nothing is written to a replica's disk, which Swarm may move.
Rows older than DOCUMENT_RETENTION are not served and are deleted whenever a document is saved.
Migration 4 creates the table (migrations.py registers ``create_documents_v4``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Integer, LargeBinary, MetaData, String, Table, select
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncEngine

from frontend.storage import schema
from frontend.storage.errors import storage_errors

#: Seven days: long enough to come back for a file, short enough that files do not pile up.
DOCUMENT_RETENTION = timedelta(days=7)
# MySQL BLOB stops at 64 KiB; LONGBLOB holds up to 4 GiB (our files: MAX_FILE_BYTES at most).
LONG_BLOB = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

metadata = MetaData()
documents = Table(
    "documents",
    metadata,
    Column("id", schema.ID, primary_key=True, autoincrement=True),
    Column("filename", String(255), nullable=False),
    Column("format", String(16), nullable=False),
    Column("source_bytes", Integer, nullable=False),
    Column("translated_filename", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("content", LONG_BLOB, nullable=False),
    Column("translated_bytes", Integer, nullable=False),
    Column("blocks", Integer, nullable=False),
    Column("segments", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("created_at", schema.UTC_DATETIME, nullable=False, index=True),
    # Never reuse an id once its row expired: an old link must not open a newer document.
    sqlite_autoincrement=True,
    **schema.MYSQL_TABLE_OPTIONS,
)


def create_documents_v4(conn: Connection) -> None:
    """Create the documents table (migration 4; frozen once released)."""
    documents.create(conn, checkfirst=True)


@dataclass(frozen=True)
class NewDocument:
    """A translated document to store."""

    filename: str
    format: str
    source_bytes: int
    translated_filename: str
    media_type: str
    content: bytes
    blocks: int
    segments: int
    duration_ms: int


@dataclass(frozen=True)
class StoredDocument:
    """A stored document's metadata (content only when asked for)."""

    id: int
    filename: str
    format: str
    source_bytes: int
    translated_filename: str
    media_type: str
    translated_bytes: int
    blocks: int
    segments: int
    duration_ms: int
    created_at: datetime
    content: bytes | None = None

    @property
    def expires_at(self) -> datetime:
        """Return when the document stops being served."""
        return self.created_at + DOCUMENT_RETENTION


_METADATA = [column for column in documents.c if column.name != "content"]


class DocumentRepository:
    """The documents table behind dataclasses; raises StorageError/StorageUnavailable."""

    def __init__(self, engine: AsyncEngine, *, now: Any = None) -> None:
        self._engine = engine
        self._now = now or (lambda: datetime.now(UTC))

    async def save(self, new: NewDocument) -> int:
        """Delete expired documents, insert `new`, return its id."""
        now = self._now().astimezone(UTC).replace(tzinfo=None)
        values = {**asdict(new), "translated_bytes": len(new.content), "created_at": now}
        with storage_errors():
            async with self._engine.begin() as conn:
                await conn.execute(
                    documents.delete().where(documents.c.created_at < now - DOCUMENT_RETENTION)
                )
                result = await conn.execute(documents.insert().values(**values))
                key = result.inserted_primary_key
                assert key is not None, "an INSERT of one row has its primary key"
                return int(key[0])

    async def get(self, document_id: int, *, with_content: bool = False) -> StoredDocument | None:
        """Return the document with this id unless it is unknown or expired."""
        columns = list(documents.c) if with_content else _METADATA
        statement = select(*columns).where(
            documents.c.id == document_id, documents.c.created_at >= self._oldest()
        )
        with storage_errors():
            async with self._engine.connect() as conn:
                row = (await conn.execute(statement)).mappings().first()
        return None if row is None else _stored(row)

    async def recent(self, limit: int = 20) -> list[StoredDocument]:
        """Return the newest documents still within the retention period (no content)."""
        statement = (
            select(*_METADATA)
            .where(documents.c.created_at >= self._oldest())
            .order_by(documents.c.created_at.desc(), documents.c.id.desc())
            .limit(limit)
        )
        with storage_errors():
            async with self._engine.connect() as conn:
                return [_stored(row) for row in (await conn.execute(statement)).mappings()]

    def _oldest(self) -> datetime:
        return (self._now() - DOCUMENT_RETENTION).astimezone(UTC).replace(tzinfo=None)


def _stored(row: Any) -> StoredDocument:
    values = dict(row)
    created_at = values["created_at"]
    if isinstance(created_at, str):  # SQLite without type detection hands back text
        created_at = datetime.fromisoformat(created_at)
    values["created_at"] = created_at.replace(tzinfo=UTC)
    return StoredDocument(**values)
