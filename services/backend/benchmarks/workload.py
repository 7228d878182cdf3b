"""Benchmark sentences: German, distinct, about 30 source tokens each (the issue's 30->32)."""

from __future__ import annotations

from pathlib import Path

from backend.tools.corpus import german_sentences

#: Token window around the target length of 30 source tokens.
MIN_TOKENS, MAX_TOKENS = 28, 32


class Workload:
    """Hand out distinct sentences, so no measurement is flattered by the translation cache."""

    def __init__(self, source_spm: Path, *, seed: int = 2026) -> None:
        import sentencepiece

        processor = sentencepiece.SentencePieceProcessor(model_file=str(source_spm))
        candidates = german_sentences(40_000, seed)
        # "usw." before the final punctuation would make the segmenter see two sentences.
        self._sentences = list(
            dict.fromkeys(
                text
                for text in candidates
                if "usw." not in text and MIN_TOKENS <= len(processor.encode(text)) <= MAX_TOKENS
            )
        )
        self._next = 0
        self.mean_tokens = sum(len(processor.encode(s)) for s in self._sentences[:500]) / 500

    def take(self, count: int) -> list[str]:
        """Return `count` sentences never handed out before."""
        if self._next + count > len(self._sentences):
            raise RuntimeError("the workload ran out of distinct sentences")
        taken = self._sentences[self._next : self._next + count]
        self._next += count
        return taken

    def short(self, count: int) -> list[str]:
        """Return `count` distinct short one-sentence texts (for the memory loop)."""
        start, self._next = self._next, self._next + count
        return [f"Kurzer Satz Nummer {start + i} ist fertig." for i in range(count)]
