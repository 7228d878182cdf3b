"""The documents pages through Quart's test client, on the real backend (tiny random model)."""

from __future__ import annotations

import io
import json
import re

import docx
from frontend.app import create_app
from frontend.storage.documents import DocumentRepository
from werkzeug.datastructures import FileStorage

from testkit.documents import docx_bytes, pdf_bytes

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
    assert re.search(r"up to \d+\.\d MB", page)
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
