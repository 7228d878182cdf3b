"""The real Traefik binary with the project's configuration, in front of the real services.

`make run`'s own launcher (scripts/run_local.py) starts Traefik with traefik/local/ and the
stack's traefik/dynamic/ middlewares, the real backend (tiny model) and the real frontend.
"""

from __future__ import annotations

import http.client
import json
import select
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from testkit.csrf import csrf_token_in
from testkit.documents import docx_with_picture_bytes
from testkit.servers import REPO_ROOT, free_port, python_env
from testkit.traefik import running_traefik
from tests.local_app import LocalApp, running

# Small, so that an oversized body is cheap to send: Traefik's body limit is
# 12 bytes per character + 64 KiB (traefik/dynamic/middlewares.yml).
MAX_TEXT_CHARS = 5_000
BODY_LIMIT_BYTES = 12 * MAX_TEXT_CHARS + 65_536
# The services' and Traefik's file-limit default (MAX_FILE_BYTES, 25 MiB).
MAX_FILE_BYTES = 25 * 2**20
GERMAN = "Guten Morgen. Wie geht es dir?\n\nDas Wetter ist heute schön."
RATE_LIMIT_BURST_MAX_REQUESTS = 300
#: Go's net/http server reads (and drops) a body the handler left unread before answering when
#: it is smaller than this (maxPostHandlerReadBytes), so that the connection can be kept.
GO_READS_UNREAD_BODIES_BELOW_BYTES = 256 * 1024
# Requests per check against a service whose round robin alternates a dead and a live server.
RETRY_CHECK_REQUESTS = 6
# Routes to a service with two servers: the first refuses connections, the second is the real
# backend. A header selects a control router without the retry middleware.
RETRY_ROUTES = """
http:
  routers:
    backend:
      rule: PathPrefix(`/`)
      entryPoints: [web]
      service: two-servers
      middlewares: [backend-retry@file]
    no-retry:
      rule: PathPrefix(`/`) && Header(`X-No-Retry`, `1`)
      entryPoints: [web]
      service: two-servers
    black-hole:
      rule: PathPrefix(`/`) && Header(`X-Black-Hole`, `retry`)
      entryPoints: [web]
      service: hole-and-live
      middlewares: [frontend-connect-retry@file]
    black-hole-no-retry:
      rule: PathPrefix(`/`) && Header(`X-Black-Hole`, `none`)
      entryPoints: [web]
      service: hole-and-live
  services:
    two-servers:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:{dead_port}
          - url: {backend_url}
    # The first never completes a connection (a task on a node without power), through the
    # stack's overlay transport (its short dial timeout).
    hole-and-live:
      loadBalancer:
        serversTransport: overlay@file
        servers:
          - url: http://127.0.0.1:{hole_port}
          - url: {backend_url}
"""


@pytest.fixture(scope="module")
def app(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApp]:
    work_dir = tmp_path_factory.mktemp("traefik")
    with running(work_dir, tiny_model, {"MAX_TEXT_CHARS": str(MAX_TEXT_CHARS)}) as local:
        yield local


