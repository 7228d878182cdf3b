"""Read the repository's Markdown: its relative links, the anchors its headings make, its tables."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

# Explicit anchors written as HTML (`<a id="x">`, `<a name="x">`) count like headings' anchors.
HTML_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:id|name)=["']([^"']+)["']""", re.IGNORECASE)
# What GitHub drops from a heading's text to make its anchor: all but letters, digits, `_`, `-`
# and spaces (github/cmark-gfm's extension; its toc filter).
NOT_IN_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """A link written in a Markdown file, where it stands, and where it points."""

    source: Path
    line: int
    target: str


@dataclass(frozen=True)
class Table:
    """A Markdown table: its file, first line, header cells and body rows (cells as plain text)."""

    source: Path
    line: int
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    keys: frozenset[str]


def markdown_files(root: Path) -> list[Path]:
    """Return the Markdown files git tracks or would track under root (ignored ones left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.md"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted({root / name for name in listed if (root / name).is_file()})


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _inline_text(token: Token) -> str:
    """Return what a reader sees of an inline token: text and code, without markup."""
    return "".join(
        child.content for child in token.children or [] if child.type in ("text", "code_inline")
    )


def slug(heading: str) -> str:
    """Return the anchor GitHub gives a heading with this text (before de-duplication)."""
    return NOT_IN_SLUG.sub("", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Return every anchor a Markdown text defines: its headings' (numbered if repeated), HTML."""
    tokens = _parser().parse(text)
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open":
            continue
        base = slug(_inline_text(inline))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> Iterator[Link]:
    """Yield the links and images of one Markdown file (code spans and blocks hold none)."""
    for token in _parser().parse(path.read_text(encoding="utf-8")):
        if token.type != "inline":
            continue
        line = token.map[0] + 1 if token.map else 0
        for child in token.children or []:
            target = child.attrGet("href") if child.type == "link_open" else None
            if child.type == "image":
                target = child.attrGet("src")
            if isinstance(target, str):
                yield Link(path, line, target)


def is_relative(target: str) -> bool:
    """Tell whether a link points into the repository rather than to another site or address."""
    return not (SCHEME.match(target) or target.startswith("//"))


def broken_link(link: Link, root: Path) -> str | None:
    """Return why a relative link does not resolve inside root, or None when it does."""
    path_part, _, anchor = link.target.partition("#")
    path_part = unquote(path_part)
    if not path_part:
        target = link.source
    elif path_part.startswith("/"):
        target = root / path_part.lstrip("/")
    else:
        target = link.source.parent / path_part
    target = target.resolve()
    where = f"{link.source.relative_to(root)}:{link.line}: {link.target}"
    if not target.is_relative_to(root.resolve()):
        return f"{where}: points outside the repository"
    if not target.exists():
        return f"{where}: no such file {target.relative_to(root.resolve())}"
    if anchor and target.suffix == ".md" and anchor not in anchors(target.read_text("utf-8")):
        return f"{where}: no heading or anchor #{anchor} in {target.relative_to(root.resolve())}"
    return None


def _row_key(cells: tuple[str, ...], codes: tuple[str, ...]) -> str:
    """Return what a row is about: the first code span of its first cell, else that cell's text."""
    return (codes[0] if codes else cells[0]).strip().lower()


def tables(path: Path) -> list[Table]:
    """Return the tables of one Markdown file."""
    found: list[Table] = []
    header: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = []
    keys: set[str] = set()
    cells: list[str] = []
    first_codes: list[str] = []
    start = 0
    in_table = in_head = False
    for token in _parser().parse(path.read_text(encoding="utf-8")):
        if token.type == "table_open":
            in_table = True
            header, rows, keys = (), [], set()
            start = token.map[0] + 1 if token.map else 0
        elif token.type in ("thead_open", "thead_close"):
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            cells, first_codes = [], []
        elif token.type == "inline" and in_table:
            if not cells:
                kids = token.children or []
                first_codes = [child.content for child in kids if child.type == "code_inline"]
            cells.append(_inline_text(token))
        elif token.type == "tr_close":
            if in_head:
                header = tuple(cells)
            else:
                rows.append(tuple(cells))
                if cells and cells[0].strip():
                    keys.add(_row_key(tuple(cells), tuple(first_codes)))
        elif token.type == "table_close":
            in_table = False
            found.append(Table(path, start, header, tuple(rows), frozenset(keys)))
    return found


def duplicated_tables(all_tables: list[Table], *, min_shared: int = 3) -> list[str]:
    """Return a line for each pair of tables in two files that document mostly the same things.

    Two tables are one written twice when they share at least min_shared row keys and those are
    at least half the rows of the smaller: a settings or benchmark table copied to another file
    shares nearly all its keys, while two services' settings tables share only a few common names.
    """
    found = []
    for index, first in enumerate(all_tables):
        for second in all_tables[index + 1 :]:
            if first.source == second.source:
                continue  # one file may hold several runs of the same benchmark
            shared = first.keys & second.keys
            smaller = min(len(first.keys), len(second.keys))
            if len(shared) >= min_shared and 2 * len(shared) >= smaller:
                found.append(
                    f"{first.source}:{first.line} and {second.source}:{second.line} share "
                    f"{len(shared)} of {smaller} rows: {', '.join(sorted(shared)[:6])}"
                )
    return found
