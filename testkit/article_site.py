"""A local web site of German article pages, served on 127.0.0.1 for the article tests.

Each page knows which paragraphs are the article (``ARTICLE_PARAGRAPHS``) and which lines are
boilerplate that must never come out (``BOILERPLATE``), so tests check extraction against them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from testkit.servers import LOOPBACK, serving

NAV = ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur"]
BOILERPLATE = [
    "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten.",
    "Anzeige: Jetzt den neuen Stromtarif sichern und sparen!",
    "Lutz aus Bonn: Das hätte man doch alles vorher wissen können.",
    "© 2026 Tagesblatt Verlag. Impressum. Datenschutz. Kontakt.",
    "Mehr zum Thema: Zehn Tipps für den Winter",
]

NEWS = [
    "In Köln ist der Pegel des Rheins über Nacht um mehr als einen halben Meter gestiegen.",
    "Die Stadt hat am Morgen die ersten mobilen Schutzwände in der Altstadt aufgebaut.",
    "Der Krisenstab rechnet bis zum Wochenende mit weiter steigenden Wasserständen.",
    "Anwohner sollen ihre Keller räumen und wichtige Dokumente an einem sicheren Ort lagern.",
    "Die Feuerwehr ist mit mehreren hundert Einsatzkräften in der ganzen Stadt unterwegs.",
]
BLOG = [
    "Seit drei Jahren backe ich jeden Samstag mein eigenes Brot mit Sauerteig.",
    "Am Anfang ist fast jeder Laib flach und sauer geworden, aber ich habe nicht aufgegeben.",
    "Wichtig ist vor allem die Temperatur, denn der Teig braucht viel Wärme und Geduld.",
    "Heute gelingt mir das Brot fast immer, und die ganze Familie freut sich darauf.",
]
SECTIONS = [
    "Die Bahn plant für das kommende Jahr umfangreiche Bauarbeiten im ganzen Land.",
    "Besonders betroffen sind die Strecken zwischen Hamburg und Berlin sowie im Ruhrgebiet.",
    "Fahrgäste müssen sich auf längere Fahrzeiten und häufige Umleitungen einstellen.",
    "Die Arbeiten sollen die Pünktlichkeit in den folgenden Jahren deutlich verbessern.",
]
SECTION_HEADINGS = ["Welche Strecken betroffen sind", "Was Fahrgäste wissen müssen"]
SECTION_ITEMS = ["Ersatzbusse fahren im Stundentakt.", "Fahrkarten bleiben gültig."]
QUOTE = "Wir wissen, dass das für viele Menschen eine große Belastung ist, sagte die Sprecherin."
AMP = [
    "Der Winter kommt in diesem Jahr früher als erwartet in die Alpen.",
    "Schon Mitte November sind viele Pässe wegen Schnee und Eis gesperrt worden.",
    "Die Skigebiete freuen sich dagegen über einen frühen Start in die Saison.",
    "Wetterdienste raten Autofahrern dringend zu Winterreifen und viel Geduld.",
]
LATIN1 = [
    "Die Bürgerinnen und Bürger in Görlitz wählen am Sonntag einen neuen Oberbürgermeister.",
    "Im Wahlkampf ging es vor allem um Straßenbau, Schulen und günstige Wohnungen.",
    "Die Wahllokale öffnen um acht Uhr und schließen um achtzehn Uhr.",
    "Ein Ergebnis wird für den späten Abend erwartet, heißt es aus dem Rathaus.",
]

ARTICLE_PARAGRAPHS = {
    "/news.html": NEWS,
    "/blog.html": BLOG,
    # In page order: headings, list items and the quotation between the paragraphs.
    "/sections.html": [
        SECTIONS[0],
        SECTION_HEADINGS[0],
        SECTIONS[1],
        SECTION_HEADINGS[1],
        SECTIONS[2],
        *SECTION_ITEMS,
        QUOTE,
        SECTIONS[3],
    ],
    "/amp.html": AMP,
    "/latin1.html": LATIN1,
}


def _page(title: str, body: str, *, head: str = "", charset: str = "utf-8") -> str:
    nav = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in NAV)
    return (
        f'<!doctype html><html lang="de"><head><meta charset="{charset}"><title>{title}'
        f"</title>{head}</head><body><header><nav><ul>{nav}</ul></nav></header>"
        f'<div class="cookie-banner" id="cookie-consent">{BOILERPLATE[0]} '
        f"<button>Akzeptieren</button></div>{body}"
        f'<footer class="site-footer"><p>{BOILERPLATE[3]}</p></footer></body></html>'
    )


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def news_page() -> str:
    """A news article with navigation, an ad, related links, comments and a footer."""
    body = (
        "<main><article><h1>Der Rhein steigt weiter</h1>"
        '<p class="byline">Von Anna Schmidt, 20. November 2026</p>'
        f'{_paragraphs(NEWS[:2])}<aside class="ad"><p>{BOILERPLATE[1]}</p></aside>'
        f"{_paragraphs(NEWS[2:])}</article>"
        f'<aside class="related"><h3>Mehr zum Thema</h3><ul><li><a href="/tipps">'
        f"{BOILERPLATE[4]}</a></li></ul></aside>"
        f'<section class="comments" id="comments"><h3>Kommentare</h3><div class="comment">'
        f"<p>{BOILERPLATE[2]}</p></div></section></main>"
    )
    head = (
        '<meta name="author" content="Anna Schmidt">'
        '<meta property="article:published_time" content="2026-11-20T08:00:00+01:00">'
    )
    return _page("Der Rhein steigt weiter | Tagesblatt", body, head=head)


def blog_page() -> str:
    """A personal blog post with a sidebar."""
    body = (
        '<div class="sidebar"><h4>Archiv</h4><ul><li>Oktober</li><li>September</li></ul></div>'
        f'<div class="post"><h2 class="entry-title">Mein Sauerteig</h2>'
        f'<div class="entry-content">{_paragraphs(BLOG)}</div></div>'
    )
    return _page("Mein Sauerteig – Backblog", body)


def sections_page() -> str:
    """An article cut into sections with headings, a list and a quotation."""
    body = (
        "<article><h1>Bauarbeiten bei der Bahn</h1>"
        f"{_paragraphs(SECTIONS[:1])}<h2>{SECTION_HEADINGS[0]}</h2>{_paragraphs(SECTIONS[1:2])}"
        f"<h2>{SECTION_HEADINGS[1]}</h2>{_paragraphs(SECTIONS[2:3])}"
        f"<ul>{''.join(f'<li>{item}</li>' for item in SECTION_ITEMS)}</ul>"
        f"<blockquote><p>{QUOTE}</p></blockquote>{_paragraphs(SECTIONS[3:])}</article>"
    )
    return _page("Bauarbeiten bei der Bahn", body)


def amp_page() -> str:
    """An AMP-style page: amp-* elements, inline amp styles, the article in plain markup."""
    head = (
        '<link rel="canonical" href="/winter.html"><style amp-boilerplate>body{opacity:0}</style>'
        '<script async src="https://cdn.ampproject.org/v0.js"></script>'
    )
    body = (
        '<amp-ad width="300" height="250" type="adsense"></amp-ad>'
        f"<article><h1>Früher Winter in den Alpen</h1>{_paragraphs(AMP)}</article>"
        '<amp-analytics type="gtag"></amp-analytics>'
    )
    return _page("Früher Winter in den Alpen", body, head=head).replace("<html", "<html amp", 1)


def latin1_page() -> bytes:
    """A page in ISO-8859-1, declared in the Content-Type header and the meta tag."""
    body = f"<article><h1>Wahl in Görlitz</h1>{_paragraphs(LATIN1)}</article>"
    return _page("Wahl in Görlitz", body, charset="iso-8859-1").encode("iso-8859-1")


@dataclass
class Site:
    """The running site: its base URL, the requests it received, and the huge page's size."""

    base_url: str
    port: int
    requests: list[dict[str, str]]
    huge_bytes: int


