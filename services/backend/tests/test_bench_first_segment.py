"""make bench's first-segment figures measure what they claim: fresh texts of the stated size."""

from __future__ import annotations

from backend.segmentation import iter_segments
from benchmarks import first_segment
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=20, deadline=None)
@given(chars=st.integers(1, 30_000), run=st.integers(0, 5))
def test_a_long_text_has_exactly_the_asked_length(chars: int, run: int) -> None:
    assert len(first_segment.long_text(chars, run)) == chars


def test_no_two_runs_share_a_sentence() -> None:
    """Otherwise a later run's first segment would come from the cache."""
    texts = [first_segment.long_text(5_000, run) for run in range(2 * first_segment.RUNS)]
    sentences = [{seg.text for seg in iter_segments(text) if seg.text} for text in texts]
    for i, mine in enumerate(sentences):
        for theirs in sentences[i + 1 :]:
            assert not mine & theirs


def test_the_scrape_sums_a_metrics_labelled_samples() -> None:
    page = "\n".join(
        [
            "# HELP translation_backend_queue_depth Segments waiting for the engine",
            "translation_backend_queue_depth 3.0",
            'translation_backend_batch_duration_seconds_count{worker="a"} 2.0',
            'translation_backend_batch_duration_seconds_count{worker="b"} 5.0',
        ]
    )
    figures = first_segment._scrape(page)
    assert figures["translation_backend_queue_depth"] == 3.0
    assert figures["translation_backend_batch_duration_seconds_count"] == 7.0
