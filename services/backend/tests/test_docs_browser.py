"""The API docs page renders in a real Chromium that can reach nothing but the backend."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_docs_render_offline(page, backend_url: str) -> None:
    own = urlsplit(backend_url).netloc
    elsewhere: list[str] = []

    def only_the_backend(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:  # a CDN, fonts: everything an offline node could not load
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_backend)
    page.goto(f"{backend_url}/docs")
    # Swagger UI lists every operation by its path once it has parsed openapi.json (3.1).
    expect(page.get_by_text("/v1/translate/stream").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/languages").first).to_be_attached()
    assert elsewhere == []
