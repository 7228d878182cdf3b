"""Stored documents (migration 4): bytes and metadata kept, expired ones gone (SQLite, MariaDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontend.storage.documents import DOCUMENT_RETENTION, DocumentRepository, NewDocument

CONTENT = bytes(range(256)) * 400  # binary, with NUL bytes, over MySQL's 64 KiB BLOB


def new_document(**changes: object) -> NewDocument:
    values: dict[str, object] = {
        "filename": "Bericht über Straßen.docx",
        "format": "docx",
        "source_bytes": 12345,
        "translated_filename": "Bericht über Straßen.docx",
        "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "content": CONTENT,
        "blocks": 40,
        "segments": 77,
        "duration_ms": 1234,
    }
    values.update(changes)
    return NewDocument(**values)


async def test_a_document_comes_back_byte_for_byte_with_its_metadata(migrated_engine) -> None:
    """Content (binary, > 64 KiB) only when asked for; every field as saved."""
    repository = DocumentRepository(migrated_engine)
    document_id = await repository.save(new_document())
    stored = await repository.get(document_id, with_content=True)
    assert stored is not None
    assert stored.content == CONTENT
    assert (stored.filename, stored.format, stored.blocks, stored.segments) == (
        "Bericht über Straßen.docx",
        "docx",
        40,
        77,
    )
    assert stored.translated_bytes == len(CONTENT)
    assert stored.expires_at - stored.created_at == DOCUMENT_RETENTION
    metadata = await repository.get(document_id)
    assert metadata is not None
    assert metadata.content is None


async def test_expired_documents_are_not_served_and_are_deleted_on_the_next_save(
    migrated_engine,
) -> None:
    """After the retention period a document is gone from get and recent, then from the table."""
    clock = [datetime(2026, 12, 1, 12, tzinfo=UTC)]
    repository = DocumentRepository(migrated_engine, now=lambda: clock[0])
    old = await repository.save(new_document(filename="alt.txt"))
    clock[0] += DOCUMENT_RETENTION - timedelta(minutes=1)
    assert await repository.get(old) is not None
    clock[0] += timedelta(minutes=2)
    assert await repository.get(old) is None
    fresh = await repository.save(new_document(filename="neu.txt"))
    assert [d.filename for d in await repository.recent()] == ["neu.txt"]
    assert fresh > old  # ids are never reused, so an old link cannot open the new document
    clock[0] -= timedelta(days=30)  # even seen from the past, the old row has been deleted
    assert await repository.get(old) is None
