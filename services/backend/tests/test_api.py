"""The HTTP API, in-process (httpx.ASGITransport, lifespan run), on both real engines."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from backend.config import Settings
from backend.engines.base import Engine
from backend.logs import JsonFormatter
from backend.main import create_app

from testkit.waiting import until_ready

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]
DOCUMENT = (
    "Erster Satz hier. Zweiter Satz dort!\n\n- Punkt eins\n  2. Punkt zwei\n\tEingerückt?  \n"
)


@pytest.fixture
def settings(tiny_model: Path, tmp_path: Path) -> Settings:
    """Settings for the tiny model, with a small text limit and a known replica name."""
    return Settings(
        model=str(tiny_model),
        model_cache_dir=tmp_path,
        max_text_chars=5_000,
        replica_name="replica-7",
        retry_truncated=False,  # random weights seldom end a sentence: no decoding to 511 tokens
    )


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build an app around an engine, run its lifespan, and return a client for it."""
    async with AsyncExitStack() as stack:

        async def make(
            settings: Settings,
            engine: Engine | None = None,
            factory: Callable[[Settings], Engine] | None = None,
            on_fatal: Callable[[], None] | None = None,
        ) -> httpx.AsyncClient:
            app = create_app(
                settings, engine_factory=factory or (lambda _: engine), on_fatal=on_fatal
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://backend.test")
            )

        yield make


@pytest.fixture
async def client(
    make_client: MakeClient, settings: Settings, tiny_engine: Engine
) -> httpx.AsyncClient:
    """A ready client on each real engine in turn."""
    client = await make_client(settings, tiny_engine)
    await until_ready(client)
    return client


def stream_lines(response: httpx.Response) -> list[dict[str, Any]]:
    """Parse an NDJSON body."""
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def test_translate_answers_with_translation_counts_model_and_engine(
    client: httpx.AsyncClient, tiny_engine: Engine
) -> None:
    """POST /v1/translate returns translation, segments, model, engine and duration_ms."""
    response = await client.post("/v1/translate", json={"text": "Guten Morgen. Wie geht es?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"translation", "segments", "model", "engine", "duration_ms"}
    assert body["segments"] == 2
    assert body["translation"].strip()
    assert body["engine"] == tiny_engine.name
    assert body["model"] == tiny_engine.model
    assert body["duration_ms"] >= 0


async def test_translation_keeps_the_line_structure(client: httpx.AsyncClient) -> None:
    """Blank lines, bullets, numbering, indentation and trailing newline stay where they were."""
    body = (await client.post("/v1/translate", json={"text": DOCUMENT})).json()
    source_lines = DOCUMENT.split("\n")
    lines = body["translation"].split("\n")
    assert len(lines) == len(source_lines)
    assert [line == "" for line in lines] == [line == "" for line in source_lines]
    assert lines[2].startswith("- ")
    assert lines[3].startswith("  2. ")
    assert lines[4].startswith("\t")
    assert lines[4].endswith("  ")
    assert body["segments"] == 5


async def test_stream_sends_segments_in_order_then_done(client: httpx.AsyncClient) -> None:
    """Stream lines are {index,total,text} in order; joined they are exactly the translation."""
    whole = (await client.post("/v1/translate", json={"text": DOCUMENT})).json()
    # The second request is served from the cache, so both must agree to the character.
    response = await client.post("/v1/translate/stream", json={"text": DOCUMENT})
    assert response.status_code == 200
    lines = stream_lines(response)
    segments, done = lines[:-1], lines[-1]
    assert [line["index"] for line in segments] == list(range(whole["segments"]))
    assert {line["total"] for line in segments} == {whole["segments"]}
    assert "".join(line["text"] for line in segments) == whole["translation"]
    assert done["done"] is True
    assert done["segments"] == whole["segments"]
    assert done["duration_ms"] >= 0


async def test_long_document_is_translated_whole(client: httpx.AsyncClient) -> None:
    """Sixty sentences come back as sixty segments, nothing dropped."""
    text = " ".join(f"Das ist Satz Nummer {i} im Bericht." for i in range(60))
    body = (await client.post("/v1/translate", json={"text": text})).json()
    assert body["segments"] == 60


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \t\r\n "])
async def test_whitespace_only_text_comes_back_unchanged(
    client: httpx.AsyncClient, text: str
) -> None:
    """Empty or whitespace-only text is returned as it is, in both endpoints."""
    body = (await client.post("/v1/translate", json={"text": text})).json()
    assert (body["translation"], body["segments"]) == (text, 0)
    lines = stream_lines(await client.post("/v1/translate/stream", json={"text": text}))
    assert "".join(line.get("text", "") for line in lines[:-1]) == text
    assert lines[-1]["done"] is True


@pytest.mark.parametrize("path", ["/v1/translate", "/v1/translate/stream"])
async def test_text_over_the_limit_gets_413_naming_the_limit(
    client: httpx.AsyncClient, path: str
) -> None:
    """More than MAX_TEXT_CHARS characters: 413 with the limit in the message."""
    response = await client.post(path, json={"text": "a" * 5_001})
    assert response.status_code == 413
    assert "5000" in response.json()["detail"]
    assert "MAX_TEXT_CHARS" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"txt": "Hallo"}', b'{"text": 5}', b"[]", b'{"text": "a", "source": []}'],
)
async def test_malformed_body_gets_422_without_echoing_it(
    client: httpx.AsyncClient, body: bytes
) -> None:
    """A malformed body is a 422 JSON error that does not repeat the input."""
    headers = {"content-type": "application/json"}
    response = await client.post("/v1/translate", content=body, headers=headers)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert "input" not in response.text


