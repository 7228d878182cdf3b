"""The translation repository: save, get and search, on SQLite and on MariaDB."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from frontend.storage import database
from frontend.storage.errors import StorageUnavailable
from frontend.storage.repository import TranslationRepository
from frontend.storage.schema import translations
from sqlalchemy import func, select


async def test_save_returns_the_id_and_get_returns_every_field(repository, make_translation):
    new = make_translation(segments=3, characters=120, words=20, duration_ms=345)
    before = datetime.now(UTC)
    saved_id = await repository.save(new)
    stored = await repository.get(saved_id)
    assert stored is not None
    assert stored.id == saved_id
    for field in ("source_text", "translated_text", "source_lang", "target_lang", "model"):
        assert getattr(stored, field) == getattr(new, field)
    assert (stored.engine, stored.segments, stored.characters) == ("ctranslate2", 3, 120)
    assert (stored.words, stored.duration_ms) == (20, 345)
    assert stored.created_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= stored.created_at <= datetime.now(UTC)


async def test_ids_increase(repository, make_translation):
    first = await repository.save(make_translation())
    second = await repository.save(make_translation())
    assert second > first


async def test_get_of_an_unknown_id_returns_none(repository):
    assert await repository.get(987654) is None


async def test_long_text_and_four_byte_characters_round_trip(repository, make_translation):
    source = ("Grüße aus Köln 🚀 — straße ẞ. " * 8000).strip()  # ~240 000 characters
    saved_id = await repository.save(make_translation(source_text=source, translated_text="🎉"))
    stored = await repository.get(saved_id)
    assert stored is not None
    assert stored.source_text == source
    assert stored.translated_text == "🎉"


async def test_a_given_creation_time_is_kept_in_utc(repository, make_translation):
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    saved_id = await repository.save(make_translation(created_at=moment))
    stored = await repository.get(saved_id)
    assert stored is not None
    assert stored.created_at == moment


async def test_search_without_query_lists_newest_first_by_pages(repository, make_translation):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [
        await repository.save(make_translation(created_at=start + timedelta(minutes=i)))
        for i in range(7)
    ]
    first = await repository.search(None, page=1, per_page=3)
    last = await repository.search("", page=3, per_page=3)
    assert [t.id for t in first.items] == ids[::-1][:3]
    assert [t.id for t in last.items] == [ids[0]]
    assert (first.total, first.pages, first.has_next, first.has_previous) == (7, 3, True, False)
    assert (last.has_next, last.has_previous) == (False, True)


async def test_search_matches_source_or_translation(repository, make_translation):
    in_source = await repository.save(make_translation(source_text="Der Apfelbaum blüht."))
    in_target = await repository.save(make_translation(translated_text="An apple tree."))
    await repository.save(make_translation(source_text="Birne", translated_text="pear"))
    found = await repository.search("apfel", page=1, per_page=10)
    assert [t.id for t in found.items] == [in_source]
    found = await repository.search("apple", page=1, per_page=10)
    assert [t.id for t in found.items] == [in_target]


@pytest.mark.parametrize("term", ["100%", "a_b", "x/y", "back\\slash", "'; DROP TABLE x; --"])
async def test_search_treats_wildcards_and_quotes_literally(repository, make_translation, term):
    wanted = await repository.save(make_translation(source_text=f"before {term} after"))
    await repository.save(make_translation(source_text="before 1000 aXb xy backslash after"))
    found = await repository.search(term, page=1, per_page=10)
    assert [t.id for t in found.items] == [wanted]
    assert found.total == 1


async def test_search_for_everything_sql_like_leaves_the_table_intact(
    repository, migrated_engine, make_translation
):
    await repository.save(make_translation())
    found = await repository.search("%' OR '1'='1", page=1, per_page=10)
    assert found.total == 0
    async with migrated_engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(translations)) == 1


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 101), (-1, 5)])
async def test_search_refuses_bad_paging(repository, page, per_page):
    with pytest.raises(ValueError, match="page"):
        await repository.search(None, page=page, per_page=per_page)


async def test_ping_answers_when_the_database_is_up(repository):
    await repository.ping()


async def test_an_unreachable_database_raises_storage_unavailable(db_target, tmp_path):
    if db_target.kind == "sqlite":
        # A directory where the file should be: SQLite cannot open it.
        (tmp_path / "occupied.db").mkdir()
        url = f"sqlite+aiosqlite:///{tmp_path / 'occupied.db'}"
    else:
        from testkit.servers import free_port

        url = f"mysql+asyncmy://nobody:nothing@127.0.0.1:{free_port()}/none"
    engine = database.create_engine(url, connect_timeout_s=1)
    try:
        with pytest.raises(StorageUnavailable):
            await TranslationRepository(engine).ping()
    finally:
        await engine.dispose()
        await _aiosqlite_threads_finished()


async def _aiosqlite_threads_finished() -> None:
    """Wait for aiosqlite's worker threads while this loop still runs.

    After a failed connect, aiosqlite queues its own stop and answers it later from its thread;
    if the test's loop closed first, that answer raises in the thread (an unhandled exception).
    """
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)
