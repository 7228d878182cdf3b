"""Translation through the real backend (tiny random model): streamed, saved, faults handled."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from pathlib import Path

from frontend.aligning import split_pairs
from frontend.app import create_app
from frontend.logging_setup import JsonFormatter

from testkit.servers import free_port

TEXT = (
    "Der Bericht beschreibt das Projekt. Es hat drei Teile.\n\n"
    "Im zweiten Absatz geht es um die Kosten.\n\n"
    "- Erster Punkt\n- Zweiter Punkt\n"
)


def lines_of(body: str) -> list[dict]:
    return [json.loads(line) for line in body.splitlines() if line.strip()]


async def stream(client, csrf_token, text: str = TEXT):
    token = await csrf_token(client)
    return await client.post(
        "/api/translate/stream",
        json={"text": text},
        headers={"X-CSRF-Token": token, "X-Request-ID": "live-test-0001"},
    )


async def test_stream_yields_ordered_segments_then_the_saved_id(
    live_client, csrf_token, live_app, resources_of
) -> None:
    response = await stream(live_client, csrf_token)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    items = lines_of(await response.get_data(as_text=True))
    segments, done = items[:-1], items[-1]
    assert [s["index"] for s in segments] == list(range(len(segments)))
    assert {s["total"] for s in segments} == {len(segments)}
    assert len(segments) >= 4
    assert done["done"] is True
    assert done["saved"] is True
    stored = await resources_of(live_app).repository.get(done["id"])
    assert stored.translated_text == "".join(s["text"] for s in segments)
    assert stored.source_text == TEXT
    assert stored.segments == len(segments)
    assert stored.engine == "ctranslate2"
    assert stored.model.endswith("tiny")


async def test_stream_keeps_the_paragraph_structure(live_client, csrf_token) -> None:
    response = await stream(live_client, csrf_token)
    translation = "".join(
        i.get("text", "") for i in lines_of(await response.get_data(as_text=True))
    )
    assert translation.count("\n\n") == TEXT.count("\n\n")
    assert translation.count("\n- ") == TEXT.count("\n- ")


async def test_form_post_without_javascript_returns_and_saves(
    live_client, csrf_token, live_app, resources_of
) -> None:
    token = await csrf_token(live_client)
    response = await live_client.post("/", form={"text": TEXT, "csrf_token": token})
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "saved as" in html
    page = await resources_of(live_app).repository.search(None, page=1, per_page=5)
    assert page.total == 1
    assert f'href="/history/{page.items[0].id}"' in html
    assert f"{TEXT}</textarea>" in html


async def test_xss_in_the_text_comes_out_escaped(live_client, csrf_token) -> None:
    token = await csrf_token(live_client)
    text = 'Hallo <script>alert("x")</script> Welt.'
    response = await live_client.post("/", form={"text": text, "csrf_token": token})
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html


async def test_database_down_shows_translation_marked_not_saved_yet(
    make_settings, backend_url, csrf_token
) -> None:
    url = f"mysql+asyncmy://app:pw-not-used@127.0.0.1:{free_port()}/translations"
    settings = make_settings(backend_url=backend_url, database_url=url, database_readonly_url=url)
    app = create_app(settings)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await csrf_token(client)
        form = await client.post("/", form={"text": TEXT, "csrf_token": token})
        streamed = await stream(client, csrf_token)
        done = lines_of(await streamed.get_data(as_text=True))[-1]
        pending = app.extensions["frontend"].resources.pending.pending_count
        status = await (await client.get(f"/api/saves/{done['ticket']}")).get_json()
    assert form.status_code == 200
    assert "not saved yet" in await form.get_data(as_text=True)
    assert done["saved"] is False
    assert done["status"] == "not saved yet"
    assert pending == 2
    assert status == {"state": "pending", "id": None}


async def test_json_logs_carry_the_request_id_but_never_the_text(live_client, csrf_token) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("frontend")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = await stream(live_client, csrf_token, "Geheimer Vertragstext steht hier.")
        await response.get_data()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    entries = [json.loads(line) for line in captured.getvalue().splitlines()]
    request_entries = [e for e in entries if e.get("endpoint") == "translate.translate_stream"]
    assert request_entries
    assert request_entries[0]["request_id"] == "live-test-0001"
    assert request_entries[0]["status"] == 200
    assert "Geheimer" not in captured.getvalue()
    assert response.headers["X-Request-ID"] == "live-test-0001"


async def test_backend_refusing_the_request_is_502_and_the_text_stays(
    make_settings, backend_url, csrf_token
) -> None:
    # A pair the backend does not serve: it answers 400, a failure of ours, not of the user.
    app = create_app(make_settings(backend_url=backend_url, source_lang="xx"))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await csrf_token(client)
        response = await client.post("/", form={"text": TEXT, "csrf_token": token})
        html = await response.get_data(as_text=True)
    assert response.status_code == 502
    assert "The translation service failed" in html
    assert f"{TEXT}</textarea>" in html


async def test_the_request_id_reaches_the_backend(
    live_client, csrf_token, test_output_dir: Path
) -> None:
    request_id = f"pass-on-{uuid.uuid4().hex[:12]}"
    token = await csrf_token(live_client)
    response = await live_client.post(
        "/api/translate/stream",
        json={"text": "Hallo Welt."},
        headers={"X-CSRF-Token": token, "X-Request-ID": request_id},
    )
    await response.get_data()
    # testkit's backend fixture writes the backend's JSON log lines here; the backend logs a
    # request once its response is complete, which may be a moment after we read the last line.
    log_path = test_output_dir / "logs" / "backend.log"
    entries: list[dict] = []
    for _ in range(50):
        lines = log_path.read_text().splitlines()
        entries = [json.loads(line) for line in lines if request_id in line]
        if len(entries) >= 2:
            break
        await asyncio.sleep(0.1)
    # The language check (the page's notice), then the translation, both under the same id.
    assert sorted(e["route"] for e in entries) == ["/detect", "/v1/translate/stream"]


async def test_full_pending_queue_still_shows_the_translation(
    make_settings, backend_url, csrf_token
) -> None:
    url = f"mysql+asyncmy://app:pw-not-used@127.0.0.1:{free_port()}/translations"
    settings = make_settings(
        backend_url=backend_url, database_url=url, database_readonly_url=url, pending_max_items=1
    )
    app = create_app(settings)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        first = lines_of(await (await stream(client, csrf_token)).get_data(as_text=True))
        second = lines_of(await (await stream(client, csrf_token)).get_data(as_text=True))
        token = await csrf_token(client)
        form = await client.post("/", form={"text": TEXT, "csrf_token": token})
    assert first[-1]["status"] == "not saved yet"
    assert second[-1]["status"] == "not saved"
    assert "could not be saved" in second[-1]["save_error"]
    assert "".join(item.get("text", "") for item in second[:-1])
    html = await form.get_data(as_text=True)
    assert form.status_code == 503
    assert "could not be saved" in html
    translation_pane = html.split('id="translation-pane"')[1]
    assert 'data-segment="0"' in translation_pane  # the translation is shown all the same


async def test_stream_pairs_each_segment_with_its_source_and_saves_the_boundaries(
    live_client, csrf_token, live_app, resources_of
) -> None:
    """Each line's "source" is what it translates; the saved boundaries cut both texts back."""
    items = lines_of(await (await stream(live_client, csrf_token)).get_data(as_text=True))
    segments, done = items[:-1], items[-1]
    assert "".join(s["source"] for s in segments) == TEXT
    stored = await resources_of(live_app).repository.get(done["id"])
    pairs = split_pairs(stored.source_text, stored.translated_text, stored.segment_lengths)
    assert pairs == [(s["source"], s["text"]) for s in segments]


