"""Speak HTTP/1.1 over a raw socket, for tests about what a client library would hide."""

from __future__ import annotations

import select
import socket
import time
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
            status = reader.readline()
            if not status.startswith(b"HTTP/1.1 200"):
                return False
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            reader.read(length)
    return True


def answers_before_close(host: str, port: int, path: str, requests: int) -> int:
    """GET path `requests` times on one keep-alive connection; return how many were answered
    before the server announced or made the connection's end (`Connection: close`, or EOF)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, port), timeout=5.0) as sock:
        reader = sock.makefile("rb")
        for answered in range(requests):
            sock.sendall(request)
            if not reader.readline().startswith(b"HTTP/1.1 "):
                return answered
            length, closing = 0, False
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
                if name.strip().lower() == "connection" and value.strip().lower() == "close":
                    closing = True
            reader.read(length)
            if closing:
                return answered + 1
    return requests
