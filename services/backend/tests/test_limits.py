"""Body limits, nested JSON and the header deadline of the real backend (and its protocol)."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from backend.api.limits import header_timeout_protocol, max_body_bytes

from testkit.raw_http import address_of, status_line
from testkit.servers import free_port
from testkit.waiting import wait_until

# The real backend runs with the default MAX_TEXT_CHARS.
LIMIT_BYTES = max_body_bytes(1_000_000)


@pytest.mark.parametrize("path", ["/v1/translate/stream", "/v1/translate", "/translate"])
def test_a_declared_oversized_body_is_refused_before_it_is_sent(backend_url: str, path) -> None:
    with socket.create_connection(address_of(backend_url), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: 500000000\r\n\r\n".encode()
        )
        assert status_line(sock) == b"HTTP/1.1 413 Request Entity Too Large"


def _send_for(sock: socket.socket, seconds: float) -> None:
    """Go on sending body bytes, as a proxy copying a body does; raise if the server resets."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        sock.sendall(b"a" * 65536)
        time.sleep(0.01)


def test_a_refused_declared_body_is_read_on_instead_of_reset(backend_url: str) -> None:
    """After the 413 the connection is half-closed and read on, not reset.

    Closed with the body's bytes unread, the kernel resets the connection: a proxy still
    copying the body (Traefik) then loses the 413 and answers 502.
    """
    with socket.create_connection(address_of(backend_url), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/translate/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 500000000\r\n\r\n" + b"a" * 65536
        )
        assert status_line(sock) == b"HTTP/1.1 413 Request Entity Too Large"
        _send_for(sock, 1.0)


def test_a_chunked_body_is_counted_and_cut_at_the_limit(backend_url: str) -> None:
    """The 413 comes once the limit is passed, long before the client has sent all it could;
    the connection is then read on (not reset) while the client goes on sending."""
    chunk = b"a" * 65536
    sent = 0
    with socket.create_connection(address_of(backend_url), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/translate/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        answer = b""
        while not answer and sent < 40 * LIMIT_BYTES:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable:
                answer = sock.recv(4096)
            elif writable:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        assert answer.startswith(b"HTTP/1.1 413 "), (answer[:200], sent)
        assert sent < 40 * LIMIT_BYTES
        _send_for(sock, 1.0)


@pytest.mark.parametrize("path", ["/v1/translate", "/v1/translate/stream", "/translate"])
def test_deeply_nested_json_is_a_400_not_a_500(backend_url: str, path) -> None:
    body = "[" * 100_000
    response = httpx.post(
        backend_url + path, content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


def test_a_body_within_the_limit_still_reaches_the_route(backend_url: str) -> None:
    response = httpx.post(
        backend_url + "/v1/translate",
        json={"text": "Guten Morgen.", "source": "de", "target": "en"},
        timeout=30,
    )
    assert response.status_code == 200


@pytest.fixture
def slow_header_server() -> Iterator[tuple[str, int]]:
    """Serve a trivial app with a 0.5 s header deadline (the real backend uses 10 s)."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, http=header_timeout_protocol(0.5)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout_s=10.0, what="uvicorn serving")
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


def test_a_slowloris_client_is_cut_off(slow_header_server) -> None:
    with socket.create_connection(slow_header_server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # a header line now and then: never complete
            time.sleep(0.2)
            sock.sendall(b"X-Slow: 1\r\n")
        assert _closed_within(sock, 2.0)


def test_a_silent_connection_is_cut_off(slow_header_server) -> None:
    with socket.create_connection(slow_header_server) as sock:
        assert _closed_within(sock, 2.0)


def test_an_idle_keep_alive_connection_is_not_cut_by_the_header_deadline(
    slow_header_server,
) -> None:
    with socket.create_connection(slow_header_server) as sock:
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status_line(sock) == b"HTTP/1.1 200 OK"  # the whole small response
            time.sleep(1.0)  # idle for twice the header deadline


@pytest.mark.parametrize("path", ["/v1/documents", "/translate_file"])
async def test_file_routes_take_files_up_to_max_file_bytes_not_the_texts_limit(path) -> None:
    """A file over the text's body limit reaches the route; one over MAX_FILE_BYTES does not."""
    from backend.api.limits import BodyLimitMiddleware

    reached: list[int] = []

    async def route(scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        reached.append(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = BodyLimitMiddleware(route, max_body_bytes=1_000, max_file_bytes=100_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://limits.test") as client:
        assert (await client.post(path, content=b"x" * 50_000)).status_code == 200
        refused = await client.post(path, content=b"x" * 200_000)
        assert refused.status_code == 413
        assert "MAX_FILE_BYTES" in refused.json()["detail"]
        # Every other route keeps the text's limit.
        assert (await client.post("/v1/translate", content=b"x" * 50_000)).status_code == 413
    assert reached == [50_000]
