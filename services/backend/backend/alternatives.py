"""Alternative translations of a text from the engine's n-best lists (LibreTranslate's
``alternatives``). Framework-free and blocking: run it off the event loop.

Like Argos (under LibreTranslate), the k-th alternative of a text is its segments' k-th
hypotheses joined with the text's untranslated material; then, as LibreTranslate does, repeats and
copies of the main translation are dropped, so fewer than asked may come back. The engine is
called directly, outside the batch scheduler: alternatives are asked for rarely, with a small N
(ALTERNATIVES_LIMIT), and the cache never holds them.
"""

from __future__ import annotations

from typing import Protocol

from backend.segmentation import segment, split_segment


class NBestEngine(Protocol):
    """An engine that can return n-best lists (both of ours can)."""

    max_input_tokens: int

    def tokenize(self, texts: list[str]) -> list[list[str]]: ...

    def translate_alternatives(self, batch: list[list[str]], count: int) -> list[list[str]]: ...


def alternatives(engine: NBestEngine, text: str, best: str, count: int) -> list[str]:
    """Return up to count translations of text other than best, most likely first."""
    segmented = segment(text)
    segments = []
    for seg, tokens in zip(
        segmented.segments, engine.tokenize([s.text for s in segmented.segments]), strict=True
    ):
        if len(tokens) <= engine.max_input_tokens:
            segments.append(seg)
        else:
            count_tokens = lambda piece: len(engine.tokenize([piece])[0])  # noqa: E731
            segments.extend(split_segment(seg, count_tokens, engine.max_input_tokens))
    if not segments:
        return []
    batch = engine.tokenize([seg.text for seg in segments])
    hypotheses = engine.translate_alternatives(batch, count + 1)
    candidates = []
    for rank in range(1, count + 1):
        parts = [
            seg.finish(nbest[min(rank, len(nbest) - 1)])
            for seg, nbest in zip(segments, hypotheses, strict=True)
        ]
        candidates.append("".join(parts) + segmented.trailer)
    seen = {best, ""}
    unique = []
    for candidate in candidates:
        if candidate not in seen:
            seen.add(candidate)
            unique.append(candidate)
    return unique
