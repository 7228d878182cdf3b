"""Articles by URL through `make run`: Traefik routes /api/v1/articles to the frontend.

The whole app (run_local.py: real Traefik, backend with the tiny model and the random T5 summary
model, frontend) reads a German article from the local test site on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.article_site import Site, article_site
from tests.local_app import LocalApp, running


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site() as running_site:
        yield running_site


@pytest.fixture(scope="module")
def app(
    tiny_model: Path, summary_model: Path, site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalApp]:
    env = {"SUMMARY_MODEL": str(summary_model), "FETCH_ALLOW_HOSTS": f"127.0.0.1:{site.port}"}
    with running(tmp_path_factory.mktemp("articles-run"), tiny_model, env) as local:
        yield local


def test_the_public_api_reads_translates_and_summarises_an_article(app, site):
    with httpx.Client(base_url=app.url, timeout=120) as client:
        response = client.post("/api/v1/articles", json={"url": site.base_url + "/news.html"})
    body = response.json()
    assert response.status_code == 200
    assert body["title"] == "Der Rhein steigt weiter"
    assert body["translation"]
    assert body["summary"]
    assert body["key_points"]


def test_the_streamed_api_reaches_the_frontend_unbuffered(app, site):
    with (
        httpx.Client(base_url=app.url, timeout=120) as client,
        client.stream(
            "POST", "/api/v1/articles/stream", json={"url": site.base_url + "/blog.html"}
        ) as response,
    ):
        assert response.status_code == 200
        assert "content-length" not in response.headers
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[0]["article"]["title"]
    assert lines[-1]["done"] is True


def test_the_api_refuses_the_apps_own_address(app):
    """Traefik itself on 127.0.0.1 (its admin pages behind it) is not allowed: refused."""
    with httpx.Client(base_url=app.url, timeout=30) as client:
        response = client.post("/api/v1/articles", json={"url": app.url + "/query"})
    assert response.status_code == 400
    assert "loopback" in response.json()["error"]
