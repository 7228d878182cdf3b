"""Extraction: the article's structure as plain text the translator keeps, nothing around it."""

from __future__ import annotations

import pytest
from frontend.articles.errors import ArticleError
from frontend.articles.extraction import decode, extract_article

from testkit.article_site import BOILERPLATE, NAV, latin1_page, news_page

FILLER = (
    "Das ist ein langer Absatz mit genug Inhalt, damit der Extraktor den Artikel als solchen "
    "erkennt und nicht als zu kurz verwirft."
)


def _page(body: str, title: str = "Seite") -> str:
    return f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"


def test_nested_lists_are_indented_and_inline_words_kept():
    html = _page(
        f"<h1>Liste</h1><p>{FILLER}</p><ul><li>Erster Punkt mit <b>fettem</b> Wort<ul>"
        f"<li>Unterpunkt eins</li><li>Unterpunkt zwei</li></ul></li><li>Zweiter Punkt</li></ul>"
        f"<p>{FILLER}</p>"
    )
    blocks = extract_article(html, url="http://x/").text.split("\n\n")
    assert (
        "- Erster Punkt mit fettem Wort\n  - Unterpunkt eins\n  - Unterpunkt zwei\n- Zweiter Punkt"
        in blocks
    )


def test_quotes_are_marked_line_by_line():
    html = _page(
        f"<h1>Zitat</h1><p>{FILLER}</p><blockquote><p>Erster Satz.</p><p>Zweiter Satz.</p>"
        f"</blockquote><p>{FILLER}</p>"
    )
    assert "> Erster Satz.\n> Zweiter Satz." in extract_article(html, url="http://x/").text


def test_the_title_opens_the_text_when_the_page_has_no_heading():
    html = _page(f"<p>{FILLER}</p><p>{FILLER}</p>", title="Ohne Überschrift")
    article = extract_article(html, url="http://x/")
    assert article.title == "Ohne Überschrift"
    assert article.text.split("\n\n")[0] == "Ohne Überschrift"


def test_a_line_break_in_the_html_is_not_structure():
    html = _page(f"<h1>Umbruch</h1><p>Ein Satz,\n   der weitergeht. {FILLER}</p><p>{FILLER}</p>")
    assert "Ein Satz, der weitergeht." in extract_article(html, url="http://x/").text


def test_no_navigation_cookie_banner_ad_comment_or_footer_line_survives():
    text = extract_article(news_page(), url="http://x/news.html").text
    for line in [*BOILERPLATE, *NAV]:
        assert line not in text


def test_the_declared_charset_decodes_the_page():
    html = decode(latin1_page(), "ISO-8859-1")
    assert "Görlitz" in extract_article(html, url="http://x/").text


def test_an_unknown_charset_leaves_the_bytes_to_the_extractor():
    assert decode(b"<p>x</p>", "no-such-charset") == b"<p>x</p>"


def test_a_page_without_an_article_is_refused():
    with pytest.raises(ArticleError) as refused:
        extract_article("<html><body><nav>Start</nav></body></html>", url="http://x/")
    assert refused.value.reason == "no_article"


def test_the_same_article_can_be_read_twice():
    """trafilatura's process-wide duplicate filter would hide it from its second reader."""
    first = extract_article(news_page(), url="http://x/news.html")
    assert extract_article(news_page(), url="http://x/news.html") == first
