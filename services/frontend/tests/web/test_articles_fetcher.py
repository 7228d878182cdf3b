"""The fetcher service: the frontend reads articles through it when FETCHER_URL is set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from frontend.articles.fetch_settings import FetchSettings
from frontend.config import ConfigError
from quart import Quart

from testkit.article_site import Site, article_site
from testkit.servers import free_port, python_module


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site() as running:
        yield running


@pytest.fixture(scope="module")
def fetcher_url(site: Site, test_output_dir) -> Iterator[str]:
    """Run `python -m frontend.articles.fetcher_service`, allowed to reach only the test site."""
    with python_module(
        "frontend.articles.fetcher_service",
        port=free_port(),
        ready_path="/healthz",
        log_path=test_output_dir / "logs" / "fetcher.log",
        env={"FETCH_ALLOW_HOSTS": f"127.0.0.1:{site.port}", "FETCH_READ_TIMEOUT_S": "1"},
    ) as server:
        yield server.base_url


@pytest.fixture
async def app(make_settings, backend_url: str, fetcher_url: str) -> AsyncIterator[Quart]:
    from frontend.app import create_app

    # No FETCH_ALLOW_HOSTS here: reading 127.0.0.1 in this process would be refused, so a page
    # that arrives came through the fetcher.
    settings = make_settings(backend_url=backend_url, fetcher_url=fetcher_url)
    application = create_app(settings)
    async with application.test_app():
        yield application


async def test_the_frontend_reads_the_article_through_the_fetcher(app, site):
    site.requests.clear()
    response = await app.test_client().post(
        "/api/v1/articles", json={"url": site.base_url + "/sections.html"}
    )
    body = await response.get_json()
    assert response.status_code == 200
    assert body["title"] == "Bauarbeiten bei der Bahn"
    assert "- Ersatzbusse fahren im Stundentakt." in body["source_text"]
    assert body["translation"]
    assert "/sections.html" in [r["path"] for r in site.requests]


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [("/to-private", 400, "forbidden_address"), ("/report.pdf", 415, "document")],
)
async def test_the_fetchers_refusals_reach_the_user_unchanged(app, site, path, status, reason):
    response = await app.test_client().post("/api/v1/articles", json={"url": site.base_url + path})
    assert response.status_code == status
    assert (await response.get_json())["reason"] == reason


async def test_the_fetcher_refuses_loopback_outside_its_allowlist(fetcher_url):
    async with httpx.AsyncClient(base_url=fetcher_url) as client:
        response = await client.post("/v1/read", json={"url": "http://0x7f000001:8001/"})
    assert response.status_code == 400
    assert "loopback" in response.json()["error"]


async def test_an_unreachable_fetcher_is_a_clear_503(make_settings, backend_url):
    from frontend.app import create_app

    settings = make_settings(backend_url=backend_url, fetcher_url=f"http://127.0.0.1:{free_port()}")
    application = create_app(settings)
    async with application.test_app():
        response = await application.test_client().post(
            "/api/v1/articles", json={"url": "https://example.org/"}
        )
    assert response.status_code == 503
    assert "fetcher cannot be reached" in (await response.get_json())["error"]


def test_the_fetcher_reads_its_settings_and_refuses_bad_ones():
    settings = FetchSettings.from_env({"FETCH_ALLOW_HOSTS": "wiki:8080", "MAX_ARTICLE_BYTES": "9"})
    assert (settings.fetch_policy.max_bytes, len(settings.fetch_policy.allow_hosts)) == (9, 1)
    with pytest.raises(ConfigError):
        FetchSettings.from_env({"FETCH_READ_TIMEOUT_S": "soon"})


def test_the_fetcher_stops_cleanly_on_sigterm(test_output_dir):
    """Swarm stops tasks with SIGTERM: the fetcher exits 0, it is not killed."""
    process = python_module(
        "frontend.articles.fetcher_service",
        port=free_port(),
        ready_path="/healthz",
        log_path=test_output_dir / "logs" / "fetcher-sigterm.log",
    )
    process.start()
    assert process.stop(grace_s=10) == 0
