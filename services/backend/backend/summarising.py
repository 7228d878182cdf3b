"""Summarise an English text of any length with the summary engine, through a batch scheduler.

The text is cut at paragraph boundaries into chunks of at most ``chunk_tokens`` (a paragraph
longer than that is cut at sentences, then at token windows). Every chunk is summarised in one
request to the scheduler, so the chunks share engine batches. The chunk summaries give the key
points (the first sentence of each, evenly picked); joined, they are summarised again, level by
level, until one summary is left, cut to ``max_sentences``. Short texts are cut into up to
``max_points`` smaller chunks, so that they, too, get several key points.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pysbd

from backend.batching import BatchScheduler

#: Paragraphs are separated by blank lines (the translator keeps them).
_PARAGRAPHS = re.compile(r"\n\s*\n")
#: Chunks below this many tokens summarise badly; short texts are not cut finer.
MIN_CHUNK_TOKENS = 48
#: Combining levels at most (each shrinks the text by a chunk's summary ratio).
MAX_LEVELS = 4

Tokenize = Callable[[list[str]], list[list[str]]]


@dataclass(frozen=True, slots=True)
class Summarised:
    """A summary of a few sentences, its key points, and how many chunks were summarised."""

    summary: str
    key_points: tuple[str, ...]
    chunks: int


def sentences(text: str) -> list[str]:
    """Split English text into sentences (pysbd), without surrounding whitespace."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    return [s.strip() for s in segmenter.segment(" ".join(text.split())) if s.strip()]


def chunk(pieces: list[tuple[str, int]], budget_tokens: int) -> list[str]:
    """Pack (text, tokens) pieces in order into chunks of at most budget_tokens each.

    A piece alone over the budget becomes a chunk of its own; the caller has cut such pieces.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for text, tokens in pieces:
        if current and size + tokens > budget_tokens:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(text)
        size += tokens
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def pick_evenly(items: list[str], count: int) -> list[str]:
    """Return `count` items spread evenly over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


class Summariser:
    """Summarise texts through the summary engine's tokenizer and a shared scheduler."""

    def __init__(
        self,
        tokenize: Tokenize,
        scheduler: BatchScheduler,
        *,
        chunk_tokens: int,
        max_points: int = 5,
        max_sentences: int = 4,
    ) -> None:
        self._tokenize = tokenize
        self._scheduler = scheduler
        self._chunk_tokens = chunk_tokens
        self._max_points = max_points
        self._max_sentences = max_sentences

    async def summarise(self, text: str, *, request_id: str) -> Summarised:
        """Return the summary and key points of `text` (empty ones for a blank text)."""
        pieces = await asyncio.to_thread(self._pieces, text)
        total = sum(tokens for _, tokens in pieces)
        if not total:
            return Summarised("", (), 0)
        # Short texts: up to max_points chunks, so each gives one key point.
        budget = min(self._chunk_tokens, max(MIN_CHUNK_TOKENS, math.ceil(total / self._max_points)))
        chunks = chunk(pieces, budget)
        chunk_summaries = await self._summarise_all(chunks, request_id)
        points = [first[0] for s in chunk_summaries if (first := sentences(s))]
        summary = (
            chunk_summaries[0]
            if len(chunks) == 1
            else await self._combine(chunk_summaries, request_id)
        )
        kept = sentences(summary)[: self._max_sentences]
        return Summarised(
            summary=" ".join(kept),
            key_points=tuple(dict.fromkeys(pick_evenly(points, self._max_points))),
            chunks=len(chunks),
        )

    async def _combine(self, summaries: list[str], request_id: str) -> str:
        """Summarise the joined summaries, level by level, until one is left."""
        for _level in range(MAX_LEVELS):
            pieces = await asyncio.to_thread(self._pieces, "\n\n".join(summaries))
            chunks = chunk(pieces, self._chunk_tokens)
            summaries = await self._summarise_all(chunks, request_id)
            if len(summaries) == 1:
                return summaries[0]
        return " ".join(summaries)

    async def _summarise_all(self, chunks: list[str], request_id: str) -> list[str]:
        tokens = await asyncio.to_thread(self._tokenize, chunks)
        futures = self._scheduler.submit(request_id, tokens)
        try:
            return list(await asyncio.gather(*futures))
        finally:
            for future in futures:  # the client left: drop what is not summarised yet
                future.cancel()

    def _pieces(self, text: str) -> list[tuple[str, int]]:
        """Return paragraphs (cut to the chunk budget) with their token counts."""
        paragraphs = [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]
        if not paragraphs:
            return []
        counts = [len(tokens) for tokens in self._tokenize(paragraphs)]
        pieces: list[tuple[str, int]] = []
        for paragraph, count in zip(paragraphs, counts, strict=True):
            if count <= self._chunk_tokens:
                pieces.append((paragraph, count))
            else:
                pieces.extend(self._cut(paragraph))
        return pieces

    def _cut(self, paragraph: str) -> list[tuple[str, int]]:
        """Cut an over-long paragraph at sentences; an over-long sentence at token windows."""
        parts = sentences(paragraph)
        pieces: list[tuple[str, int]] = []
        for part, tokens in zip(parts, self._tokenize(parts), strict=True):
            for start in range(0, len(tokens), self._chunk_tokens):
                window = tokens[start : start + self._chunk_tokens]
                # A window of a sentence too long for the model: its pieces joined back, with
                # sentencepiece's word marks as spaces (the summary engine's tokenizer).
                text = part if len(tokens) <= self._chunk_tokens else "".join(window)
                pieces.append((text.replace("▁", " ").strip(), len(window)))
        return pieces
