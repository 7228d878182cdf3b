"""An LRU cache of segment translations, so a repeated sentence costs nothing.

Keyed by the source token sequence (what the engine actually sees). Only touched from the event
loop, so it needs no lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence


class TranslationCache:
    """Remember up to max_entries segment translations, evicting the least recently used."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must not be negative (0 disables the cache)")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, ...], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def enabled(self) -> bool:
        """Tell whether the cache stores anything at all."""
        return self.max_entries > 0

    def get(self, tokens: Sequence[str]) -> str | None:
        """Return the cached translation of tokens, or None; count a hit or a miss."""
        if not self.enabled:
            return None
        key = tuple(tokens)
        translation = self._entries.get(key)
        if translation is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return translation

    def put(self, tokens: Sequence[str], translation: str) -> None:
        """Store the translation of tokens, evicting the least recently used entry if full."""
        if not self.enabled:
            return
        key = tuple(tokens)
        self._entries[key] = translation
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
