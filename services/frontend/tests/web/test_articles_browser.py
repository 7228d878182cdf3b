"""Articles by URL in a real Chromium: paste a URL, read the English article and its summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testkit.article_site import ARTICLE_PARAGRAPHS, Site, article_site
from testkit.servers import ServerProcess, free_port, python_module, sqlite_frontend_env

#: The operator in every test app's users file (conftest.py's OPERATOR).
OPERATOR = ("operator", "correct horse battery staple")


def _write_users(path: Path) -> Path:
    """Write an htpasswd file with the operator's bcrypt account, as `htpasswd -B` would."""
    import bcrypt

    hashed = bcrypt.hashpw(OPERATOR[1].encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{OPERATOR[0]}:$2y${hashed.removeprefix('$2b$')}\n", encoding="utf-8")
    return path


pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site() as running:
        yield running


@pytest.fixture
def browser_credentials(operator_login: tuple[str, str]) -> tuple[str, str]:
    """Pages sign in as the operator when one asks (the history is the operator's)."""
    return operator_login


def _frontend(backend: str, site: Site, tmp: Path, log: Path) -> ServerProcess:
    users = _write_users(tmp / "admin_users")
    extra = {
        "ADMIN_USERS_FILE": str(users),
        # Only the test site's own port on 127.0.0.1, nothing else private.
        "FETCH_ALLOW_HOSTS": f"127.0.0.1:{site.port}",
    }
    env = sqlite_frontend_env(backend, tmp / "translations.db", extra)
    return python_module("frontend", port=free_port(), ready_path="/readyz", log_path=log, env=env)


@pytest.fixture(scope="module")
def summarising_frontend(summary_backend_url, site, tmp_path_factory, test_output_dir):
    """The frontend in front of a backend with SUMMARY_MODEL set."""
    tmp = tmp_path_factory.mktemp("articles-browser")
    log = test_output_dir / "logs" / "frontend-articles.log"
    with _frontend(summary_backend_url, site, tmp, log) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def plain_frontend(backend_url, site, tmp_path_factory, test_output_dir):
    """The frontend in front of a backend with SUMMARY_MODEL empty."""
    tmp = tmp_path_factory.mktemp("articles-browser-plain")
    log = test_output_dir / "logs" / "frontend-articles-plain.log"
    with _frontend(backend_url, site, tmp, log) as server:
        yield server.base_url


def _read_article(page, frontend: str, url: str) -> None:
    page.goto(frontend + "/")
    page.fill("#article-url", url)
    page.click("#article-button")


def test_a_pasted_url_shows_the_english_article_and_its_summary(
    page, summarising_frontend, site, screenshot_dir
):
    _read_article(page, summarising_frontend, site.base_url + "/news.html")
    page.wait_for_selector("#article-status a", timeout=90_000)
    expect(page.locator("#article-title")).to_have_text("Der Rhein steigt weiter")
    expect(page.locator("#article-meta a")).to_have_text(site.base_url + "/news.html")
    translation = page.text_content("#article-translation")
    blocks = [block for block in translation.split("\n\n") if block.strip()]
    assert len(blocks) == 1 + len(ARTICLE_PARAGRAPHS["/news.html"])  # the title, then each one
    expect(page.locator("#article-summary")).to_be_visible()
    assert page.text_content("#article-summary-text").strip()
    assert 1 <= page.locator("#article-key-points li").count() <= 5
    assert float(page.get_attribute("#article-progress", "value")) == 1
    page.screenshot(path=screenshot_dir / "article-summarised.png", full_page=True)


def test_the_translated_article_is_in_the_history(page, summarising_frontend, site):
    _read_article(page, summarising_frontend, site.base_url + "/blog.html")
    page.wait_for_selector("#article-status a", timeout=90_000)
    page.click("#article-status a")
    expect(page.locator("body")).to_contain_text("Seit drei Jahren backe ich")


def test_a_forbidden_address_is_refused_on_the_page(page, summarising_frontend, site):
    _read_article(page, summarising_frontend, site.base_url + "/to-private")
    expect(page.locator("#article-message")).to_contain_text("private network address")
    expect(page.locator("#article-result")).to_be_hidden()


def test_without_a_summary_model_the_summary_stays_hidden(page, plain_frontend, site):
    _read_article(page, plain_frontend, site.base_url + "/news.html")
    page.wait_for_selector("#article-status a", timeout=90_000)
    assert page.text_content("#article-translation").strip()
    expect(page.locator("#article-summary")).to_be_hidden()
