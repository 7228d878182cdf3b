"""Migration 3: where an article came from, added to a database that already holds translations."""

from __future__ import annotations

from datetime import datetime

from frontend.storage import migrations, schema
from frontend.storage.repository import TranslationRepository
from sqlalchemy import text


async def test_existing_translations_survive_with_no_source(engine, make_translation):
    """A database at version 1 with a row gains the columns; the old row reads as pasted text."""
    async with engine.begin() as conn:
        await conn.run_sync(schema.schema_version.create)
        await conn.run_sync(migrations.MIGRATIONS[0].apply)  # version 1 as it was shipped
        await conn.execute(
            text(
                "INSERT INTO translations (source_text, translated_text, source_lang, target_lang,"
                " model, engine, segments, characters, words, duration_ms, created_at) VALUES"
                " ('Hallo.', 'Hello.', 'de', 'en', 'm', 'e', 1, 6, 1, 5, '2026-11-01 10:00:00')"
            )
        )
        await conn.execute(
            schema.schema_version.insert().values(
                version=1, description="create translations", applied_at=datetime(2026, 11, 1)
            )
        )
    assert await migrations.migrate(engine) == migrations.MIGRATIONS[-1].version
    repository = TranslationRepository(engine)
    (old,) = (await repository.search(None)).items
    assert (old.source_text, old.source_url, old.title) == ("Hallo.", None, None)


async def test_an_article_keeps_its_url_and_title(repository, make_translation):
    url = "https://www.example.de/" + "a" * 2000
    saved = await repository.save(make_translation(source_url=url, title="Ü" * 500))
    stored = await repository.get(saved)
    assert (stored.source_url, stored.title) == (url, "Ü" * 500)


async def test_migrating_twice_changes_nothing(migrated_engine):
    version = await migrations.current_version(migrated_engine)
    assert await migrations.migrate(migrated_engine) == version
