"""POST /v1/documents/stream: progress lines, then the file; refusals before the stream starts."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import docx
from backend.documents.blocks import translate_blocks

from testkit.documents import docx_bytes


async def test_progress_counts_up_to_the_total_then_the_file_arrives(documents_client) -> None:
    """The first line says how many blocks; done grows to the total; the last line has the file."""
    response = await documents_client.post(
        "/v1/documents/stream", files={"file": ("bericht.docx", docx_bytes())}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    first, *progress, last = lines
    assert first == {"done": 0, "total": first["total"]}
    assert first["total"] > 5
    counts = [line["done"] for line in progress]
    assert counts == sorted(counts)
    assert counts[-1] == first["total"]
    assert last["done"] is True
    assert (last["filename"], last["format"], last["blocks"]) == (
        "bericht.docx",
        "docx",
        counts[-1],
    )
    assert last["segments"] >= last["blocks"]
    document = docx.Document(io.BytesIO(base64.b64decode(last["file"])))
    assert "Überschrift" not in document.paragraphs[0].text


async def test_refusals_come_before_the_stream(documents_client) -> None:
    """A mislabelled file is an ordinary 415 JSON answer, not a stream."""
    response = await documents_client.post(
        "/v1/documents/stream", files={"file": ("bericht.pdf", docx_bytes())}
    )
    assert response.status_code == 415
    assert "Word document" in response.json()["detail"]


async def test_cancelling_a_document_cancels_every_pending_translation() -> None:
    """When the caller goes away mid-document, no block's translation is left running."""
    started, release = asyncio.Event(), asyncio.Event()
    cancelled: list[str] = []

    async def slow(text: str) -> str:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            cancelled.append(text)
            raise
        return text

    blocks = [[f"Satz Nummer {number}."] for number in range(20)]
    task = asyncio.ensure_future(translate_blocks(blocks, slow))
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sorted(cancelled) == sorted(block[0] for block in blocks)