async def test_form_post_renders_both_panes_segment_by_segment(live_client, csrf_token) -> None:
    """Without JavaScript the result is the same two panes, one element per segment in each."""
    token = await csrf_token(live_client)
    html = await (await live_client.post("/", form={"text": TEXT, "csrf_token": token})).get_data(
        as_text=True
    )
    source_pane, translation_pane = html.split('id="source-pane"')[1].split('id="translation-pane"')
    stream_items = lines_of(await (await stream(live_client, csrf_token)).get_data(as_text=True))
    count = len(stream_items) - 1
    assert source_pane.count("data-segment=") == translation_pane.count("data-segment=") == count
    assert source_pane.count('class="line"') == translation_pane.count('class="line"')
    assert source_pane.count('class="line"') == TEXT.count("\n") + 1


ENGLISH = "The weather is lovely today, and we are going for a long walk in the park."


async def test_english_text_gets_a_friendly_notice_and_german_none(live_client, csrf_token) -> None:
    """The backend's /detect says English: the done line carries a notice; German gets none."""
    english = lines_of(
        await (await stream(live_client, csrf_token, ENGLISH)).get_data(as_text=True)
    )
    assert "looks like English already" in english[-1]["notice"]
    german = lines_of(await (await stream(live_client, csrf_token)).get_data(as_text=True))
    assert german[-1]["done"] is True
    assert german[-1]["notice"] is None


async def test_the_form_shows_the_notice_for_english_text(live_client, csrf_token) -> None:
    token = await csrf_token(live_client)
    response = await live_client.post("/", form={"text": ENGLISH, "csrf_token": token})
    assert response.status_code == 200
    assert "looks like English already" in await response.get_data(as_text=True)
