"""The documents pages through Quart's test client, on the real backend (tiny random model)."""

from __future__ import annotations

import io
import json
import re

import docx
from frontend.app import create_app
from frontend.storage.documents import DocumentRepository
from werkzeug.datastructures import FileStorage

from testkit.documents import (
    EVERY_FORMAT,
    docx_bytes,
    docx_with_picture_bytes,
    pdf_bytes,
    translated_name,
)

#: The operator in every test app's users file (conftest.py; importlib mode cannot import it).
OPERATOR = ("operator", "correct horse battery staple")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def upload(name: str, data: bytes) -> dict[str, FileStorage]:
    return {"file": FileStorage(io.BytesIO(data), filename=name, content_type=DOCX_TYPE)}


def first_heading(data: bytes) -> str:
    return docx.Document(io.BytesIO(data)).paragraphs[0].text


async def test_the_page_has_a_plain_file_input_and_states_the_limits(offline_client) -> None:
    """Without JavaScript the form still uploads; size, formats, macros and retention are said."""
    response = await offline_client.get("/documents")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input type="file" id="document-file" name="file" required', page)
    assert "up to 25 MiB and" in page  # MAX_FILE_BYTES' default, 26,214,400 bytes
    assert 'data-max-bytes="26214400"' in page  # the script checks it before uploading
    assert ".docx" in page
    assert "macros" in page
    assert "kept for 7 days" in page


async def test_the_form_translates_stores_and_redirects_to_the_download(
    live_client, live_app, csrf_token, resources_of
) -> None:
    """POST /documents answers 303 to the document's page; its link downloads the .docx."""
    token = await csrf_token(live_client)
    response = await live_client.post(
        "/documents", form={"csrf_token": token}, files=upload("bericht.docx", docx_bytes())
    )
    assert response.status_code == 303
    page_url = response.headers["Location"]
    page = await (await live_client.get(page_url)).get_data(as_text=True)
    link = re.search(r'id="download-link" href="([^"]+)"', page).group(1)
    download = await live_client.get(link)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith(DOCX_TYPE)
    assert 'filename="bericht.docx"' in download.headers["Content-Disposition"]
    data = await download.get_data()
    assert "Überschrift" not in first_heading(data)
    document_id = int(page_url.split("?", 1)[0].rsplit("/", 1)[1])
    stored = await DocumentRepository(resources_of(live_app).engine).get(document_id)
    assert (stored.format, stored.source_bytes) == ("docx", len(docx_bytes()))
    assert stored.segments >= stored.blocks > 5
    assert stored.translated_bytes == len(data)


async def test_the_stream_reports_progress_then_where_to_download(
    live_client, make_settings, backend_url, csrf_token
) -> None:
    """Progress lines count up to the total; another replica (same database) serves the file."""
    token = await csrf_token(live_client)
    response = await live_client.post(
        "/api/documents/stream",
        files=upload("bericht.docx", docx_bytes()),
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in (await response.get_data(as_text=True)).splitlines()]
    *progress, done = lines
    assert progress[0]["done"] == 0
    assert progress[-1]["done"] == progress[-1]["total"] == done["blocks"]
    assert done["done"] is True
    assert done["filename"] == "bericht.docx"
    held = await (await live_client.get(done["download"])).get_data()
    # A second frontend on the same database, as another Swarm replica would be.
    settings = live_client.app.extensions["frontend"].settings
    other = create_app(make_settings(backend_url=backend_url, database_url=settings.database_url))
    async with other.test_app():
        served = await other.test_client().get(done["download"])
        assert served.status_code == 200
        assert await served.get_data() == held


async def test_every_format_round_trips_through_the_page(
    make_settings, backend_url, csrf_token
) -> None:
    """Each format's fixture: progress, then a stored translation under its name, downloadable."""
    # More uploads at once than a client's translation burst (10) allows.
    burst = len(EVERY_FORMAT) + 1
    settings = make_settings(backend_url=backend_url, translate_burst=burst)
    app = create_app(settings)
    problems = {}
    async with app.test_app():
        client = app.test_client()
        token = await csrf_token(client)
        for name, build in EVERY_FORMAT.items():
            source = build()
            response = await client.post(
                "/api/documents/stream",
                files={"file": FileStorage(io.BytesIO(source), filename=name)},
                headers={"X-CSRF-Token": token},
            )
            done = json.loads((await response.get_data(as_text=True)).splitlines()[-1])
            if done.get("done") is not True or done["filename"] != translated_name(name):
                problems[name] = done
                continue
            download = await client.get(done["download"])
            if download.status_code != 200 or await download.get_data() == source:
                problems[name] = f"download {download.status_code}, or it came back unchanged"
    assert not problems, problems


async def test_refusals_from_the_backend_reach_the_user(live_client, csrf_token) -> None:
    """A PDF named .docx: the page says why, with the backend's status code."""
    token = await csrf_token(live_client)
    response = await live_client.post(
        "/documents", form={"csrf_token": token}, files=upload("bericht.docx", pdf_bytes())
    )
    assert response.status_code == 415
    page = await response.get_data(as_text=True)
    assert "its content is a PDF document" in page
    streamed = await live_client.post(
        "/api/documents/stream",
        files=upload("bericht.docx", pdf_bytes()),
        headers={"X-CSRF-Token": token},
    )
    assert "PDF document" in json.loads(await streamed.get_data(as_text=True))["error"]


async def test_uploads_need_the_csrf_token_and_a_file(live_client, csrf_token) -> None:
    """No token: 403. No file: 400 with a message."""
    response = await live_client.post("/documents", files=upload("a.docx", docx_bytes()))
    assert response.status_code == 403
    token = await csrf_token(live_client)
    response = await live_client.post("/documents", form={"csrf_token": token})
    assert response.status_code == 400
    assert "Choose a file" in await response.get_data(as_text=True)


