"""Each streamed segment names the source it translates, so clients can align the two."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.translator import Translator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCUMENT = (
    "Sehr geehrte Damen und Herren,\r\n\r\n"
    "wir danken z. B. Dr. Müller. Er kam am 3. Oktober 2026.\n"
    "  - Erster Punkt der Liste.  \n"
    "  - Zweiter Punkt.\n\n"
    "---\n"
    "Mit freundlichen Grüßen\n"
)
# Words, sentence ends, bullets and every kind of line break and space the segmenter handles.
PIECES = [*"abcÄß. !?-•1)\n\r\t\u2028", "Satz", "Dr.", "\r\n"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@pytest.fixture
async def translator(fake_engine) -> AsyncIterator[Translator]:
    # Three tokens at most: longer sentences are cut into pieces, each a segment of its own.
    fake_engine.max_input_tokens = 3
    async with BatchScheduler(fake_engine.translate_batch, max_batch_size=4) as scheduler:
        yield Translator(fake_engine, scheduler, TranslationCache(100))


async def test_each_segment_carries_its_own_source(translator) -> None:
    """The fake engine upper-cases: each segment's text is exactly its own source upper-cased."""
    parts = [part async for part in translator.stream(DOCUMENT, request_id="r")]
    assert len(parts) > 6  # the long sentences were cut to fit three tokens
    assert [part.text for part in parts] == [part.source.upper() for part in parts]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
async def test_the_sources_join_to_the_input_text(translator, text: str) -> None:
    """Joining every segment's source gives the text back, whatever its structure."""
    parts = [part async for part in translator.stream(text, request_id="r")]
    assert "".join(part.source for part in parts) == text
