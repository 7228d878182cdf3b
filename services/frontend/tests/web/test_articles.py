"""Articles by URL through the app: the JSON API, the stream, the form, history and refusals.

The pages come from the local test site on 127.0.0.1 (allowed through FETCH_ALLOW_HOSTS); the
translations from the real backend with the tiny random model, so English text is checked for
shape (one translated block per source block), not for words.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from frontend.articles.addresses import AllowedHost
from quart import Quart

from testkit.article_site import ARTICLE_PARAGRAPHS, BOILERPLATE, NAV, Site, article_site


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site(huge_bytes=300_000, slow_s=3.0) as running:
        yield running


@pytest.fixture
async def app(make_settings, backend_url: str, site: Site) -> AsyncIterator[Quart]:
    settings = make_settings(
        backend_url=backend_url,
        fetch_allow_hosts=(AllowedHost("127.0.0.1", site.port),),
        fetch_read_timeout_s=1.0,
        max_article_bytes=200_000,
        articles_per_minute=100,
    )
    from frontend.app import create_app

    application = create_app(settings)
    async with application.test_app():
        yield application


async def _post(app: Quart, path: str, url: str):
    return await app.test_client().post(path, json={"url": url})


def _blocks(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block.strip()]


@pytest.mark.parametrize("path", list(ARTICLE_PARAGRAPHS))
async def test_the_api_returns_the_article_without_boilerplate_and_translated(app, site, path):
    response = await _post(app, "/api/v1/articles", site.base_url + path)
    assert response.status_code == 200
    body = await response.get_json()
    source = body["source_text"]
    for line in [*BOILERPLATE, *NAV]:
        assert line not in source
    positions = [source.index(paragraph) for paragraph in ARTICLE_PARAGRAPHS[path]]
    assert positions == sorted(positions), "paragraphs keep their order"
    assert body["url"] == site.base_url + path
    assert body["title"]
    assert len(_blocks(body["translation"])) == len(_blocks(source))
    assert body["translation"] != source
    assert body["saved"] is True


async def test_sections_keep_headings_lists_and_quotes_in_order(app, site):
    body = await (await _post(app, "/api/v1/articles", site.base_url + "/sections.html")).get_json()
    blocks = _blocks(body["source_text"])
    assert blocks[0] == "Bauarbeiten bei der Bahn"
    assert blocks[2] == "Welche Strecken betroffen sind"
    assert "- Ersatzbusse fahren im Stundentakt.\n- Fahrkarten bleiben gültig." in blocks
    assert any(block.startswith("> Wir wissen") for block in blocks)
    translated = _blocks(body["translation"])
    list_block = blocks.index("- Ersatzbusse fahren im Stundentakt.\n- Fahrkarten bleiben gültig.")
    assert [line[:2] for line in translated[list_block].splitlines()] == ["- ", "- "]


async def test_the_iso_8859_1_page_is_decoded(app, site):
    body = await (await _post(app, "/api/v1/articles", site.base_url + "/latin1.html")).get_json()
    assert "Görlitz" in body["source_text"]
    assert "Straßenbau" in body["source_text"]


async def test_the_news_article_carries_author_and_date(app, site):
    body = await (await _post(app, "/api/v1/articles", site.base_url + "/news.html")).get_json()
    assert (body["author"], body["date"]) == ("Anna Schmidt", "2026-11-20")


async def test_history_keeps_the_source_url_title_and_both_texts(app, site, resources_of):
    body = await (await _post(app, "/api/v1/articles", site.base_url + "/blog.html")).get_json()
    stored = await resources_of(app).repository.get(body["id"])
    assert stored.source_url == site.base_url + "/blog.html"
    assert stored.title == body["title"]
    assert (stored.source_text, stored.translated_text) == (
        body["source_text"],
        body["translation"],
    )


async def test_without_a_summary_model_no_summary_is_promised(app, site):
    """The backend under test has SUMMARY_MODEL empty: no summary, and the stream says so."""
    body = await (await _post(app, "/api/v1/articles", site.base_url + "/blog.html")).get_json()
    assert (body["summary"], body["key_points"]) == (None, [])
    lines = await _stream_lines(app, site.base_url + "/blog.html")
    assert lines[0]["article"]["summary"] is False
    assert not any("summary" in line and "article" not in line for line in lines)


async def _stream_lines(app: Quart, url: str) -> list[dict]:
    response = await _post(app, "/api/v1/articles/stream", url)
    assert response.status_code == 200
    return [json.loads(line) for line in (await response.get_data(as_text=True)).splitlines()]


async def test_the_stream_sends_the_article_then_segments_then_done(app, site):
    lines = await _stream_lines(app, site.base_url + "/news.html")
    article, *segments, done = lines
    assert article["article"]["title"] == "Der Rhein steigt weiter"
    assert [s["index"] for s in segments] == list(range(len(segments)))
    assert done["done"] is True
    assert "".join(s["text"] for s in segments) == done["translation"]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/to-private", 400, "private network address"),
        ("/report.pdf", 415, "document upload"),
        ("/data.json", 415, "not a web page"),
        ("/huge.html", 413, "MAX_ARTICLE_BYTES"),
        ("/slow.html", 504, "stopped sending"),
        ("/hop0", 502, "redirects more than 5 times"),
    ],
)
async def test_refusals_reach_the_api_caller_with_their_message(app, site, path, status, words):
    response = await _post(app, "/api/v1/articles/stream", site.base_url + path)
    assert response.status_code == status
    assert words in (await response.get_json())["error"]


async def test_loopback_outside_the_allowlist_is_refused(app):
    response = await _post(app, "/api/v1/articles", "http://2130706433:8001/readyz")
    assert response.status_code == 400
    assert "loopback" in (await response.get_json())["error"]
    metrics = app.extensions["frontend"].metrics.render().decode()
    assert 'translation_frontend_articles_total{outcome="forbidden_address"} 1.0' in metrics


async def test_the_api_needs_no_csrf_token_for_json_but_forms_do(app, site):
    client = app.test_client()
    response = await client.post("/articles", form={"url": site.base_url + "/news.html"})
    assert response.status_code == 403


async def test_the_form_without_javascript_shows_the_translated_article(app, site, csrf_token):
    client = app.test_client()
    token = await csrf_token(client)
    response = await client.post(
        "/articles", form={"url": site.base_url + "/news.html", "csrf_token": token}
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Der Rhein steigt weiter" in page
    assert 'id="article-summary" hidden' in page


async def test_the_translate_page_offers_the_url_field(app, csrf_token):
    page = await (await app.test_client().get("/")).get_data(as_text=True)
    assert 'id="article-url"' in page
    assert "articles.js" in page


async def test_each_client_is_rate_limited(make_settings, backend_url, site):
    from frontend.app import create_app

    settings = make_settings(
        backend_url=backend_url,
        fetch_allow_hosts=(AllowedHost("127.0.0.1", site.port),),
        articles_per_minute=2,
    )
    application = create_app(settings)
    async with application.test_app():
        statuses = [
            (await _post(application, "/api/v1/articles", site.base_url + "/gone.html")).status_code
            for _ in range(3)
        ]
    assert statuses == [502, 502, 429]
