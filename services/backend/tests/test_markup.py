"""backend.markup: HTML translated in context, every tag back, verbatim parts untouched."""

from __future__ import annotations

import re

import pytest
from backend.markup import MarkupDocument
from hypothesis import given
from hypothesis import strategies as st

TAG = re.compile(r"<[^>]*>")

WORDS = st.text(alphabet="abcdefgäöüß ABC.,!?&", min_size=0, max_size=12)
INLINE = st.sampled_from(["b", "i", "a", "span", "em", "strong"])
BLOCK = st.sampled_from(["p", "div", "li", "td", "h1"])
ATTRIBUTES = st.sampled_from(
    ["", ' class="x"', " href='/a?b=1&amp;c=2'", " data-x=y", ' title="a > b"']
)


@st.composite
def fragments(draw, depth: int = 0) -> str:
    """Well-formed HTML: text, inline and block elements with attributes, comments, verbatim."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "inline", "block", "comment", "code", "br"]))
        if kind == "text" or depth >= 3:
            parts.append(draw(WORDS).replace("&", "&amp;"))
        elif kind in ("inline", "block"):
            name = draw(INLINE if kind == "inline" else BLOCK)
            inner = draw(fragments(depth + 1))
            parts.append(f"<{name}{draw(ATTRIBUTES)}>{inner}</{name}>")
        elif kind == "comment":
            parts.append(f"<!-- {draw(WORDS)} -->")
        elif kind == "code":
            parts.append(f"<code>{draw(WORDS).replace('&', '&amp;')}</code>")
        else:
            parts.append("<br/>")
    return "".join(parts)


def nonsense(text: str) -> str:
    """A stand-in translation of another length and other words."""
    return " ".join(word[::-1] + "x" for word in text.split()) + " Ende."


@given(fragments(), st.sampled_from([str.upper, nonsense, lambda t: "", lambda t: t]))
def test_any_well_formed_html_comes_back_with_the_same_tags_in_the_same_order(
    html, translate
) -> None:
    document = MarkupDocument.parse(html)
    rendered = document.render([translate(text) for text in document.texts])
    assert TAG.findall(rendered) == TAG.findall(html)


@given(st.text(max_size=200))
def test_any_string_comes_back_unchanged_when_nothing_is_translated(source) -> None:
    """The pieces cover the source exactly: no character is lost or added by parsing."""
    document = MarkupDocument.parse(source)
    if not document.texts:
        assert document.render([]) == source


def test_a_sentence_spanning_an_inline_tag_is_one_text() -> None:
    document = MarkupDocument.parse("<p>Das ist <b>sehr</b> gut. Und <i>das</i> auch.</p>")
    assert document.texts == ["Das ist sehr gut. Und das auch."]


def test_verbatim_elements_comments_and_attributes_are_kept_exactly() -> None:
    source = (
        '<!DOCTYPE html><p title="Titel">Hallo</p><pre> a\n  b </pre><code>x &amp; y</code>'
        '<script>if (a < b) { s = "<b>"; }</script><style>p > b { }</style><!-- Kommentar -->'
        '<span translate="no">Name</span><div class="notranslate">Marke</div>'
    )
    document = MarkupDocument.parse(source)
    assert document.texts == ["Hallo"]
    assert document.render(["Hello"]) == source.replace(">Hallo<", ">Hello<")


def test_a_tag_around_the_whole_text_wraps_the_whole_translation() -> None:
    document = MarkupDocument.parse("<p><b>Guten Morgen</b></p>")
    assert document.render(["Good morning to you"]) == "<p><b>Good morning to you</b></p>"


def test_tags_around_whole_sentences_wrap_the_same_sentences() -> None:
    document = MarkupDocument.parse("<p>Erster Satz hier. <b>Zweiter Satz.</b> Dritter.</p>")
    rendered = document.render(["The first sentence here. A second one. Third."])
    assert rendered == "<p>The first sentence here. <b>A second one.</b> Third.</p>"


def test_tags_land_on_word_boundaries() -> None:
    document = MarkupDocument.parse("<p>Das ist <b>gut</b></p>")
    rendered = document.render(["That is good"])
    assert rendered == "<p>That is <b>good</b></p>"


def test_translations_are_escaped_and_whitespace_around_a_unit_is_kept() -> None:
    document = MarkupDocument.parse("<li>\n  A &amp; B\n</li>")
    assert document.texts == ["A & B"]
    assert document.render(["A < B & C"]) == "<li>\n  A &lt; B &amp; C\n</li>"


def test_render_wants_one_translation_per_text() -> None:
    document = MarkupDocument.parse("<p>a</p><p>b</p>")
    with pytest.raises(ValueError, match="2 translations expected"):
        document.render(["x"])
