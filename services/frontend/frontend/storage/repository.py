"""Store, fetch and search translations through parameterised statements only."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from frontend.storage.errors import storage_errors
from frontend.storage.models import NewTranslation, Page, Translation
from frontend.storage.schema import translations

MAX_PER_PAGE = 100


class TranslationRepository:
    """The translations table behind plain dataclasses; raises StorageError/StorageUnavailable."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, new: NewTranslation) -> int:
        """Insert `new` and return its id (created_at defaults to now, UTC)."""
        values = asdict(new)
        values["created_at"] = _to_naive_utc(new.created_at or datetime.now(UTC))
        values["segment_lengths"] = _lengths_to_json(new.segment_lengths)
        with storage_errors():
            async with self._engine.begin() as conn:
                result = await conn.execute(translations.insert().values(**values))
                key = result.inserted_primary_key
                assert key is not None, "an INSERT of one row has its primary key"
                return int(key[0])

    async def get(self, translation_id: int) -> Translation | None:
        """Return the translation with this id, or None."""
        statement = select(translations).where(translations.c.id == translation_id)
        with storage_errors():
            async with self._engine.connect() as conn:
                row = (await conn.execute(statement)).mappings().first()
        return None if row is None else _translation(row)

    async def search(self, query: str | None, page: int = 1, per_page: int = 20) -> Page:
        """Return one page of translations, newest first, with `query` in source or translation."""
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"page must be >= 1 and per_page within 1..{MAX_PER_PAGE}")
        condition = _matching(query)
        count = select(func.count()).select_from(translations).where(condition)
        rows = (
            select(translations)
            .where(condition)
            .order_by(translations.c.created_at.desc(), translations.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        with storage_errors():
            async with self._engine.connect() as conn:
                total = int(await conn.scalar(count) or 0)
                items = [_translation(row) for row in (await conn.execute(rows)).mappings()]
        return Page(items=items, total=total, page=page, per_page=per_page)

    async def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers (for /readyz)."""
        with storage_errors():
            async with self._engine.connect() as conn:
                await conn.scalar(select(1))


def _matching(query: str | None) -> Any:
    """Build the search condition: a bound LIKE pattern with %, _ and the escape char escaped."""
    if query is None or not query.strip():
        return true()
    term = query.strip()
    # autoescape: the term is a bound parameter and its wildcards match themselves literally.
    return or_(
        translations.c.source_text.contains(term, autoescape=True),
        translations.c.translated_text.contains(term, autoescape=True),
    )


def _to_naive_utc(moment: datetime) -> datetime:
    """Store UTC without tzinfo: DATETIME columns have no zone, so UTC is the convention."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def _translation(row: Any) -> Translation:
    values = dict(row)
    created_at = values["created_at"]
    if isinstance(created_at, str):  # SQLite without type detection hands back text
        created_at = datetime.fromisoformat(created_at)
    values["created_at"] = created_at.replace(tzinfo=UTC)
    values["segment_lengths"] = _lengths_from_json(values.get("segment_lengths"))
    return Translation(**values)


def _lengths_to_json(lengths: tuple[tuple[int, int], ...] | None) -> str | None:
    # Compact JSON: a long document has thousands of segments.
    return None if lengths is None else json.dumps(lengths, separators=(",", ":"))


def _lengths_from_json(stored: str | None) -> tuple[tuple[int, int], ...] | None:
    """Read stored boundaries; anything unreadable counts as unknown (the page shows no pairs)."""
    if not stored:
        return None
    try:
        return tuple((int(source), int(translated)) for source, translated in json.loads(stored))
    except (ValueError, TypeError):
        return None