async def test_unknown_documents_are_404(offline_client) -> None:
    """An id never stored (or expired) is 404 for the page and the download."""
    assert (await offline_client.get("/documents/424242")).status_code == 404
    assert (await offline_client.get("/documents/424242/download")).status_code == 404


async def test_uploads_never_touch_the_disk(
    offline_client, csrf_token, temporary_files_opened: list[str]
) -> None:
    """A 2 MB upload (past Werkzeug's 500 KB spooling threshold) opens no temporary file."""
    token = await csrf_token(offline_client)
    big = b"Hallo Welt. " * (2 * 1024 * 1024 // 12)
    response = await offline_client.post(
        "/documents", form={"csrf_token": token}, files=upload("gross.txt", big)
    )
    assert response.status_code == 503  # the backend is unreachable: the upload was read
    assert temporary_files_opened == []


async def test_a_stored_document_opens_only_with_its_key_or_for_the_operator(
    live_client, csrf_token
) -> None:
    """Ids are guessable: anonymous visitors need the signed key their upload answered."""
    token = await csrf_token(live_client)
    response = await live_client.post(
        "/api/documents/stream",
        files=upload("bericht.docx", docx_bytes()),
        headers={"X-CSRF-Token": token},
    )
    done = json.loads((await response.get_data(as_text=True)).splitlines()[-1])
    document_id = done["id"]
    live_client.credentials = None
    try:
        assert (await live_client.get(done["download"])).status_code == 200
        assert (await live_client.get(done["page"])).status_code == 200
        for bare in (f"/documents/{document_id}", f"/documents/{document_id}/download"):
            assert (await live_client.get(bare)).status_code == 401
        # A key is bound to its document: another id's key opens nothing.
        other_key = done["download"].split("key=", 1)[1]
        stolen = f"/documents/{document_id + 1}/download?key={other_key}"
        assert (await live_client.get(stolen)).status_code == 401
        forged = f"/documents/{document_id}/download?key={other_key[:-2]}xx"
        assert (await live_client.get(forged)).status_code == 401
        # The public page lists nobody's documents.
        listing = await (await live_client.get("/documents")).get_data(as_text=True)
        assert "bericht.docx" not in listing
    finally:
        live_client.credentials = OPERATOR


async def test_anyone_may_translate_a_document_without_the_operators_login(
    live_client, csrf_token
) -> None:
    """The upload form and stream are public, like the translate page."""
    live_client.credentials = None
    try:
        token = await csrf_token(live_client)
        response = await live_client.post(
            "/documents", form={"csrf_token": token}, files=upload("a.docx", docx_bytes())
        )
        assert response.status_code == 303
        assert "key=" in response.headers["Location"]
    finally:
        live_client.credentials = OPERATOR


async def test_a_document_over_the_text_body_limit_but_within_max_file_bytes_is_translated(
    make_settings, backend_url, csrf_token
) -> None:
    """Documents get MAX_FILE_BYTES, not the text's body limit (12 x MAX_TEXT_CHARS + 64 KiB)."""
    settings = make_settings(backend_url=backend_url, max_text_chars=1000)
    data = docx_with_picture_bytes(3 * settings.max_body_bytes)
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        token = await csrf_token(client)
        response = await client.post(
            "/api/documents/stream",
            files=upload("gross.docx", data),
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 200
        done = json.loads((await response.get_data(as_text=True)).splitlines()[-1])
        assert done["done"] is True, done
        form = await client.post(
            "/documents", form={"csrf_token": token}, files=upload("gross.docx", data)
        )
        assert form.status_code == 303


async def test_a_document_over_max_file_bytes_is_refused_with_the_limit(
    make_settings, csrf_token
) -> None:
    """Declared or not, a body over the file limit is 413 with the limit, on both upload routes."""
    app = create_app(make_settings(max_file_bytes=100_000))
    # Over the body limit too (the file + 64 KiB): refused while the body is read.
    data = docx_with_picture_bytes(200_000)
    async with app.test_app():
        client = app.test_client()
        token = await csrf_token(client)
        streamed = await client.post(
            "/api/documents/stream", files=upload("a.docx", data), headers={"X-CSRF-Token": token}
        )
        assert streamed.status_code == 413
        error = (await streamed.get_json())["error"]
        assert "97.7 KiB (100,000 bytes, MAX_FILE_BYTES)" in error
        # The form's CSRF field is read before the view: the refusal still names the file limit.
        form = await client.post(
            "/documents", form={"csrf_token": token}, files=upload("a.docx", data)
        )
        assert form.status_code == 413
        assert "100,000 bytes, MAX_FILE_BYTES" in await form.get_data(as_text=True)


async def test_a_file_within_the_body_allowance_but_over_max_file_bytes_is_refused(
    make_settings, csrf_token
) -> None:
    """The 64 KiB for the form are not for the file: one byte over MAX_FILE_BYTES is refused."""
    app = create_app(make_settings(max_file_bytes=100_000))
    async with app.test_app():
        client = app.test_client()
        token = await csrf_token(client)
        response = await client.post(
            "/api/documents/stream",
            files=upload("a.txt", b"a" * 100_001),
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 413
        assert "MAX_FILE_BYTES" in (await response.get_json())["error"]


async def test_text_routes_keep_the_text_body_limit(make_settings, csrf_token) -> None:
    """A body the documents would take is still too large for a text (12 x MAX_TEXT_CHARS)."""
    settings = make_settings(max_text_chars=1000)
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        token = await csrf_token(client)
        body = json.dumps({"text": "a" * settings.max_body_bytes})
        response = await client.post(
            "/api/translate/stream",
            data=body,
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert "MAX_FILE_BYTES" not in await response.get_data(as_text=True)
