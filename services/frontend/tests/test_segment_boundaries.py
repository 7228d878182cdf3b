"""Segment boundaries stored with each translation (migration 2), on SQLite and on MariaDB."""

from __future__ import annotations

from frontend.storage import migrations, schema
from frontend.storage.repository import TranslationRepository
from sqlalchemy import inspect, select, text


async def test_segment_lengths_round_trip(repository, make_translation):
    lengths = tuple((n, n + 1) for n in range(1, 4000))  # a long document's worth
    new = make_translation(segment_lengths=lengths)
    stored = await repository.get(await repository.save(new))
    assert stored.segment_lengths == lengths


async def test_a_translation_saved_without_lengths_reads_back_without_them(
    repository, make_translation
):
    stored = await repository.get(await repository.save(make_translation()))
    assert stored.segment_lengths is None


async def test_migration_2_adds_the_column_to_a_version_1_database_keeping_its_rows(
    engine, make_translation
):
    """A database left at version 1 (rows and all) gains segment_lengths, NULL for old rows."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.run_sync(schema.schema_version.create)
        await conn.run_sync(migrations.MIGRATIONS[0].apply)
        await conn.execute(
            schema.schema_version.insert().values(
                version=1, description="create translations", applied_at=text("CURRENT_TIMESTAMP")
            )
        )
        await conn.execute(
            text(
                "INSERT INTO translations (source_text, translated_text, source_lang, target_lang,"
                " model, engine, segments, characters, words, duration_ms, created_at) VALUES"
                " ('Alt.', 'Old.', 'de', 'en', 'm', 'e', 1, 4, 1, 1, CURRENT_TIMESTAMP)"
            )
        )
    assert await migrations.current_version(engine) == 1

    assert await migrations.migrate(engine) >= 2

    async with engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("translations")}
        )
    assert "segment_lengths" in columns
    repository = TranslationRepository(engine)
    (old,) = (await repository.search(None)).items
    assert (old.source_text, old.segment_lengths) == ("Alt.", None)
    new_id = await repository.save(make_translation(segment_lengths=((4, 4),)))
    assert (await repository.get(new_id)).segment_lengths == ((4, 4),)


async def test_migration_2_finding_its_column_already_there_records_itself(engine):
    """MySQL commits DDL at once: a step cut off after its ALTER must still complete later."""
    await migrations.migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(
            schema.schema_version.delete().where(schema.schema_version.c.version >= 2)
        )
    assert await migrations.current_version(engine) == 1
    assert await migrations.migrate(engine) >= 2
    async with engine.connect() as conn:
        versions = set((await conn.execute(select(schema.schema_version.c.version))).scalars())
    assert 2 in versions
