"""LibreTranslate's file endpoints: POST /translate_file, then GET the translatedFileUrl.

As in LibreTranslate 1.9.6: a multipart form with ``file``, ``source`` (``auto`` allowed),
``target`` and an optional ``api_key`` (accepted, unused); the answer is
``{"translatedFileUrl": <absolute URL>}`` and the download is an attachment under the uploaded
file's name. Errors are ``{"error": ...}``.

Several replicas: the file stays in the memory of the replica that translated it, and the URL
names that replica's address on the backends' network. A download that reaches another replica
is fetched from the named one, but only when its address is one of FILE_PEERS (the Swarm name
``tasks.backend`` resolves to every replica), so the URL cannot aim this server anywhere else.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.api.deps import FilesDep, RequestIdDep, StateDep, TranslatorDep
from backend.api.routes.documents import ERRORS, UPLOAD_DOC, attachment, translate_upload
from backend.api.uploads import read_upload
from backend.documents.errors import FileTooLarge
from backend.errors import ServiceError
from backend.file_store import StoredFile

logger = logging.getLogger(__name__)
router = APIRouter(tags=["libretranslate"])

#: Marks a download fetched from a peer, which must answer from its own store only.
PEER_HEADER = "X-Peer-Download"
PEER_TIMEOUT_S = 30.0
_KEY = re.compile(r"^(?P<node>[A-Za-z0-9_-]*)\.(?P<id>[0-9a-f]{32})$")


class FileNotFound(ServiceError):
    """No translated file under this URL: never made, expired, or its replica is gone."""

    status_code = 404

    def __init__(self) -> None:
        super().__init__(
            "no translated file here: it expired (FILE_RETENTION_S) or was never made; "
            "translate the file again"
        )


@router.post("/translate_file", openapi_extra=UPLOAD_DOC, responses=ERRORS)
async def translate_file(
    request: Request,
    state: StateDep,
    files: FilesDep,
    translator: TranslatorDep,
    request_id: RequestIdDep,
) -> dict[str, str]:
    """Translate an uploaded file, LibreTranslate-style; answer the URL to download it from."""
    upload = await read_upload(request, max_file_bytes=state.settings.max_file_bytes)
    source = upload.fields.get("source") or "auto"
    outcome = await translate_upload(
        upload,
        source=state.settings.source_language if source == "auto" else source,
        target=upload.fields.get("target") or state.settings.target_language,
        state=state,
        translator=translator,
        request_id=request_id,
        request=request,
    )
    document = outcome.document
    key = f"{_node(request)}.{uuid.uuid4().hex}"
    if not files.put(key, document.data, document.filename, document.media_type):
        raise FileTooLarge("the translated file is larger than the file store (FILE_STORE_BYTES)")
    return {"translatedFileUrl": f"{_base_url(request)}/download_file/{key}"}


@router.get("/download_file/{file_key}", response_class=Response)
async def download_file(
    file_key: str, request: Request, state: StateDep, files: FilesDep
) -> Response:
    """Answer a translated file as an attachment, from this replica or the one that made it."""
    match = _KEY.match(file_key)
    if match is None:
        raise FileNotFound
    stored = files.get(file_key)
    if stored is None and PEER_HEADER not in request.headers:
        stored = await _from_peer(match["node"], file_key, state.settings.file_peers, request)
    if stored is None:
        raise FileNotFound
    headers = {"Content-Disposition": attachment(stored.filename)}
    return Response(stored.data, media_type=stored.media_type, headers=headers)


def _node(request: Request) -> str:
    """Return this replica's address as the connection saw it, encoded for the URL."""
    server = request.scope.get("server")
    if not server:
        return ""
    host, port = server[0], server[1]
    return base64.urlsafe_b64encode(f"{host}|{port}".encode()).rstrip(b"=").decode()


def _peer(node: str) -> tuple[str, int] | None:
    try:
        host, port = base64.urlsafe_b64decode(node + "=" * (-len(node) % 4)).decode().split("|")
        return host, int(port)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _base_url(request: Request) -> str:
    """Return the URL prefix the client used, through Traefik's /api prefix strip."""
    scheme = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return f"{scheme}://{host}{prefix}"


async def _from_peer(node: str, key: str, peers: str, request: Request) -> StoredFile | None:
    """Fetch a file from the replica that holds it, if that replica is one of FILE_PEERS."""
    address = _peer(node)
    own = request.scope.get("server")
    if not peers or address is None or (own and tuple(own[:2]) == address):
        return None
    if address[0] not in await asyncio.to_thread(_resolve, peers):
        logger.warning("download names a replica outside FILE_PEERS; not fetched")
        return None
    return await asyncio.to_thread(_fetch, address, key)


def _resolve(name: str) -> set[str]:
    try:
        return {
            str(info[4][0]) for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        }
    except OSError:
        return set()


def _fetch(address: tuple[str, int], key: str) -> StoredFile | None:
    host = f"[{address[0]}]" if ":" in address[0] else address[0]
    url = f"http://{host}:{address[1]}/download_file/{key}"
    fetch = urllib.request.Request(url, headers={PEER_HEADER: "1"})
    try:
        # The address is one that FILE_PEERS resolves to: a backend replica, over plain HTTP on
        # the backends' own network.
        with urllib.request.urlopen(fetch, timeout=PEER_TIMEOUT_S) as answer:  # noqa: S310
            data = answer.read()
            media_type = answer.headers.get("content-type", "application/octet-stream")
            disposition = answer.headers.get("content-disposition", "")
    except (urllib.error.URLError, OSError) as error:
        logger.info("peer download failed: %s", error)
        return None
    name = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    filename = urllib.parse.unquote(name.group(1)) if name else "document"
    return StoredFile(data, filename, media_type, expires_at_s=0.0)
