"""Blocks from mixed-content trees (HTML, XHTML, OpenDocument): text and tails of inline elements.

In ``<p>Das ist <b>sehr</b> gut.</p>`` the paragraph's runs are its text "Das ist ", the bold
element's text "sehr" and that element's tail " gut.". A tree is walked once: a block element
opens a block, an inline element's text and tail are runs of the block around it, a skipped
element (code, a footnote's number, a formula cell) keeps its text but its tail still counts.
Runs are written back where they were read, so every element and attribute stays in place.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from backend.documents.archive import xml_text
from backend.documents.blocks import Block


@dataclass(frozen=True)
class Slot:
    """Where one run's text lives: an element's text, its tail, or one of its attributes."""

    element: etree._Element
    where: str  # "text", "tail" or "@name"

    def read(self) -> str:
        """Return the run's current text."""
        if self.where.startswith("@"):
            return self.element.get(self.where[1:], "")
        return getattr(self.element, self.where) or ""

    def write(self, text: str) -> None:
        """Replace the run's text."""
        text = xml_text(text)
        if self.where.startswith("@"):
            self.element.set(self.where[1:], text)
        else:
            setattr(self.element, self.where, text)


@dataclass(frozen=True)
class Rules:
    """How one vocabulary marks its blocks: each function gets an element and answers yes or no."""

    is_block: Callable[[etree._Element], bool]
    is_skipped: Callable[[etree._Element], bool]
    #: Attributes translated as blocks of their own (alt text, titles).
    attributes: Callable[[etree._Element], tuple[str, ...]] = lambda element: ()


def localname(element: etree._Element) -> str:
    """Return an element's tag without namespace ('' for comments and processing instructions)."""
    if not isinstance(element.tag, str):
        return ""
    return etree.QName(element).localname


def collect(root: etree._Element, rules: Rules) -> list[list[Slot]]:
    """Return the blocks under root (root itself is one), each as its runs' slots in order."""
    blocks: list[list[Slot]] = []
    pending = deque([root])
    while pending:
        block_element = pending.popleft()
        slots: list[Slot] = []
        blocks.append(slots)
        _flow(block_element, rules, slots, pending, blocks)
    return [slots for slots in blocks if slots]


def _flow(
    element: etree._Element,
    rules: Rules,
    slots: list[Slot],
    pending: deque[etree._Element],
    blocks: list[list[Slot]],
) -> None:
    """Add element's text and its inline descendants' runs to slots; queue nested blocks."""
    for name in rules.attributes(element):
        if element.get(name):
            blocks.append([Slot(element, "@" + name)])
    if element.text:
        slots.append(Slot(element, "text"))
    for child in element:
        if isinstance(child.tag, str) and not rules.is_skipped(child):
            if rules.is_block(child):
                pending.append(child)
            else:
                _flow(child, rules, slots, pending, blocks)
        if child.tail:
            slots.append(Slot(child, "tail"))


def read_blocks(slot_blocks: list[list[Slot]]) -> list[Block]:
    """Return the runs' texts."""
    return [[slot.read() for slot in slots] for slots in slot_blocks]


def write_blocks(slot_blocks: list[list[Slot]], translated: list[Block]) -> None:
    """Write translated runs back into their slots."""
    for slots, texts in zip(slot_blocks, translated, strict=True):
        for slot, text in zip(slots, texts, strict=True):
            slot.write(text)
