"""Articles with summaries: the backend runs the tiny translation model and the random T5.

Random weights write nonsense, so the summary is checked for shape: present, bounded, a few
sentences at most, key points as a list; and that the summary model got the translated text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from frontend.articles.addresses import AllowedHost
from frontend.articles.summaries import SummaryClient
from quart import Quart

from testkit.article_site import Site, article_site

#: SUMMARY_MAX_TOKENS (96) per chunk summary, a few sentences kept: generously bounded in chars.
MAX_SUMMARY_CHARS = 4 * 96 * 8


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site(huge_bytes=60_000) as running:
        yield running


@pytest.fixture
def summarised(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """Record each text the frontend sends to the summary model, and the answer."""
    calls: list[tuple[str, object]] = []
    original = SummaryClient.summarise

    async def recording(self, text: str, *, request_id: str):
        summary = await original(self, text, request_id=request_id)
        calls.append((text, summary))
        return summary

    monkeypatch.setattr(SummaryClient, "summarise", recording)
    return calls


@pytest.fixture
async def app(make_settings, summary_backend_url: str, site: Site) -> AsyncIterator[Quart]:
    from frontend.app import create_app

    settings = make_settings(
        backend_url=summary_backend_url,
        fetch_allow_hosts=(AllowedHost("127.0.0.1", site.port),),
        max_article_bytes=200_000,
    )
    application = create_app(settings)
    async with application.test_app():
        yield application


async def test_the_api_summarises_the_translation(app, site, summarised):
    response = await app.test_client().post(
        "/api/v1/articles", json={"url": site.base_url + "/news.html"}
    )
    body = await response.get_json()
    assert response.status_code == 200
    assert body["summary_error"] is None
    assert 0 < len(body["summary"]) <= MAX_SUMMARY_CHARS
    assert isinstance(body["key_points"], list)
    assert 1 <= len(body["key_points"]) <= 5
    assert all(isinstance(point, str) and point for point in body["key_points"])
    ((text, _summary),) = summarised
    assert text == body["translation"], "the summary model is given the English translation"


async def test_the_stream_sends_the_summary_after_the_translation(app, site, summarised):
    response = await app.test_client().post(
        "/api/v1/articles/stream", json={"url": site.base_url + "/sections.html"}
    )
    lines = [json.loads(line) for line in (await response.get_data(as_text=True)).splitlines()]
    assert lines[0]["article"]["summary"] is True
    summary_line, done = lines[-2], lines[-1]
    assert summary_line["summary"]
    assert done["done"] is True
    assert summarised[0][0] == done["translation"]


async def test_a_long_article_is_summarised_in_several_chunks(app, site, summarised):
    response = await app.test_client().post(
        "/api/v1/articles", json={"url": site.base_url + "/huge.html"}
    )
    body = await response.get_json()
    assert response.status_code == 200
    ((_text, summary),) = summarised
    assert summary.chunks > 1
    assert body["summary"]
