"""Pages, security headers, CSRF and error pages of the app (backend unreachable)."""

from __future__ import annotations

import re
import time

SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle=|<style", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


async def test_translate_page_states_the_maximum(offline_client) -> None:
    response = await offline_client.get("/")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<textarea id="source-text" name="text"' in html
    assert "Up to 1,000,000 characters" in html


async def test_every_page_needs_no_inline_script_or_style(offline_client) -> None:
    for path in ("/", "/history", "/query", "/no-such-page"):
        response = await offline_client.get(path)
        html = await response.get_data(as_text=True)
        assert not SCRIPT_WITHOUT_SRC.search(html), path
        assert not INLINE_STYLE.search(html), path
        assert not INLINE_HANDLER.search(html), path


async def test_security_headers_on_pages_and_errors(offline_client) -> None:
    for path in ("/", "/no-such-page", "/healthz"):
        response = await offline_client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_assets_are_served_from_the_app(offline_client) -> None:
    for path in ("/static/app.css", "/static/translate.js"):
        assert (await offline_client.get(path)).status_code == 200


async def test_form_post_without_csrf_token_is_refused(offline_client) -> None:
    response = await offline_client.post("/", form={"text": "Hallo Welt."})
    assert response.status_code == 403
    assert "did not come from this site" in await response.get_data(as_text=True)


async def test_form_post_with_a_wrong_csrf_token_is_refused(offline_client, csrf_token) -> None:
    await csrf_token(offline_client)
    response = await offline_client.post("/", form={"text": "Hallo.", "csrf_token": "forged"})
    assert response.status_code == 403


async def test_stream_api_without_csrf_header_is_refused(offline_client, csrf_token) -> None:
    await csrf_token(offline_client)
    response = await offline_client.post("/api/translate/stream", json={"text": "Hallo."})
    assert response.status_code == 403
    assert "error" in await response.get_json()


async def test_console_post_without_csrf_token_is_refused(offline_client) -> None:
    response = await offline_client.post("/query", form={"sql": "SELECT 1"})
    assert response.status_code == 403


async def test_unreachable_backend_is_503_and_the_text_stays(offline_client, csrf_token) -> None:
    token = await csrf_token(offline_client)
    text = "Der Bericht <b>bleibt</b> hier.\n\nZweiter Absatz."
    response = await offline_client.post("/", form={"text": text, "csrf_token": token})
    html = await response.get_data(as_text=True)
    assert response.status_code == 503
    assert "cannot be reached" in html
    assert "Der Bericht &lt;b&gt;bleibt&lt;/b&gt; hier.\n\nZweiter Absatz.</textarea>" in html


async def test_unreachable_backend_is_503_on_the_stream_api(offline_client, csrf_token) -> None:
    token = await csrf_token(offline_client)
    response = await offline_client.post(
        "/api/translate/stream", json={"text": "Hallo."}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 503
    assert "cannot be reached" in (await response.get_json())["error"]


async def test_with_no_backend_the_page_waits_for_one_then_says_so(
    make_settings, csrf_token
) -> None:
    """BACKEND_UNAVAILABLE_WAIT_S reaches the translation: it asks again for that long first."""
    from frontend.app import create_app

    app = create_app(make_settings(backend_unavailable_wait_s=1.0))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await csrf_token(client)
        started = time.monotonic()
        response = await client.post(
            "/api/translate/stream", json={"text": "Hallo."}, headers={"X-CSRF-Token": token}
        )
        waited_s = time.monotonic() - started
    assert response.status_code == 503
    assert "cannot be reached" in (await response.get_json())["error"]
    assert 1.0 <= waited_s < 10


async def test_empty_text_is_refused_with_a_message(offline_client, csrf_token) -> None:
    token = await csrf_token(offline_client)
    response = await offline_client.post("/", form={"text": "  \n ", "csrf_token": token})
    assert response.status_code == 400
    assert "Enter some German text" in await response.get_data(as_text=True)


async def test_text_over_the_maximum_is_413_and_kept(make_settings, csrf_token) -> None:
    from frontend.app import create_app

    app = create_app(make_settings(max_text_chars=20))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await csrf_token(client)
        text = "Ein Satz, der zu lang ist."
        response = await client.post("/", form={"text": text, "csrf_token": token})
        html = await response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the maximum is 20" in html
    assert f"{text}</textarea>" in html


async def test_body_far_over_the_limit_gets_a_friendly_413(make_settings, csrf_token) -> None:
    from frontend.app import create_app

    app = create_app(make_settings(max_text_chars=10))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await csrf_token(client)
        response = await client.post("/", form={"text": "x" * 300_000, "csrf_token": token})
        html = await response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Text too large" in html
    assert "Traceback" not in html


async def test_unknown_page_is_a_friendly_404(offline_client) -> None:
    response = await offline_client.get("/nowhere/<script>")
    html = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert "<script>" not in html


async def test_wrong_method_is_a_friendly_405(offline_client) -> None:
    response = await offline_client.get("/api/translate/stream")
    assert response.status_code == 405
    assert "does not accept" in (await response.get_json())["error"]


async def test_health_ready_and_metrics(offline_client) -> None:
    assert (await offline_client.get("/healthz")).status_code == 200
    assert (await offline_client.get("/readyz")).status_code == 200
    await offline_client.get("/")
    metrics = await (await offline_client.get("/metrics")).get_data(as_text=True)
    assert "translation_frontend_http_requests_total" in metrics
    assert 'endpoint="translate.page"' in metrics


async def test_request_id_is_echoed_or_created(offline_client) -> None:
    given = await offline_client.get("/healthz", headers={"X-Request-ID": "abc-123-request"})
    assert given.headers["X-Request-ID"] == "abc-123-request"
    bogus = await offline_client.get("/healthz", headers={"X-Request-ID": "<bad id>"})
    assert re.fullmatch(r"[0-9a-f]{32}", bogus.headers["X-Request-ID"])


async def test_unexpected_error_is_a_friendly_500_without_trace(make_settings) -> None:
    from frontend.app import create_app

    app = create_app(make_settings())

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("secret internal detail")

    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/boom")
        html = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "secret internal detail" not in html
    assert "Traceback" not in html


async def test_unknown_save_ticket_is_reported_unknown(offline_client) -> None:
    response = await offline_client.get("/api/saves/no-such-ticket")
    assert await response.get_json() == {"state": "unknown", "id": None}
