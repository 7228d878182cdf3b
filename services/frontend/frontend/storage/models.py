"""Plain data the storage layer takes and returns (no SQLAlchemy objects leak out)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NewTranslation:
    """A finished translation to store; `created_at` (UTC) defaults to the moment it is saved."""

    source_text: str
    translated_text: str
    source_lang: str
    target_lang: str
    model: str
    engine: str
    segments: int
    characters: int
    words: int
    duration_ms: int
    created_at: datetime | None = None
    #: Per segment (source characters, translated characters), in order; None when unknown.
    segment_lengths: tuple[tuple[int, int], ...] | None = None
    #: The web page an article was read from, and its title (None for pasted text).
    source_url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Translation:
    """A stored translation with its id and UTC creation time."""

    id: int
    source_text: str
    translated_text: str
    source_lang: str
    target_lang: str
    model: str
    engine: str
    segments: int
    characters: int
    words: int
    duration_ms: int
    created_at: datetime
    #: Per segment (source characters, translated characters); None for rows saved without them.
    segment_lengths: tuple[tuple[int, int], ...] | None = None
    source_url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of search results, newest first; `total` counts every match."""

    items: list[Translation]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1, so an empty result still has a page)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        """Tell whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Tell whether a page comes after this one."""
        return self.page < self.pages
