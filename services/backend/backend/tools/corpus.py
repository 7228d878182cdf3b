"""Generate a small, deterministic German and English corpus to train sentencepiece on.

Random-weight models still need a real tokenizer: the engines, the segmenter's token budget and
the cache all work on sub-word pieces. Compounds and inflections give the unigram trainer enough
distinct words for a vocabulary of a few thousand pieces without shipping a data file.
"""

from __future__ import annotations

import itertools
import random


def _items(text: str, separator: str) -> tuple[str, ...]:
    """Split a word list written as prose (readable, and diffs stay small)."""
    return tuple(text.split(separator))


GERMAN_STEMS = _items(
    "Haus Tür Stadt Bahn Hof Zeit Arbeit Wasser Straße Baum Garten Schule Kind Buch Fenster "
    "Auto Weg Berg Land Sonne Licht Wetter Geld Brief Markt Platz Wort Spiel Feld Wald Fluss "
    "Brücke Kirche Bericht Sitzung Vertrag Rechnung Antrag Gesetz Regierung Firma Netz Daten "
    "Strom Energie Wärme Kraft Werk Zug Flug Hafen Insel Küste Meer Schiff Reise Karte Bild "
    "Musik Lied Stimme Sprache Frage Antwort Ziel Grund Boden Dach Wand Raum Küche Tisch Stuhl "
    "Bett Uhr Jahr Woche Monat Tag Nacht Abend Morgen Winter Sommer Herbst Frühling Glück",
    " ",
)
GERMAN_SUBJECTS = _items(
    "Der Mann|Die Frau|Das Kind|Unser Team|Die Regierung|Der Vorstand|Meine Schwester|"
    "Ihr Kollege|Die Ärztin|Der Bürgermeister|Die Schülerin|Das Unternehmen|Wir|Sie|Er",
    "|",
)
GERMAN_VERBS = _items(
    "sieht|kauft|baut|liest|schreibt|prüft|verkauft|öffnet|schließt|repariert|beschreibt|"
    "übersetzt|erklärt|findet|braucht|plant|vergleicht|bestätigt|verändert|erwähnt",
    "|",
)
GERMAN_TAILS = _items(
    "am 3. Oktober 2026|z. B. im Sommer|heute Abend|seit zwei Wochen|nach der Sitzung|"
    "gemäß Nr. 5 des Vertrags|auf S. 12|mit Dr. Müller|für ca. 300 Euro|bzw. morgen früh|"
    "d. h. sofort|u. a. in Berlin|trotz des schlechten Wetters|ohne große Mühe|usw.",
    "|",
)
ENGLISH_WORDS = _items(
    "house door city train station time work water street tree garden school child book "
    "window car way mountain country sun light weather money letter market square word game "
    "field forest river bridge church report meeting contract invoice request law government "
    "company network data power energy heat force plant flight harbour island coast sea ship "
    "journey map picture music song voice language question answer goal reason floor roof wall "
    "room kitchen table chair bed clock year week month day night evening morning winter summer",
    " ",
)
ENGLISH_SUBJECTS = _items(
    "The man|The woman|The child|Our team|The government|The board|My sister|Her colleague|"
    "The doctor|The mayor|The student|The company|We|They|He",
    "|",
)
ENGLISH_VERBS = _items(
    "sees|buys|builds|reads|writes|checks|sells|opens|closes|repairs|describes|translates|"
    "explains|finds|needs|plans|compares|confirms|changes|mentions",
    "|",
)
ENGLISH_TAILS = _items(
    "on 3 October 2026|for example in summer|tonight|for two weeks|after the meeting|"
    "under section 5 of the contract|on page 12|with Dr. Miller|for about 300 euros|"
    "or tomorrow morning|that is, immediately|among others in Berlin|despite the bad weather|"
    "without much effort|and so on",
    "|",
)
EXTRA = (
    "Größe, Maß, Übermaß, Ärger, Öl, Äpfel, süß, heiß, weiß, groß! Wie geht es Ihnen? "
    "»Ja«, sagte sie. „Nein“, antwortete er. 1.234,56 € – 7 % – 0,5 l – 12:30 Uhr; (siehe oben) "
    '"Quoted" text, it\'s 3.5 km & 20% off: yes/no? e-mail @ example #1 [a] {b} <c> ~ ^ _ | \\ $'
)


def german_sentences(count: int, seed: int) -> list[str]:
    """Return `count` German sentences built from compounds, subjects, verbs and endings."""
    rng = random.Random(seed)
    compounds = [a + b.lower() for a, b in itertools.permutations(GERMAN_STEMS, 2)]
    return [
        f"{rng.choice(GERMAN_SUBJECTS)} {rng.choice(GERMAN_VERBS)} die {rng.choice(compounds)} "
        f"und den {rng.choice(compounds)} {rng.choice(GERMAN_TAILS)}{rng.choice('.!?')}"
        for _ in range(count)
    ]


def english_sentences(count: int, seed: int) -> list[str]:
    """Return `count` English sentences built from noun pairs, subjects, verbs and endings."""
    rng = random.Random(seed)
    pairs = [f"{a} {b}" for a, b in itertools.permutations(ENGLISH_WORDS, 2)]
    suffixes = ("", "s", "'s")
    return [
        f"{rng.choice(ENGLISH_SUBJECTS)} {rng.choice(ENGLISH_VERBS)} the {rng.choice(pairs)}"
        f"{rng.choice(suffixes)} and a {rng.choice(pairs)} {rng.choice(ENGLISH_TAILS)}"
        f"{rng.choice('.!?')}"
        for _ in range(count)
    ]


def corpus(language: str, count: int, seed: int) -> list[str]:
    """Return the training lines for `language` ("de" or "en"), special characters included."""
    make = german_sentences if language == "de" else english_sentences
    return [EXTRA, *make(count, seed)]
