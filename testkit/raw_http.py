"""Speak HTTP/1.1 over a raw socket, for tests about what a client library would hide."""

from __future__ import annotations

import select
import socket
import time
from typing import BinaryIO
from urllib.parse import urlsplit


def address_of(url: str) -> tuple[str, int]:
    """Return the host and port a URL points at (port 80 when it names none)."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def status_line(sock: socket.socket, *, timeout_s: float = 10.0) -> bytes:
    """Read until the end of the response's first line; return it (b"" if the server closed)."""
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def idle_connection_survives(host: str, port: int, path: str, idle_s: float) -> bool:
    """Send a GET, stay idle idle_s on the same keep-alive connection, and GET again on it."""
    with socket.create_connection((host, port), timeout=5.0) as sock:
        reader = sock.makefile("rb")
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        for attempt in range(2):
            if attempt:
                time.sleep(idle_s)
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:  # the server closed the connection meanwhile (EOF is readable)
                    return False
            sock.sendall(request)
            status, _ = _read_answer(reader)
            if not status.startswith(b"HTTP/1.1 200"):
                return False
    return True


def answers_before_close(host: str, port: int, path: str, requests: int) -> int:
    """GET path `requests` times on one keep-alive connection; return how many were answered
    before the server announced or made the connection's end (`Connection: close`, or EOF)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, port), timeout=5.0) as sock:
        reader = sock.makefile("rb")
        for answered in range(requests):
            sock.sendall(request)
            status, headers = _read_answer(reader)
            if not status.startswith(b"HTTP/1.1 "):
                return answered
            if headers.get("connection", "").lower() == "close":
                return answered + 1
    return requests


def _read_answer(reader: BinaryIO) -> tuple[bytes, dict[str, str]]:
    """Read one answer with a Content-Length body; return its status line and its headers
    (names in lower case). The status line is b"" when the server had closed the connection."""
    status = reader.readline()
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    reader.read(int(headers.get("content-length", "0")))
    return status, headers
