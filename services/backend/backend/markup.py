"""Translate HTML: text in context, markup kept exactly. Framework-free; no I/O.

Usage (the translator is the caller's)::

    document = MarkupDocument.parse(html)
    translations = [translate(text) for text in document.texts]
    translated_html = document.render(translations)

Method. The source is cut by Python's ``html.parser`` into tags, comments, declarations and
text, and every piece keeps its exact source characters. Runs of text and *inline* elements
(``<b>``, ``<a href>``, ``<span>``, ``<em>``, ... and comments) form one unit up to the next block
element (``<p>``, ``<li>``, ``<br>``, ``<td>``, ...), so a sentence that spans ``<b>`` is translated
as one sentence. A unit's text is its text nodes joined, entities decoded and whitespace runs
folded to one space (as a browser shows them); its leading and trailing whitespace is kept.
Everything else is copied verbatim: every tag with its attributes exactly as written, comments,
doctype, and the whole content of ``<code>``, ``<pre>``, ``<script>``, ``<style>``,
``<textarea>``, ``<template>``, ``<svg>``, ``<math>`` and of any element with ``translate="no"``
or class ``notranslate``.

Putting the inline tags back. The model returns a sentence, not an alignment, so each inline tag
is placed by position: its offset in the unit's text is mapped into the translation piecewise
linearly between anchors (the start, the end, and the sentence ends, when source and translation
have as many), then moved to the nearest word start (opening tags) or word end (closing tags)
when it stood at a word boundary in the source. Tags never change order, so nesting stays valid
and every tag comes back; a tag around a unit's whole text, or around whole sentences, wraps the
whole translation or the same sentences. Limits: inside a sentence the position is proportional,
so where the translation reorders words (German verbs move) a tag may wrap a neighbouring word,
and a tag around one word of a long sentence wraps the word at the same relative position.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Elements that flow inside a sentence; any other element ends the unit of text before it.
INLINE = _names(
    "a abbr acronym b bdi bdo big cite data del dfn em font i img ins kbd label mark q s samp "
    "small span strike strong sub sup time tt u var wbr"
)
#: Elements whose content is never translated.
VERBATIM = _names("code pre script style textarea template svg math")
VOID = _names("area base br col embed hr img input link meta param source track wbr")
#: A start tag's attributes as HTMLParser hands them over (a value is None when absent).
Attributes = list[tuple[str, str | None]]
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


@dataclass(slots=True)
class _Text:
    raw: str
    text: str


@dataclass(slots=True)
class _Tag:
    raw: str
    closing: bool
    #: Offset in the unit's folded text, and whether it stood between words.
    offset: int = 0
    at_boundary: bool = True


@dataclass(slots=True)
class _Unit:
    """Text and inline tags to translate together."""

    items: list[_Text | _Tag] = field(default_factory=list)
    text: str = ""
    lead: str = ""
    trail: str = ""

    def has_text(self) -> bool:
        return any(isinstance(item, _Text) and item.text.strip() for item in self.items)


@dataclass(frozen=True)
class MarkupDocument:
    """An HTML text cut into verbatim pieces and units of text to translate."""

    source: str
    parts: tuple[str | _Unit, ...]

    @property
    def texts(self) -> list[str]:
        """Return the texts to translate, one per unit, in document order."""
        return [part.text for part in self.parts if isinstance(part, _Unit)]

    @classmethod
    def parse(cls, source: str) -> MarkupDocument:
        """Cut source into pieces; any string parses (HTML parsing never fails)."""
        return cls(source, tuple(_Builder(source).parts()))

    def render(self, translations: list[str]) -> str:
        """Return the HTML with each unit's text replaced by its translation, tags kept."""
        if len(translations) != len(self.texts):
            raise ValueError(f"{len(self.texts)} translations expected, got {len(translations)}")
        given = iter(translations)
        return "".join(
            part if isinstance(part, str) else _render_unit(part, next(given))
            for part in self.parts
        )


