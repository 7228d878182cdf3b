"""Identify the language of a text among the model's languages (py3langid's naive Bayes model).

Framework-free. py3langid ships its model in its wheel (4.5 MB installed) and classifies a
sentence in ~0.04 ms; README "Language identification" has the comparison with lingua and
langdetect that chose it. Answers follow LibreTranslate 1.9.6's /detect: candidates sorted by
confidence (0-100, whole numbers), those under 10 left out as langdetect leaves them out, and
``en`` with confidence 0 when nothing can be told (no letters at all).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Longer texts are judged on their start: the verdict does not change, the time does.
SAMPLE_CHARS = 10_000
#: langdetect, which LibreTranslate uses, reports no language under 0.1 probability.
MIN_CONFIDENCE = 10.0
UNKNOWN_LANGUAGE = "en"

#: Characters LibreTranslate does not translate: a text of only these (emoji and the plain
#: space) comes back as it is, "detected" as English with confidence 0.
_NOT_TRANSLATABLE_RANGES = (
    (0x20, 0x21),
    (0x1F600, 0x1F64F),
    (0x1F300, 0x1F5FF),
    (0x1F680, 0x1F6FF),
    (0x2600, 0x26FF),
    (0x2700, 0x27BF),
    (0xFE00, 0xFE0F),
    (0x1F900, 0x1F9FF),
    (0x1F1E6, 0x1F1FF),
    (0x20D0, 0x20FF),
)


@dataclass(frozen=True, slots=True)
class Detection:
    """One candidate language and the confidence in it, 0 to 100."""

    language: str
    confidence: float


def is_translatable(text: str) -> bool:
    """Tell whether text has any character besides emoji and spaces (LibreTranslate's test)."""
    return any(
        not any(low <= ord(char) < high for low, high in _NOT_TRANSLATABLE_RANGES) for char in text
    )


class LanguageIdentifier:
    """Rank a fixed set of languages for a text; the model loads once, on first use or load()."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(dict.fromkeys(languages))
        self._lock = threading.Lock()
        self._model: Any = None  # py3langid's LanguageIdentifier; the package has no types

    def load(self) -> None:
        """Load the model now (0.6 s, blocking): call it off the event loop."""
        with self._lock:
            if self._model is None:
                from py3langid.langid import MODEL_FILE
                from py3langid.langid import LanguageIdentifier as Model

                model = Model.from_model_file(MODEL_FILE, norm_probs=True)
                known = set(model.nb_classes)
                model.set_languages([code for code in self.languages if code in known])
                self._model = model

    def detect(self, text: str) -> list[Detection]:
        """Return the candidate languages of text, most likely first (blocking CPU work)."""
        if not any(char.isalpha() for char in text[:SAMPLE_CHARS]):
            return [Detection(UNKNOWN_LANGUAGE, 0.0)]
        self.load()
        ranked = self._model.rank(text[:SAMPLE_CHARS])
        found = [
            Detection(code, float(round(probability * 100)))
            for code, probability in ranked
            if probability * 100 >= MIN_CONFIDENCE
        ]
        return found or [Detection(UNKNOWN_LANGUAGE, 0.0)]

    def detect_all(self, texts: Sequence[str]) -> list[Detection]:
        """Rank languages over several texts: mean confidence per language, weighted by length.

        LibreTranslate averages each language's confidence over the texts it was found in and
        sorts by that mean times the characters of those texts.
        """
        found: dict[str, list[tuple[float, int]]] = {}
        for text in texts:
            for detection in self.detect(text):
                found.setdefault(detection.language, []).append((detection.confidence, len(text)))
        total_chars = sum(chars for hits in found.values() for _, chars in hits) or 1

        def weight(item: tuple[str, list[tuple[float, int]]]) -> float:
            hits = item[1]
            mean = sum(confidence for confidence, _ in hits) / len(hits)
            return mean * sum(chars for _, chars in hits) / total_chars

        ranked = sorted(found.items(), key=weight, reverse=True)
        return [Detection(code, sum(c for c, _ in hits) / len(hits)) for code, hits in ranked] or [
            Detection(UNKNOWN_LANGUAGE, 0.0)
        ]
