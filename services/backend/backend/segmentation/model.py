"""What segmentation produces: sentences to translate and the material kept around them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backend.segmentation.protect import restore


@dataclass(frozen=True, slots=True)
class Segment:
    """One sentence to translate, with the untranslated material that precedes it.

    A segment with empty text carries only material to pass through (a text's tail). ``text``
    holds placeholders for the spans in ``kept`` (code, URLs, ...; see protect.py), which
    ``finish`` puts back into its translation.
    """

    prefix: str
    text: str
    kept: tuple[str | None, ...] = ()

    def finish(self, translation: str) -> str:
        """Return the prefix and the translation with the protected spans put back."""
        return self.prefix + restore(translation, self.kept)


@dataclass(frozen=True, slots=True)
class Segmented:
    """A text as sentences plus the untranslated material after the last one."""

    segments: tuple[Segment, ...]
    trailer: str


def reassemble(segmented: Segmented, translations: Sequence[str]) -> str:
    """Join each segment's prefix with its translation, then the trailer."""
    if len(translations) != len(segmented.segments):
        raise ValueError("one translation per segment is required")
    parts = [seg.finish(out) for seg, out in zip(segmented.segments, translations, strict=True)]
    return "".join(parts) + segmented.trailer