@contextmanager
def article_site(*, huge_bytes: int = 3_000_000, slow_s: float = 5.0) -> Iterator[Site]:
    """Serve the pages on a free port of 127.0.0.1 in a thread; yield the Site."""
    requests: list[dict[str, str]] = []
    routes = _routes(huge_bytes)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            if self.path == "/slow.html":
                time.sleep(slow_s)
            route = routes.get(self.path)
            if route is None:
                self._send(404, "text/html", b"<p>Nicht gefunden</p>")
                return
            self._send(*route)

        def _send(self, status: int, content_type: str, body: bytes, *extra: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for header in extra:
                name, _, value = header.partition(": ")
                self.send_header(name, value)
            self.end_headers()
            # The fetcher hangs up once a body passes its cap.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.daemon_threads = True
    with serving(server, name="article-site") as port:
        yield Site(f"http://{LOOPBACK}:{port}", port, requests, huge_bytes)


def _routes(huge_bytes: int) -> dict[str, tuple]:
    html = "text/html; charset=utf-8"
    filler = "<p>" + "Sehr viel Text, der niemals endet. " * 40 + "</p>"
    huge = _page("Riesig", "<article>" + filler * (huge_bytes // len(filler) + 1) + "</article>")
    hops = {f"/hop{n}": (302, html, b"", f"Location: /hop{n + 1}") for n in range(7)}
    return {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/news.html": (200, html, news_page().encode()),
        "/blog.html": (200, html, blog_page().encode()),
        "/sections.html": (200, html, sections_page().encode()),
        "/amp.html": (200, "application/xhtml+xml", amp_page().encode()),
        "/latin1.html": (200, "text/html; charset=ISO-8859-1", latin1_page()),
        "/huge.html": (200, html, huge.encode()),
        "/slow.html": (200, html, news_page().encode()),
        "/private/secret.html": (200, html, news_page().encode()),
        "/moved": (301, html, b"", "Location: /news.html"),
        "/cookie": (302, html, b"", "Location: /news.html", "Set-Cookie: session=abc; Path=/"),
        "/to-private": (302, html, b"", "Location: http://10.1.2.3/admin"),
        "/to-metadata": (302, html, b"", "Location: http://169.254.169.254/latest/meta-data/"),
        "/to-ftp": (302, html, b"", "Location: ftp://example.org/file"),
        **hops,
        "/report.pdf": (200, "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        "/data.json": (200, "application/json", b'{"nachricht": "kein HTML"}'),
        "/gone.html": (410, html, b"<p>Weg</p>"),
        "/empty.html": (200, html, b"<html><body><nav>Startseite</nav></body></html>"),
    }
