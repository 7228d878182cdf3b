"""German sentence boundaries, measured on the labelled set against pysbd and sentencex.

Run as a script for the table with speed: python services/backend/tests/test_sentence_boundaries.py
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from backend.segmentation.sentences import sentence_spans

DATA = Path(__file__).parent / "labelled"
#: The set the rules were tuned on, and one written afterwards and never tuned on.
LABELLED = DATA / "german_boundaries.txt"
HELD_OUT = DATA / "german_boundaries_heldout.txt"
MARK = " ‖ "
#: Every place a boundary could be: after ". ! ? …" (and closing quotes), then whitespace.
CANDIDATE = re.compile(r"[.!?…]+[\"'“”»«‘’)\]]*(?:[.!?…]+)?\s+(?=\S)")

Splitter = Callable[[str], Iterable[str]]


@dataclass(frozen=True)
class Example:
    """One labelled text: where its sentences start (0 excluded) and where they could."""

    text: str
    gold: frozenset[int]
    candidates: frozenset[int]


@dataclass(frozen=True)
class Score:
    """Boundary decisions of one splitter on the labelled set."""

    true_pos: int
    false_pos: int
    false_neg: int
    decisions: int

    @property
    def precision(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_pos)

    @property
    def recall(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_neg)

    @property
    def accuracy(self) -> float:
        return 1 - (self.false_pos + self.false_neg) / self.decisions


def load_examples(path: Path = LABELLED) -> list[Example]:
    """Parse a labelled set: one text per line, " ‖ " between its sentences."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentences = line.split(MARK)
        text = " ".join(sentences)
        starts, position = set(), 0
        for sentence in sentences[:-1]:
            position += len(sentence) + 1
            starts.add(position)
        candidates = frozenset(match.end() for match in CANDIDATE.finditer(text))
        examples.append(Example(text, frozenset(starts), candidates))
    return examples


def predicted_starts(text: str, sentences: Iterable[str]) -> set[int]:
    """Map a splitter's sentences back to where each one after the first starts in text."""
    starts, cursor = set(), 0
    for sentence in sentences:
        stripped = sentence.strip()
        found = text.find(stripped, cursor) if stripped else -1
        if found < 0:
            continue  # the splitter altered or dropped it: its boundary counts as missed
        if found > 0:
            starts.add(found)
        cursor = found + len(stripped)
    return starts


def score(split: Splitter, examples: list[Example]) -> Score:
    """Count a splitter's right and wrong boundary decisions over examples."""
    true_pos = false_pos = false_neg = decisions = 0
    for example in examples:
        predicted = predicted_starts(example.text, split(example.text))
        true_pos += len(predicted & example.gold)
        false_pos += len(predicted - example.gold)
        false_neg += len(example.gold - predicted)
        decisions += len(example.candidates | predicted)
    return Score(true_pos, false_pos, false_neg, decisions)


def ours(text: str) -> list[str]:
    return [text[begin:end] for begin, end in sentence_spans(text)]


def pysbd_split(text: str) -> list[str]:
    import pysbd

    return pysbd.Segmenter(language="de", clean=False).segment(text)


def sentencex_split(text: str) -> list[str]:
    import sentencex

    return list(sentencex.segment("de", text))


@pytest.fixture(scope="module", params=[LABELLED, HELD_OUT], ids=["tuned", "held-out"])
def examples(request) -> list[Example]:
    return load_examples(request.param)


def test_the_labelled_sets_have_at_least_300_decisions() -> None:
    examples = load_examples(LABELLED) + load_examples(HELD_OUT)
    assert sum(len(example.candidates) for example in examples) >= 300
    for example in examples:
        assert example.gold <= example.candidates, example.text  # every label is a candidate


def test_our_rules_get_at_least_95_percent_of_the_decisions_right(examples) -> None:
    assert score(ours, examples).accuracy >= 0.95


def test_our_rules_beat_pysbd_and_sentencex(examples) -> None:
    mine = score(ours, examples)
    assert mine.accuracy > score(pysbd_split, examples).accuracy
    assert mine.accuracy > score(sentencex_split, examples).accuracy


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Er wurde 3. und sie 5. Beide kamen.", ["Er wurde 3. und sie 5.", "Beide kamen."]),
        ("Äpfel, Birnen usw. Dann mehr.", ["Äpfel, Birnen usw.", "Dann mehr."]),
        ("Das ist gem. § 5 verboten.", ["Das ist gem. § 5 verboten."]),
        ("Ein Handy. iPhones sind teuer.", ["Ein Handy.", "iPhones sind teuer."]),
        ("Er zögerte … Dann ging er.", ["Er zögerte …", "Dann ging er."]),
    ],
)
def test_the_issues_hard_cases(text: str, sentences: list[str]) -> None:
    assert ours(text) == sentences


def main() -> None:
    """Print precision, recall, accuracy and speed of each splitter on the labelled set."""
    for path in (LABELLED, HELD_OUT):
        _print_table(path.name, load_examples(path))


def _print_table(title: str, examples: list[Example]) -> None:
    chars = sum(len(example.text) for example in examples)
    candidates = sum(len(example.candidates) for example in examples)
    print(f"\n{title}: {len(examples)} texts, {candidates} candidate boundaries")
    print("| splitter | precision | recall | accuracy | chars/s |")
    print("| --- | --- | --- | --- | --- |")
    for name, split in [("ours", ours), ("pysbd", pysbd_split), ("sentencex", sentencex_split)]:
        result = score(split, examples)
        started = time.perf_counter()
        for _ in range(5):
            for example in examples:
                list(split(example.text))
        speed = 5 * chars / (time.perf_counter() - started)
        print(
            f"| {name} | {result.precision:.3f} | {result.recall:.3f} | "
            f"{result.accuracy:.3f} | {speed:,.0f} |"
        )


if __name__ == "__main__":
    main()
