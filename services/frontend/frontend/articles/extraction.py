"""Find the article in an HTML page with trafilatura and write it as structured plain text.

trafilatura (Apache-2.0) drops navigation, ads, cookie banners, comments and footers and returns
the main text as XML (``head``, ``p``, ``list``/``item``, ``quote``, ``table``); this module turns
that into the plain-text shape the translator keeps: one block per paragraph or heading,
separated by blank lines, "- " before list items, "> " before quoted lines. The backend's
segmenter keeps those markers and blank lines verbatim, so the translation has the same shape.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from frontend.articles.errors import ArticleError

_HEADING, _PARAGRAPH, _LIST, _QUOTE = "heading", "paragraph", "list", "quote"


@dataclass(frozen=True)
class Block:
    """One piece of the article: a heading, a paragraph, a list or a quotation, as text lines."""

    kind: str
    text: str


@dataclass(frozen=True)
class Article:
    """The extracted article: metadata where the page states it, and its blocks in order."""

    title: str
    author: str
    date: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """Return the article as plain text: blocks separated by one blank line."""
        return "\n\n".join(block.text for block in self.blocks)


def decode(body: bytes, charset: str | None) -> str | bytes:
    """Decode with the charset the server declared; without one, leave it to the extractor.

    trafilatura then reads the page's own <meta charset> and falls back to detection.
    """
    if charset:
        try:
            return body.decode(codecs.lookup(charset).name, errors="replace")
        except LookupError:
            pass
    return body


def extract_article(html: str | bytes, *, url: str) -> Article:
    """Return the main article of `html`; raise ArticleError when the page has none."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        # Leave out doubtful parts (teasers, related links) rather than risk boilerplate lines.
        favor_precision=True,
        # No deduplicate: its memory is process-wide, so a second reader of the same article
        # would get nothing back.
    )
    if not xml:
        raise ArticleError(
            "No article text was found on this page.", reason="no_article", status_code=422
        )
    doc = etree.fromstring(xml.encode("utf-8"))
    main = doc.find("main")
    blocks = tuple(_blocks(main if main is not None else doc))
    title = _clean(doc.get("title", ""))
    if title and not (blocks and blocks[0].kind == _HEADING and blocks[0].text == title):
        blocks = (Block(_HEADING, title), *blocks)
    if not any(block.kind != _HEADING for block in blocks):
        raise ArticleError(
            "No article text was found on this page.", reason="no_article", status_code=422
        )
    return Article(
        title=title or blocks[0].text.splitlines()[0],
        author=_clean(doc.get("author", "")),
        date=_clean(doc.get("date", "")),
        blocks=blocks,
    )


def _blocks(parent: object) -> list[Block]:
    blocks: list[Block] = []
    for element in parent:  # type: ignore[attr-defined]
        tag = element.tag
        if tag == "head":
            _append(blocks, _HEADING, [_text(element)])
        elif tag == "list":
            _append(blocks, _LIST, _list_lines(element, depth=0))
        elif tag == "quote":
            lines = [line for block in _blocks(element) for line in block.text.splitlines()]
            lines = lines or [_text(element)]
            _append(blocks, _QUOTE, [f"> {line}" for line in lines if line.strip()])
        elif tag == "table":
            rows = [" | ".join(_text(cell) for cell in row) for row in element.iter("row")]
            _append(blocks, _PARAGRAPH, rows)
        elif tag in {"p", "code"}:
            _append(blocks, _PARAGRAPH, [_text(element)])
        elif len(element):
            blocks.extend(_blocks(element))
        else:
            _append(blocks, _PARAGRAPH, [_text(element)])
    return blocks


def _list_lines(element: object, *, depth: int) -> list[str]:
    lines: list[str] = []
    for item in element.iter("item"):  # type: ignore[attr-defined]
        if item.getparent() is not element:
            continue  # nested items are written by their own list, indented
        lines.append("  " * depth + "- " + _item_text(item))
        for nested in item.findall("list"):
            lines.extend(_list_lines(nested, depth=depth + 1))
        lines[-1] = lines[-1].rstrip()
    return [line for line in lines if line.strip() not in {"", "-"}]


def _item_text(item: object) -> str:
    """Return a list item's own text: inline children included, nested lists left out."""
    parts = [item.text or ""]  # type: ignore[attr-defined]
    for child in item:  # type: ignore[attr-defined]
        if child.tag != "list":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return _clean("".join(parts))


def _append(blocks: list[Block], kind: str, lines: list[str]) -> None:
    lines = [line.rstrip() for line in lines if line and line.strip()]
    if lines:
        blocks.append(Block(kind, "\n".join(lines)))


def _text(element: object) -> str:
    return _clean("".join(element.itertext()))  # type: ignore[attr-defined]


def _clean(text: str) -> str:
    """Collapse whitespace inside a block: a line break in the HTML source is not structure."""
    return " ".join(text.split())