@pytest.fixture(scope="module")
def retrying_traefik(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run Traefik with the project's middlewares in front of a dead server and the backend."""
    work_dir = tmp_path_factory.mktemp("traefik-retry")
    dynamic_dir = work_dir / "dynamic"
    dynamic_dir.mkdir()
    shutil.copy2(REPO_ROOT / "traefik" / "dynamic" / "middlewares.yml", dynamic_dir)
    with black_hole() as hole_port:
        routes = RETRY_ROUTES.format(
            dead_port=free_port(), hole_port=hole_port, backend_url=backend_url
        )
        (dynamic_dir / "routes.yml").write_text(routes, encoding="utf-8")
        (work_dir / "users").write_text("", encoding="utf-8")
        env = python_env(
            {
                "MAX_TEXT_CHARS": str(MAX_TEXT_CHARS),
                "BASIC_AUTH_USERS_FILE": str(work_dir / "users"),
            }
        )
        with running_traefik(dynamic_dir, log_path=work_dir / "traefik.log", env=env) as traefik:
            yield traefik.base_url


#: A filler that has not connected in this time is being dropped: the hole is ready.
BLACK_HOLE_PROBE_S = 0.5
BLACK_HOLE_MAX_FILLERS = 16


@contextmanager
def black_hole() -> Iterator[int]:
    """Yield a loopback port where a connection never completes, as to a host without power.

    Its listener never accepts and its queue is full, so the kernel drops every further SYN.
    Fillers take the queue's place until one of them cannot connect: on a busy machine a first
    filler's handshake can still be pending when the next ones knock, and a queue left with room
    would take Traefik's connection, which then waits for an answer forever instead of 3 s.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers: list[socket.socket] = []
    try:
        for _ in range(BLACK_HOLE_MAX_FILLERS):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
            _, connected, _ = select.select([], [filler], [], BLACK_HOLE_PROBE_S)
            if not connected:
                break
        else:
            raise RuntimeError(f"{BLACK_HOLE_MAX_FILLERS} connections to the black hole all opened")
        yield address[1]
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def _post_statuses(url: str, path: str, headers: dict[str, str]) -> list[int]:
    payload = {"text": GERMAN, "source": "de", "target": "en"}
    with httpx.Client(base_url=url, timeout=30) as http:
        return [
            http.post(path, json=payload, headers=headers).status_code
            for _ in range(RETRY_CHECK_REQUESTS)
        ]


@pytest.mark.parametrize("path", ["/v1/translate", "/v1/translate/stream"])
def test_backend_posts_are_retried_onto_the_healthy_server(
    retrying_traefik: str, path: str
) -> None:
    """Round robin sends every other POST to the dead server; Traefik replays it on the live one."""
    assert _post_statuses(retrying_traefik, path, {}) == [200] * RETRY_CHECK_REQUESTS


def _timed_statuses(url: str, headers: dict[str, str]) -> list[tuple[int, float]]:
    """POST the page's stream request RETRY_CHECK_REQUESTS times; (status, seconds) of each."""
    payload = {"text": GERMAN, "source": "de", "target": "en"}
    results = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for _ in range(RETRY_CHECK_REQUESTS):
            started = time.monotonic()
            status = http.post("/v1/translate/stream", json=payload, headers=headers).status_code
            results.append((status, time.monotonic() - started))
    return results


#: traefik/dynamic/middlewares.yml's overlay transport, and what a retry may add to it.
OVERLAY_DIAL_TIMEOUT_S = 3.0
RETRY_MARGIN_S = 2.0


def test_a_post_to_a_server_that_never_answers_is_moved_to_a_live_one(
    retrying_traefik: str,
) -> None:
    """The page's stream after a node lost its power: its task's address takes no connection.
    The overlay transport gives up within its dial timeout and frontend-connect-retry (no
    retryNonIdempotentMethod) sends the POST to the live server: never sent twice, never lost."""
    results = _timed_statuses(retrying_traefik, {"X-Black-Hole": "retry"})
    assert [status for status, _ in results] == [200] * RETRY_CHECK_REQUESTS
    slowest_s = max(seconds for _, seconds in results)
    assert slowest_s < OVERLAY_DIAL_TIMEOUT_S + RETRY_MARGIN_S, results


def test_without_the_retry_a_server_that_never_answers_is_a_504_after_the_dial_timeout(
    retrying_traefik: str,
) -> None:
    """The control: the black hole is in the rotation, and the transport's timeout bounds it."""
    results = _timed_statuses(retrying_traefik, {"X-Black-Hole": "none"})
    timed_out = [seconds for status, seconds in results if status == 504]
    assert timed_out, results
    assert 200 in [status for status, _ in results], results
    assert all(
        OVERLAY_DIAL_TIMEOUT_S - 0.5 <= s < OVERLAY_DIAL_TIMEOUT_S + RETRY_MARGIN_S
        for s in timed_out
    ), results


def test_without_the_retry_the_dead_server_fails_requests(retrying_traefik: str) -> None:
    """The control: the dead server is in the rotation, so the retry test above can fail."""
    statuses = _post_statuses(retrying_traefik, "/v1/translate", {"X-No-Retry": "1"})
    assert 502 in statuses, statuses
    assert 200 in statuses, statuses


@pytest.fixture
def client(app: LocalApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, timeout=30) as http:
        yield http


def test_the_translate_page_is_served(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "<textarea" in response.text


def test_the_api_translates_under_api(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/translate", json={"text": GERMAN, "source": "de", "target": "en"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["segments"] == 3
    assert body["translation"].count("\n\n") == 1


def test_the_libretranslate_api_is_under_api_too(client: httpx.Client) -> None:
    languages = client.get("/api/languages")
    assert languages.status_code == 200
    assert {language["code"] for language in languages.json()} >= {"de", "en"}
    response = client.post(
        "/api/translate", json={"q": ["Hallo.", "Danke."], "source": "de", "target": "en"}
    )
    assert response.status_code == 200
    assert len(response.json()["translatedText"]) == 2


def test_the_api_docs_find_their_schema_and_scripts_under_api(client: httpx.Client) -> None:
    """The docs page's relative URLs resolve under /api, to the backend, not to the frontend."""
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "url: 'openapi.json'" in page.text
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/v1/translate" in schema.json()["paths"]
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_the_streamed_api_is_not_buffered(client: httpx.Client) -> None:
    """No body-limit on the streaming route: its buffering would send everything at the end."""
    payload = {"text": GERMAN, "source": "de", "target": "en"}
    with client.stream("POST", "/api/v1/translate/stream", json=payload) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[-1]["done"] is True
    assert [line["index"] for line in lines[:-1]] == list(range(lines[-1]["segments"]))


def test_the_pages_streaming_endpoint_reaches_the_frontend(client: httpx.Client) -> None:
    page = client.get("/")
    token = csrf_token_in(page.text)
    headers = {"X-CSRF-Token": token}
    with client.stream(
        "POST", "/api/translate/stream", json={"text": GERMAN}, headers=headers
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert len(lines) > 1


@pytest.mark.parametrize("path", ["/query", "/history", "/metrics", "/traefik/dashboard/"])
def test_the_operators_pages_need_the_admin_login(
    app: LocalApp, client: httpx.Client, path: str
) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert client.get(path, auth=(app.admin[0], "wrong password")).status_code == 401
    assert client.get(path, auth=app.admin).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/%2fquery", "/%2Fhistory", "/%2fhistory/1", "/%2fmetrics", "/%5cquery", "/query%00",
        "/%252fquery", "/%3bquery", "/query%3f", "/%23query", "/api/%2e%2e%2fquery",
        "/api/v1%2ftranslate",
    ],
)  # fmt: skip
def test_ambiguous_encoded_characters_are_refused_by_traefik(
    client: httpx.Client, path: str
) -> None:
    """Traefik answers 400 before routing, for GET and POST alike (the /%2fquery bypass)."""
    for method in ("GET", "POST"):
        response = client.request(method, path)
        assert response.status_code == 400, (method, path, response.status_code)
        assert "Export CSV" not in response.text


def test_the_save_status_follow_up_reaches_the_frontend(client: httpx.Client) -> None:
    """GET /api/saves/<ticket> is the page's, not the API's (the backend would answer 404)."""
    response = client.get("/api/saves/no-such-ticket")
    assert response.status_code == 200
    assert response.json() == {"state": "unknown", "id": None}


def test_the_documents_upload_stream_reaches_the_frontend(client: httpx.Client) -> None:
    """POST /api/documents/stream is the documents page's (the backend would answer 404)."""
    token = csrf_token_in(client.get("/documents").text)
    files = {"file": ("hallo.txt", b"Guten Morgen.", "text/plain")}
    with client.stream(
        "POST", "/api/documents/stream", files=files, headers={"X-CSRF-Token": token}
    ) as response:
        assert response.status_code == 200
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines, "no progress lines"


@pytest.mark.parametrize("kind", ["routers", "middlewares", "services"])
def test_traefik_accepts_every_router_middleware_and_service(
    app: LocalApp, client: httpx.Client, kind: str
) -> None:
    """Traefik's API lists what it loaded; a bad rule or option shows up as an error there."""
    response = client.get(f"/traefik/api/http/{kind}", auth=app.admin)
    assert response.status_code == 200
    loaded = {item["name"]: item for item in response.json() if item["provider"] == "file"}
    assert loaded, f"no {kind} from the file provider"
    for name, item in loaded.items():
        assert item["status"] == "enabled", (name, item.get("error"))


def test_the_backends_metrics_are_not_public(client: httpx.Client) -> None:
    response = client.get("/api/metrics")
    assert response.status_code == 404


def test_an_oversized_body_is_refused_by_traefik(client: httpx.Client) -> None:
    text = "a" * (BODY_LIMIT_BYTES + 1)
    response = client.post("/api/v1/translate", json={"text": text, "source": "de", "target": "en"})
    assert response.status_code == 413
    assert "application/json" not in response.headers.get("content-type", "")


def test_a_body_within_traefiks_limit_but_over_the_text_limit_gets_the_backends_413(
    client: httpx.Client,
) -> None:
    text = "a" * (MAX_TEXT_CHARS + 1)
    response = client.post("/api/v1/translate", json={"text": text, "source": "de", "target": "en"})
    assert response.status_code == 413
    assert str(MAX_TEXT_CHARS) in response.text.replace(",", "").replace("_", "")


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Whole-file routes (Traefik's file-limit buffers them) and the streamed ones (no buffering: the
# service behind refuses). Each: the path and whether its 413 comes from the service.
UPLOAD_ROUTES = {
    "/api/v1/documents": False,
    "/api/translate_file": False,
    "/documents": False,
    "/api/v1/documents/stream": True,
    "/api/documents/stream": True,
}


@pytest.fixture(scope="module")
def document_20_mib() -> bytes:
    """A Word file of a few sentences and a 20 MiB picture: over the text limit, within files'."""
    return docx_with_picture_bytes(20 * 2**20)


def _upload(client: httpx.Client, path: str, data: bytes) -> httpx.Response:
    """POST the document as the page or an API client does (the page's CSRF token for its own)."""
    headers = {}
    if not path.startswith("/api/v") and path != "/api/translate_file":
        page = client.get("/documents")
        headers["X-CSRF-Token"] = csrf_token_in(page.text)
    files = {"file": ("bericht.docx", data, DOCX_TYPE)}
    return client.post(path, files=files, headers=headers, timeout=120)


@pytest.mark.parametrize("path", list(UPLOAD_ROUTES))
def test_a_20_mib_document_goes_through_traefik_on_every_upload_route(
    client: httpx.Client, document_20_mib: bytes, path: str
) -> None:
    """The text's body limit (~124 KB here) does not apply: the document is translated."""
    response = _upload(client, path, document_20_mib)
    assert response.status_code in (200, 303), (response.status_code, response.text[:300])
    if path.endswith("/stream"):
        last = json.loads(response.text.splitlines()[-1])
        assert last["done"] is True, {key: str(value)[:80] for key, value in last.items()}
    elif path == "/api/translate_file":
        download = client.get(response.json()["translatedFileUrl"], timeout=120)
        assert download.status_code == 200
        assert len(download.content) >= 20 * 2**20
    elif path == "/api/v1/documents":
        # The picture is copied byte for byte.
        assert len(response.content) >= 20 * 2**20


def _refused_early(base_url: str, path: str, length: int) -> tuple[int, str, int]:
    """POST declaring `length` bytes, sending the body in 64 KiB pieces only until an answer
    comes; return its status, its body and how many body bytes had been sent by then.

    Through Traefik a service sees the request as its body starts (Go's proxy writes the answer
    only between reads of the body), so a refusal on the headers comes after the first pieces.
    """
    host, port = base_url.removeprefix("http://").split(":")
    piece = b"a" * 65536
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=b0undary\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        while sent < length and not select.select([connection], [], [], 0.05)[0]:
            try:
                connection.sendall(piece[: length - sent])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.read().decode(errors="replace"), sent


@pytest.mark.parametrize("path", list(UPLOAD_ROUTES))
def test_a_26_mib_upload_is_refused_before_its_body_is_sent(app: LocalApp, path: str) -> None:
    """413 on the declared Content-Length, long before the body is done, at Traefik.

    On the streamed routes with the limit in JSON (file-over-limit); elsewhere file-limit's text.
    """
    length = 26 * 2**20
    status, body, sent = _refused_early(app.url, path, length)
    assert status == 413, (status, body[:300])
    assert sent < length // 4, f"answered only after {sent} of {length} bytes"
    if UPLOAD_ROUTES[path]:
        assert "MAX_FILE_BYTES" in body, body
        assert str(MAX_FILE_BYTES) in body.replace(",", ""), body
    else:
        assert body == "Request Entity Too Large"


def test_a_file_just_over_max_file_bytes_gets_the_backends_message_through_traefik(
    client: httpx.Client,
) -> None:
    """Within file-limit's 64 KiB for the form, over the file limit: the backend says which."""
    line = "Die Straße ist schön.\n".encode()
    data = line * (MAX_FILE_BYTES // len(line) + 1)
    assert MAX_FILE_BYTES < len(data) < MAX_FILE_BYTES + 1024
    response = client.post(
        "/api/v1/documents", files={"file": ("gross.txt", data, "text/plain")}, timeout=120
    )
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{MAX_FILE_BYTES} (MAX_FILE_BYTES)" in detail.replace(",", ""), detail


@pytest.mark.parametrize("path", ["/api/v1/translate", "/"])
def test_text_routes_keep_the_text_body_limit(app: LocalApp, path: str) -> None:
    """A body a document route would take (1 MiB) is still refused on the text routes."""
    status, _, sent = _refused_early(app.url, path, 2**20)
    assert status == 413
    assert sent < 2**20


def _answer_to_declared_length(
    url: str, path: str, length: str, body: bytes = b""
) -> tuple[bytes, bytes]:
    """POST a head declaring `length` (and send `body`); return the status line and headers."""
    parts = httpx.URL(url)
    with socket.create_connection((parts.host, parts.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
            + body
        )
        reader = sock.makefile("rb")
        status = reader.readline().rstrip()
        headers = b"".join(iter(lambda: reader.readline().lower(), b"\r\n"))
        return status, headers


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/translate/stream", "/api/translate/stream", "/api/v1/articles",
        "/api/v1/translate", "/api/v1/documents", "/", "/query", "/documents",
    ],
)  # fmt: skip
def test_a_declared_oversized_body_is_refused_up_front_on_every_route(
    app: LocalApp, path: str
) -> None:
    """413 on the Content-Length alone, before any of the body is sent, streaming routes too.

    (Those cannot use body-limit, which buffers the response: the body-over-limit router does.)
    """
    status, headers = _answer_to_declared_length(app.url, path, str(BODY_LIMIT_BYTES * 1000))
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"application/json" not in headers  # Traefik's answer, not a service's


#: Each example sends real requests through the module's Traefik: few of them, no deadline.
THROUGH_TRAEFIK = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@THROUGH_TRAEFIK
@given(
    length=st.one_of(
        st.integers(0, 10**15),
        st.integers(BODY_LIMIT_BYTES - 2_000, BODY_LIMIT_BYTES + 2_000),
    ),
    leading_zeros=st.integers(0, 3),
)
@example(length=BODY_LIMIT_BYTES, leading_zeros=0)
@example(length=BODY_LIMIT_BYTES + 1, leading_zeros=0)
@example(length=BODY_LIMIT_BYTES + 1, leading_zeros=2)
@example(length=10 ** len(str(BODY_LIMIT_BYTES)) - 1, leading_zeros=0)
def test_exactly_the_lengths_over_the_limit_are_refused_up_front(
    app: LocalApp, length: int, leading_zeros: int
) -> None:
    """The router's rule (a regular expression Traefik renders from MAX_TEXT_CHARS) holds for
    every length: over the limit 413 without the body reaching a service; within it the body
    is sent and the backend answers (the junk is no JSON: 422), never a 413."""
    declared = "0" * leading_zeros + str(length)
    if length > BODY_LIMIT_BYTES:
        # Go's server sends an answer only after reading an unread body of under 256 KiB (to
        # keep the connection); a larger one is not read at all.
        body = b"x" * length if length < GO_READS_UNREAD_BODIES_BELOW_BYTES else b""
        status, headers = _answer_to_declared_length(
            app.url, "/api/v1/translate/stream", declared, body
        )
        assert status == b"HTTP/1.1 413 Request Entity Too Large", declared
        # Traefik's answer (text), not the backend's (JSON): no service saw the request.
        assert b"application/json" not in headers, declared
    else:
        body = b"x" * length
        status, _ = _answer_to_declared_length(app.url, "/api/v1/translate/stream", declared, body)
        assert b" 413 " not in status, declared
        assert status.startswith(b"HTTP/1.1 "), declared


#: file-limit's limit (traefik/dynamic/middlewares.yml): MAX_FILE_BYTES + 64 KiB for the form.
FILE_LIMIT_BYTES = MAX_FILE_BYTES + 65_536


@THROUGH_TRAEFIK
@given(
    length=st.one_of(
        st.integers(FILE_LIMIT_BYTES + 1, 10**15),
        st.integers(FILE_LIMIT_BYTES + 1, FILE_LIMIT_BYTES + 2_000),
    ),
    leading_zeros=st.integers(0, 3),
    path=st.sampled_from([path for path, streamed in UPLOAD_ROUTES.items() if streamed]),
)
@example(length=FILE_LIMIT_BYTES + 1, leading_zeros=0, path="/api/documents/stream")
@example(length=FILE_LIMIT_BYTES + 1, leading_zeros=2, path="/api/v1/documents/stream")
@example(length=10 ** len(str(FILE_LIMIT_BYTES)), leading_zeros=0, path="/api/documents/stream")
def test_every_length_over_the_file_limit_is_refused_up_front_on_the_streamed_uploads(
    app: LocalApp, length: int, leading_zeros: int, path: str
) -> None:
    """file-over-limit's rule (rendered from MAX_FILE_BYTES) refuses every larger declared
    length on the head alone, with the limit in JSON; the body is never sent. (Within the limit
    the 20 MiB uploads above go through on these routes too.)"""
    declared = "0" * leading_zeros + str(length)
    status, headers = _answer_to_declared_length(app.url, path, declared)
    assert status == b"HTTP/1.1 413 Request Entity Too Large", declared
    assert b"application/json" in headers, declared


@pytest.mark.parametrize("path", ["/", "/api/languages"])
def test_security_headers_are_on_pages_and_api(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "server" not in headers


def test_responses_are_compressed(client: httpx.Client) -> None:
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


def test_a_burst_on_the_api_is_rate_limited(app: LocalApp, client: httpx.Client) -> None:
    """Runs last in this module: it empties the client's token bucket.

    Waves of concurrent requests outpace the refill (20 per second) even on a slow machine.
    """
    statuses: list[int] = []
    refusals: list[httpx.Response] = []
    with httpx.Client(base_url=app.url, timeout=30) as burst, ThreadPoolExecutor(16) as pool:
        while len(statuses) < RATE_LIMIT_BURST_MAX_REQUESTS and 429 not in statuses:
            wave = list(pool.map(lambda _: burst.get("/api/languages"), range(40)))
            statuses.extend(response.status_code for response in wave)
            refusals.extend(response for response in wave if response.status_code == 429)
    assert 429 in statuses, f"no 429 in {len(statuses)} requests"
    assert statuses.count(200) >= 20, "the burst allowance was not granted first"
    assert set(statuses) <= {200, 429}
    # Answered like every other API error: JSON with a message, and when to try again.
    assert "Try again" in refusals[0].json()["error"]
    assert int(refusals[0].headers["Retry-After"]) >= 1
    # The page is not rate limited, and the bucket refills (20 per second).
    assert client.get("/").status_code == 200
    time.sleep(2)
    assert client.get("/api/languages").status_code == 200
