"""The LRU cache of segment translations."""

from __future__ import annotations

import pytest
from backend.cache import TranslationCache


def test_a_stored_translation_is_a_hit() -> None:
    cache = TranslationCache(10)
    cache.put(["▁Hallo", "▁Welt"], "Hello world")
    assert cache.get(("▁Hallo", "▁Welt")) == "Hello world"
    assert (cache.hits, cache.misses) == (1, 0)


def test_an_unknown_sequence_is_a_miss() -> None:
    cache = TranslationCache(10)
    assert cache.get(["▁Neu"]) is None
    assert (cache.hits, cache.misses) == (0, 1)


def test_the_least_recently_used_entry_is_evicted() -> None:
    cache = TranslationCache(2)
    cache.put(["a"], "A")
    cache.put(["b"], "B")
    assert cache.get(["a"]) == "A"  # "a" is now more recent than "b"
    cache.put(["c"], "C")
    assert len(cache) == 2
    assert cache.get(["b"]) is None
    assert cache.get(["a"]) == "A"
    assert cache.get(["c"]) == "C"


def test_putting_an_existing_key_replaces_it_without_growing() -> None:
    cache = TranslationCache(2)
    cache.put(["a"], "A")
    cache.put(["a"], "A2")
    assert len(cache) == 1
    assert cache.get(["a"]) == "A2"


def test_size_zero_disables_the_cache() -> None:
    cache = TranslationCache(0)
    cache.put(["a"], "A")
    assert not cache.enabled
    assert len(cache) == 0
    assert cache.get(["a"]) is None


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        TranslationCache(-1)