async def test_unsupported_pair_gets_400_listing_the_supported(client: httpx.AsyncClient) -> None:
    """An unknown language pair is a 400 that lists de->en."""
    response = await client.post("/v1/translate", json={"text": "Hallo", "source": "fr"})
    assert response.status_code == 400
    assert "de->en" in response.json()["detail"]
    assert response.json()["supported"] == [{"source": "de", "target": "en"}]


async def test_request_id_is_echoed_and_replica_named(client: httpx.AsyncClient) -> None:
    """X-Request-ID is echoed (or made up) and X-Backend-Replica names this replica."""
    given = await client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert given.headers["x-request-id"] == "req-42"
    assert given.headers["x-backend-replica"] == "replica-7"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert made.headers["x-request-id"] not in {"", "bad id\twith spaces"}


async def test_metrics_expose_latency_segments_batches_queue_and_cache(
    client: httpx.AsyncClient,
) -> None:
    """/metrics has request latency, segments, batch size, queue depth and cache counters."""
    for _ in range(2):  # the second time every segment is a cache hit
        await client.post("/v1/translate", json={"text": "Noch ein Satz. Und noch einer."})
    text = (await client.get("/metrics")).text
    assert 'translation_backend_request_duration_seconds_count{method="POST",' in text
    assert 'route="/v1/translate",status="200"} 2.0' in text
    assert 'translation_backend_segments_total{route="translate"} 4.0' in text
    assert "translation_backend_batch_size_count" in text
    assert "translation_backend_queue_depth 0.0" in text
    assert "translation_backend_cache_hits_total 2.0" in text
    assert "translation_backend_ready 1.0" in text
    assert 'workers="' in text  # the model info names how many batches run at once


async def test_engine_workers_reach_the_engine_and_the_metrics(
    make_client: MakeClient, settings: Settings
) -> None:
    """ENGINE_WORKERS=3 loads three CTranslate2 workers; a document still comes back whole."""
    from backend.engines.loader import load_engine

    three = settings.model_copy(update={"engine_workers": 3, "max_batch_size": 2})
    client = await make_client(three, factory=load_engine)
    await until_ready(client)
    words = [
        "eins",
        "zwei",
        "drei",
        "vier",
        "fünf",
        "sechs",
        "sieben",
        "acht",
        "neun",
        "zehn",
        "elf",
        "zwölf",
    ]
    text = " ".join(f"Hier steht Satz {word}." for word in words)
    body = (await client.post("/v1/translate", json={"text": text})).json()
    assert body["segments"] == 12
    assert body["engine"] == "ctranslate2"
    metrics = (await client.get("/metrics")).text
    assert 'workers="3"' in metrics
    assert "translation_backend_batch_size_count" in metrics


async def test_one_log_line_per_request_without_the_text(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs one record with its id, sizes and timing, and never the text."""
    secret = "Geheimwort"
    with caplog.at_level(logging.INFO):
        await client.post(
            "/v1/translate", json={"text": f"Das {secret} bleibt."}, headers={"X-Request-ID": "r1"}
        )
    records = [r for r in caplog.records if getattr(r, "request_id", None) == "r1"]
    assert len(records) == 1
    entry = json.loads(JsonFormatter().format(records[0]))
    assert entry["status"] == 200
    assert entry["route"] == "/v1/translate"
    assert entry["text_chars"] == len(f"Das {secret} bleibt.")
    assert entry["segments"] == 1
    assert entry["request_bytes"] > 0
    assert entry["response_bytes"] > 0
    assert entry["duration_ms"] >= 0
    assert all(secret not in JsonFormatter().format(r) for r in caplog.records)


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    """/docs and the OpenAPI schema describe the endpoints."""
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/v1/translate", "/v1/translate/stream", "/translate", "/languages"} <= set(paths)


async def test_the_docs_page_loads_its_scripts_from_the_service_by_relative_urls(
    client: httpx.AsyncClient,
) -> None:
    """No CDN (offline nodes), and relative URLs, so /api/docs behind Traefik finds its files."""
    script = "docs-assets/swagger-ui-bundle.js"
    html = (await client.get("/docs")).text
    assert f'src="{script}"' in html
    assert "url: 'openapi.json'" in html
    assert "http://" not in html
    assert "https://" not in html
    asset = await client.get(f"/{script}")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert len(asset.content) > 100_000  # the real bundle, not an error page
    css = await client.get("/docs-assets/swagger-ui.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/redoc")).status_code == 404  # its bundle needs a CDN for a logo


async def test_stream_lines_carry_the_source_of_each_segment(client: httpx.AsyncClient) -> None:
    """Each stream line's "source" is the text it translates; joined they are the request's text."""
    lines = stream_lines(await client.post("/v1/translate/stream", json={"text": DOCUMENT}))
    segments = lines[:-1]
    assert "".join(line["source"] for line in segments) == DOCUMENT
    assert [line["source"].strip() for line in segments[:2]] == [
        "Erster Satz hier.",
        "Zweiter Satz dort!",
    ]
