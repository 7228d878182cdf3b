"""The article fetcher: what it refuses before any connection, and how it treats a real site.

Refusals of private addresses are checked against a recording mock transport and a fake
resolver: no test sends a packet anywhere but to the local test site on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from frontend.articles.addresses import AllowedHost
from frontend.articles.errors import ArticleError
from frontend.articles.fetching import USER_AGENT, Fetcher, FetchPolicy, open_http_client
from frontend.articles.reading import ArticleReader
from frontend.articles.robots import RobotsRules

from testkit.article_site import Site, article_site

PUBLIC = ipaddress.ip_address("93.184.216.34")
NAMES = {
    "news.example": [PUBLIC],
    "intranet.example": [ipaddress.ip_address("10.0.0.5")],
    "mixed.example": [PUBLIC, ipaddress.ip_address("192.168.0.7")],
    "v6private.example": [ipaddress.ip_address("fd00::5")],
    "metadata.example": [ipaddress.ip_address("169.254.169.254")],
}


class FakeResolver:
    """Answer from NAMES and count the look-ups."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list:
        self.calls.append(host)
        if host not in NAMES:
            raise OSError("no such name")
        return list(NAMES[host])


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
async def mock_fetcher(sent: list[httpx.Request]) -> AsyncIterator[tuple[Fetcher, FakeResolver]]:
    """A fetcher whose transport records requests and answers a small HTML page."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, html="<html><body><p>Hallo</p></body></html>")

    resolver = FakeResolver()
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        yield Fetcher(http, FetchPolicy(), resolver=resolver), resolver


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/",
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://10.0.0.1/",
        "http://192.168.178.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://intranet.example/",
        "http://mixed.example/",
        "http://v6private.example/",
        "http://metadata.example/",
    ],
)
async def test_forbidden_addresses_are_refused_before_any_connection(mock_fetcher, sent, url):
    fetcher, _resolver = mock_fetcher
    with pytest.raises(ArticleError) as refused:
        await fetcher.get(url, accept="text/html")
    assert refused.value.reason == "forbidden_address"
    assert "Only public web addresses can be fetched" in refused.value.message
    assert sent == []


async def test_a_name_resolving_to_loopback_is_refused(sent):
    """localhost comes from the system resolver (/etc/hosts): still refused, nothing sent."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(sent.append)) as http:
        with pytest.raises(ArticleError, match=r"localhost resolves to .*loopback"):
            await Fetcher(http, FetchPolicy()).get("http://localhost:9/", accept="text/html")
    assert sent == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("example.org/page", "scheme"),
        ("http://user:secret@news.example/", "url"),
        ("http://news.example:99999/", "url"),
        ("", "empty"),
    ],
)
async def test_urls_the_fetcher_never_follows_are_refused(mock_fetcher, sent, url, reason):
    fetcher, _resolver = mock_fetcher
    with pytest.raises(ArticleError) as refused:
        await fetcher.get(url, accept="text/html")
    assert refused.value.reason == reason
    assert sent == []


async def test_the_connection_goes_to_the_checked_address_with_the_name_in_host(mock_fetcher, sent):
    """The name is resolved once; the request is sent to that address (no second look-up)."""
    fetcher, resolver = mock_fetcher
    page = await fetcher.get("https://news.example/artikel?id=3", accept="text/html")
    assert resolver.calls == ["news.example"]
    (request,) = sent
    assert request.url.host == str(PUBLIC)
    assert request.url.raw_path == b"/artikel?id=3"
    assert request.headers["host"] == "news.example"
    assert request.extensions["sni_hostname"] == "news.example"
    assert page.url == "https://news.example/artikel?id=3"


# --- against the local test site on 127.0.0.1 ---------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with article_site(huge_bytes=300_000, slow_s=3.0) as running:
        yield running


@pytest.fixture
async def site_fetcher(site: Site) -> AsyncIterator[Fetcher]:
    policy = FetchPolicy(
        allow_hosts=(AllowedHost("127.0.0.1", site.port),),
        read_timeout_s=1.0,
        total_timeout_s=10.0,
        max_bytes=200_000,
    )
    async with open_http_client(policy) as http:
        yield Fetcher(http, policy)


@pytest.fixture
def reader(site_fetcher: Fetcher) -> ArticleReader:
    return ArticleReader(site_fetcher, RobotsRules(site_fetcher))


async def _refusal(reader: ArticleReader, url: str) -> ArticleError:
    with pytest.raises(ArticleError) as refused:
        await reader.read(url)
    return refused.value


async def test_an_allowed_host_is_fetched_with_our_user_agent(site, reader):
    fetched = await reader.read(site.base_url + "/news.html")
    assert fetched.article.title == "Der Rhein steigt weiter"
    request = next(r for r in site.requests if r["path"] == "/news.html")
    assert request["user-agent"] == USER_AGENT
    assert "cookie" not in request
    assert "authorization" not in request


async def test_the_allowlist_admits_only_the_named_port(site, site_fetcher):
    with pytest.raises(ArticleError) as refused:
        await site_fetcher.get(f"http://127.0.0.1:{site.port + 1}/", accept="text/html")
    assert refused.value.reason == "forbidden_address"


async def test_redirects_are_followed_and_the_final_url_reported(site, reader):
    fetched = await reader.read(site.base_url + "/moved")
    assert fetched.url == site.base_url + "/news.html"


async def test_cookies_set_by_a_site_are_never_sent_back(site, reader):
    site.requests.clear()
    await reader.read(site.base_url + "/cookie")
    followed = [r for r in site.requests if r["path"] == "/news.html"]
    assert followed
    assert all("cookie" not in r for r in followed)


@pytest.mark.parametrize(
    ("path", "reason", "status", "words"),
    [
        ("/to-private", "forbidden_address", 400, "10.1.2.3 is a private network address"),
        ("/to-metadata", "forbidden_address", 400, "cloud metadata"),
        ("/to-ftp", "scheme", 400, "Only http:// and https://"),
        ("/hop0", "redirects", 502, "redirects more than 5 times"),
        ("/huge.html", "too_large", 413, "MAX_ARTICLE_BYTES"),
        ("/report.pdf", "document", 415, "PDF document"),
        ("/data.json", "not_html", 415, "application/json"),
        ("/slow.html", "timeout", 504, "stopped sending for 1 seconds"),
        ("/private/secret.html", "robots", 403, "robots.txt does not allow"),
        ("/gone.html", "http_status", 502, "HTTP 410"),
        ("/empty.html", "no_article", 422, "No article text"),
    ],
)
async def test_each_unsafe_or_unusable_page_is_refused_with_its_own_message(
    site, reader, path, reason, status, words
):
    refusal = await _refusal(reader, site.base_url + path)
    assert (refusal.reason, refusal.status_code) == (reason, status)
    assert words in refusal.message


async def test_a_pdf_refusal_points_to_document_upload(site, reader):
    refusal = await _refusal(reader, site.base_url + "/report.pdf")
    assert "document upload" in refusal.message


async def test_robots_txt_is_read_once_per_origin(site, reader):
    site.requests.clear()
    await reader.read(site.base_url + "/news.html")
    await reader.read(site.base_url + "/blog.html")
    assert [r["path"] for r in site.requests].count("/robots.txt") == 1
