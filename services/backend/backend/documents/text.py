"""Plain text and Markdown.

Plain text goes to the translator paragraph by paragraph (it keeps lines, bullets and indentation
itself). Markdown keeps its syntax: fenced and indented code, HTML blocks and front matter are left
alone (markdown-it-py finds them); on every other line the block markers (``#``, ``-``, ``1.``,
``>``, table pipes) and the inline markup (emphasis, code spans, link targets, HTML tags) are
fixed pieces, and a paragraph wrapped over several lines is translated as one block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from backend.documents.blocks import Block
from backend.documents.pieces import Pieced, split

_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
_LINE_START = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+|>[ \t]?)*")
_INLINE_FIXED = re.compile(
    r"`+[^`\n]*`+"  # code span
    r"|\]\([^)\n]*\)"  # a link's or image's target
    r"|\]\[[^\]\n]*\]"  # a reference link's label
    r"|!?\["  # a link's or image's text starts
    r"|\]"  # ... and ends (reference links)
    r"|<[^>\n]+>"  # HTML tags and autolinks
    r"|\*\*|__|~~|\*|(?<!\w)_|_(?!\w)"  # emphasis markers (snake_case words are text)
    r"|\\."  # escapes
    r"|[ \t]*\|[ \t]*"  # table cell borders
    r"|\n[ \t]*"  # line breaks inside a paragraph
)
#: "[id]: https://..." defines a reference link's target: no prose in it.
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_CELL_BORDER = re.compile(r"((?<!\\)\|)")
_SKIPPED_TOKENS = frozenset({"fence", "code_block", "html_block", "front_matter"})


def extract_text(text: str) -> tuple[list[Block], list[str]]:
    """Cut plain text into paragraphs (one block each) and the breaks between them."""
    parts = _PARAGRAPH_BREAK.split(text)
    return [[part] for part in parts], parts


def rebuild_text(parts: list[str], translated: list[Block]) -> bytes:
    """Join the translated paragraphs and breaks."""
    return "".join(block[0] for block in translated).encode()


@dataclass
class _Markdown:
    #: The document as pieces: either fixed text or the index of a block.
    layout: list[str | int]
    pieced: list[Pieced]


def extract_markdown(text: str) -> tuple[list[Block], _Markdown]:
    """Cut Markdown into blocks of runs around its fixed syntax."""
    lines = text.splitlines(keepends=True)
    skipped = _skipped_lines(text)
    layout: list[str | int] = []
    pieced: list[Pieced] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = "".join(paragraph)
            body = joined.rstrip("\n")
            pieced.append(split(body, _INLINE_FIXED))
            layout.extend((len(pieced) - 1, joined[len(body) :]))
            paragraph.clear()

    for number, line in enumerate(lines):
        marker = _LINE_START.match(line)
        prefix = marker.group() if marker else ""
        if number in skipped or not line.strip() or _is_rule(line) or _LINK_DEFINITION.match(line):
            flush()
            layout.append(line)
        elif line.lstrip().startswith("|"):
            flush()
            _table_row(line, layout, pieced)
        elif prefix.strip() or not paragraph:
            flush()
            layout.append(prefix)
            paragraph.append(line[len(prefix) :])
        else:
            paragraph.append(line)
    flush()
    return [piece.runs for piece in pieced], _Markdown(layout, pieced)


def rebuild_markdown(state: _Markdown, translated: list[Block]) -> bytes:
    """Put the translated runs back between the fixed syntax."""
    out = [
        part if isinstance(part, str) else state.pieced[part].join(translated[part])
        for part in state.layout
    ]
    return "".join(out).encode()


def _table_row(line: str, layout: list[str | int], pieced: list[Pieced]) -> None:
    """Lay out a table row with each cell a block of its own."""
    for number, part in enumerate(_CELL_BORDER.split(line)):
        if number % 2 or not part.strip():
            layout.append(part)
        else:
            pieced.append(split(part, _INLINE_FIXED))
            layout.append(len(pieced) - 1)


def _skipped_lines(text: str) -> set[int]:
    """Return the line numbers of code blocks, HTML blocks and front matter."""
    skipped: set[int] = set()
    for token in MarkdownIt("commonmark").parse(text):
        if token.type in _SKIPPED_TOKENS and token.map:
            skipped.update(range(*token.map))
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            skipped.update(range(text[: end + 4].count("\n") + 1))
    return skipped


def _is_rule(line: str) -> bool:
    """Return whether the line is a thematic break or a table's alignment row."""
    return re.fullmatch(r"[ \t]*([-*_=|:][ \t]*){3,}\n?", line) is not None
