"""Compare language-identification libraries on German/English texts, short and long.

Run: PYTHONPATH=DIR_WITH_ALL_THREE python -m benchmarks.language_id (from services/backend).
Each library is restricted to German and English, as the service is (LibreTranslate filters its
detector's answers to the installed languages). Prints accuracy per length class and the time per
call; the figures in README.md ("Language identification") come from this script.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from backend.tools.corpus import english_sentences, german_sentences

SHORT_GERMAN = (
    "Hallo",
    "Danke",
    "Danke schön",
    "Guten Morgen",
    "Wie geht's?",
    "Tschüss",
    "Ja, bitte.",
    "Nein",
    "Wo ist der Bahnhof?",
    "Ich liebe dich",
    "Entschuldigung",
    "Gute Nacht",
    "Herzlichen Glückwunsch",
    "Wir sehen uns morgen.",
    "Das ist gut.",
    "Bis später",
    "Prost!",
    "Mahlzeit",
    "Keine Ahnung",
    "Was kostet das?",
    "Hilfe!",
    "Ich bin müde.",
    "Schönes Wetter heute",
    "Straße gesperrt",
    "Öffnungszeiten",
    "Kein Zutritt",
    "Rechnung bezahlt",
    "Bitte warten",
    "Vielen Dank für Ihre Hilfe",
    "Sehr geehrte Damen",
)
SHORT_ENGLISH = (
    "Hello",
    "Thanks",
    "Thank you",
    "Good morning",
    "How are you?",
    "Bye",
    "Yes, please.",
    "No",
    "Where is the station?",
    "I love you",
    "Sorry",
    "Good night",
    "Congratulations",
    "See you tomorrow.",
    "That is good.",
    "See you later",
    "Cheers!",
    "Lunch time",
    "No idea",
    "How much is it?",
    "Help!",
    "I am tired.",
    "Nice weather today",
    "Road closed",
    "Opening hours",
    "No entry",
    "Invoice paid",
    "Please wait",
    "Many thanks for your help",
    "Dear Sir or Madam",
)


def samples() -> list[tuple[str, str, str]]:
    """Return (length class, expected language, text) triples."""
    rows = [("short", "de", t) for t in SHORT_GERMAN] + [("short", "en", t) for t in SHORT_ENGLISH]
    for index, sentence in enumerate(german_sentences(60, seed=7)):
        rows.append(("sentence" if index < 30 else "paragraph", "de", sentence))
    for index, sentence in enumerate(english_sentences(60, seed=7)):
        rows.append(("sentence" if index < 30 else "paragraph", "en", sentence))
    # Paragraphs: five sentences each.
    german, english = german_sentences(150, seed=11), english_sentences(150, seed=11)
    rows = [r for r in rows if r[0] != "paragraph"]
    rows += [("paragraph", "de", " ".join(german[i : i + 5])) for i in range(0, 150, 5)]
    rows += [("paragraph", "en", " ".join(english[i : i + 5])) for i in range(0, 150, 5)]
    return rows


def lingua_detector() -> Callable[[str], str]:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH).build()
    names = {Language.GERMAN: "de", Language.ENGLISH: "en"}
    return lambda text: names.get(detector.detect_language_of(text), "?")


def py3langid_detector() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["de", "en"])
    return lambda text: identifier.classify(text)[0]


def langdetect_detector() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0

    def detect(text: str) -> str:
        ranked = [c.lang for c in detect_langs(text) if c.lang in ("de", "en")]
        return ranked[0] if ranked else "?"

    return detect


def main() -> None:
    rows = samples()
    for name, build in (
        ("lingua", lingua_detector),
        ("py3langid", py3langid_detector),
        ("langdetect", langdetect_detector),
    ):
        started = time.perf_counter()
        detect = build()
        load_s = time.perf_counter() - started
        detect("warm up")
        correct: dict[str, list[int]] = {}
        started = time.perf_counter()
        for length, expected, text in rows:
            correct.setdefault(length, []).append(detect(text) == expected)
        per_call_ms = (time.perf_counter() - started) / len(rows) * 1000
        scores = ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in correct.items())
        print(f"{name:10s} load {load_s:5.2f} s, {per_call_ms:6.3f} ms/call: {scores}")


if __name__ == "__main__":
    main()
