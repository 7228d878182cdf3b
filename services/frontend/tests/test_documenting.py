"""translate_document: the backend's document stream, sent again when it breaks before the file."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from frontend.backend_client import BackendBroken, BackendFailed
from frontend.documenting import Progress, TranslatedFile, translate_document

FILE_LINE = {
    "done": True,
    "filename": "brief.txt",
    "media_type": "text/plain",
    "format": "txt",
    "blocks": 1,
    "segments": 2,
    "duration_ms": 5.0,
    "file": base64.b64encode(b"Hello.").decode(),
}


class CutAfterFirstLine(httpx.AsyncByteStream):
    """A stream that sends its first progress line, then the connection breaks."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"done": 0, "total": 1}\n'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def backend(answers: list[str]) -> tuple[httpx.AsyncClient, list[int]]:
    """A client whose document stream answers each request in turn: 'cut', 'ended', 'ok' or
    'failed'; the list it returns counts the requests."""
    requests: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(1)
        answer = answers[len(requests) - 1]
        if answer == "cut":
            return httpx.Response(200, stream=CutAfterFirstLine())
        lines = [{"done": 0, "total": 1}]
        if answer == "ok":
            lines.append(FILE_LINE)
        if answer == "failed":
            lines.append({"done": False, "error": "the translation engine failed; retry later"})
        return httpx.Response(200, text="".join(json.dumps(line) + "\n" for line in lines))

    transport = httpx.MockTransport(handle)
    return httpx.AsyncClient(transport=transport, base_url="http://backend"), requests


async def collect(client: httpx.AsyncClient, attempts: int) -> list[Progress | TranslatedFile]:
    items = []
    async for item in translate_document(
        client, "brief.txt", b"Hallo.", source_lang="de", target_lang="en",
        request_id="r", attempts=attempts,
    ):  # fmt: skip
        items.append(item)
    return items


@pytest.mark.parametrize("broken", ["cut", "ended"])
def test_a_stream_broken_before_the_file_is_sent_again(broken: str) -> None:
    client, requests = backend([broken, "ok"])
    items = asyncio.run(collect(client, attempts=3))
    assert len(requests) == 2
    assert items[:2] == [Progress(0, 1), Progress(0, 1)]
    assert isinstance(items[-1], TranslatedFile)
    assert items[-1].content == b"Hello."


@pytest.mark.parametrize("broken", ["cut", "ended"])
def test_the_last_attempt_breaking_says_so(broken: str) -> None:
    client, requests = backend([broken, broken])
    with pytest.raises(BackendBroken, match="connection to the translation service broke"):
        asyncio.run(collect(client, attempts=2))
    assert len(requests) == 2


def test_a_failed_translation_is_not_sent_again() -> None:
    client, requests = backend(["failed", "ok"])
    with pytest.raises(BackendFailed):
        asyncio.run(collect(client, attempts=3))
    assert len(requests) == 1