class _Events(HTMLParser):
    """Record every event with its start offset; the raw pieces are the slices between them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, str, Attributes, tuple[int, int]]] = []

    def _add(self, kind: str, tag: str = "", attrs: Attributes | None = None) -> None:
        self.events.append((kind, tag, attrs or [], self.getpos()))

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        self._add("start", tag, attrs)

    def handle_startendtag(self, tag: str, attrs: Attributes) -> None:
        self._add("void", tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("data")

    def handle_comment(self, data: str) -> None:
        self._add("comment")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def _keeps_verbatim(tag: str, attrs: Attributes) -> bool:
    values = {name: (value or "") for name, value in attrs}
    return (
        tag in VERBATIM
        or values.get("translate", "").lower() == "no"
        or "notranslate" in values.get("class", "").split()
    )


class _Builder:
    """Turn the parser's events into verbatim strings and units."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str | _Unit] = []
        self.unit = _Unit()
        self.verbatim: list[str] = []  # the open elements kept verbatim, innermost last

    def parts(self) -> list[str | _Unit]:
        parser = _Events()
        parser.feed(self.source)
        parser.close()
        line_starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        starts = [line_starts[line - 1] + column for *_, (line, column) in parser.events]
        ends = [*starts[1:], len(self.source)][: len(starts)]
        for (kind, tag, attrs, _), start, end in zip(parser.events, starts, ends, strict=True):
            if end > start:
                self._event(kind, tag, attrs, self.source[start:end])
        self._flush()
        return self.out

    def _event(self, kind: str, tag: str, attrs: list, raw: str) -> None:
        if self.verbatim:
            self._verbatim_event(kind, tag, raw)
        elif kind == "data":
            self.unit.items.append(_Text(raw, html.unescape(raw)))
        elif kind == "comment" or (kind in ("start", "end", "void") and tag in INLINE):
            if kind == "start" and tag not in VOID and _keeps_verbatim(tag, attrs):
                self._flush()
                self.verbatim.append(tag)
                self.out.append(raw)
                return
            self.unit.items.append(_Tag(raw, closing=kind == "end"))
        else:
            self._flush()
            if kind == "start" and tag not in VOID and _keeps_verbatim(tag, attrs):
                self.verbatim.append(tag)
            self.out.append(raw)

    def _verbatim_event(self, kind: str, tag: str, raw: str) -> None:
        self.out.append(raw)
        if kind == "start" and tag == self.verbatim[-1] and tag not in VOID:
            self.verbatim.append(tag)
        elif kind == "end" and tag == self.verbatim[-1]:
            self.verbatim.pop()

    def _flush(self) -> None:
        unit, self.unit = self.unit, _Unit()
        if not unit.items:
            return
        if not unit.has_text():
            self.out.append("".join(item.raw for item in unit.items))
            return
        _fold(unit)
        self.out.append(unit)


def _fold(unit: _Unit) -> None:
    """Join the unit's text, folding whitespace runs; note each tag's offset in it."""
    chars: list[str] = []
    lead: list[str] = []
    trail: list[str] = []
    pending_space = False
    for index, item in enumerate(unit.items):
        if isinstance(item, _Tag):
            item.offset = len(chars) + (1 if pending_space else 0)
            inside_word = bool(chars) and not pending_space and _word_follows(unit.items, index)
            item.at_boundary = not inside_word
            continue
        for char in item.text:
            if char.isspace():
                (trail if chars else lead).append(char)
                pending_space = bool(chars)
                continue
            if pending_space:
                chars.append(" ")
                pending_space = False
            trail.clear()
            chars.append(char)
    unit.text = "".join(chars)
    unit.lead, unit.trail = "".join(lead), "".join(trail)
    for item in unit.items:
        if isinstance(item, _Tag):
            item.offset = min(item.offset, len(unit.text))


def _word_follows(items: list[_Text | _Tag], index: int) -> bool:
    """Tell whether the text right after items[index] continues a word (no space between)."""
    for item in items[index + 1 :]:
        if isinstance(item, _Text) and item.text:
            return not item.text[0].isspace()
    return False


def _render_unit(unit: _Unit, translation: str) -> str:
    target = translation.strip()
    anchors = _anchors(unit.text, target)
    out: list[str] = [unit.lead]
    position = 0
    for item in unit.items:
        if not isinstance(item, _Tag):
            continue
        mapped = _map(item.offset, anchors)
        if item.at_boundary and 0 < mapped < len(target):
            mapped = _snap(target, mapped, closing=item.closing)
        mapped = max(mapped, position)
        out.append(html.escape(target[position:mapped], quote=False))
        out.append(item.raw)
        position = mapped
    out.append(html.escape(target[position:], quote=False))
    out.append(unit.trail)
    return "".join(out)


def _anchors(source: str, target: str) -> list[tuple[int, int]]:
    """Return (source offset, target offset) pairs that correspond for sure, in order."""
    pairs = [(0, 0)]
    source_ends = [m.end() for m in _SENTENCE_END.finditer(source)]
    target_ends = [m.end() for m in _SENTENCE_END.finditer(target)]
    if len(source_ends) == len(target_ends):
        pairs += list(zip(source_ends, target_ends, strict=True))
    pairs.append((len(source), len(target)))
    return pairs


def _map(offset: int, anchors: list[tuple[int, int]]) -> int:
    for (s0, t0), (s1, t1) in itertools.pairwise(anchors):
        if offset <= s1:
            if s1 == s0:
                return t1 if offset == s1 else t0
            return t0 + round((offset - s0) * (t1 - t0) / (s1 - s0))
    return anchors[-1][1]


def _snap(target: str, position: int, *, closing: bool) -> int:
    """Move position to the nearest word end (closing tags) or word start (others)."""

    def fits(p: int) -> bool:
        if p in (0, len(target)):
            return True
        if closing:
            return not target[p - 1].isspace() and target[p].isspace()
        return target[p - 1].isspace() and not target[p].isspace()

    for distance in range(len(target) + 1):
        for candidate in (position - distance, position + distance):
            if 0 <= candidate <= len(target) and fits(candidate):
                return candidate
    return position
