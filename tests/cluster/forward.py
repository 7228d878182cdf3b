"""Reach a port inside one of the cluster's network namespaces from 127.0.0.1 of the test.

The clients (httpx, Chromium) stay in the host's namespace; a forwarder listens on loopback and
opens each upstream connection from a thread that has switched into the node's namespace
(setns(2) changes the network namespace of the calling thread only). Traffic never leaves
loopback and the namespaces the test created.
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
from contextlib import contextmanager, suppress

logger = logging.getLogger(__name__)

CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


@contextmanager
def in_netns(netns: str):
    """Run the block with this thread in the named network namespace, then switch back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def connect(netns: str, address: str, port: int, *, timeout_s: float = 5.0) -> socket.socket:
    """Return a TCP connection to address:port opened inside the named namespace."""
    with in_netns(netns):
        return socket.create_connection((address, port), timeout=timeout_s)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


class Forwarder:
    """Listen on 127.0.0.1:<port> and relay every connection to address:port in a namespace."""

    def __init__(self, netns: str, address: str, port: int) -> None:
        self.netns = netns
        self.target = (address, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"forward-{netns}", daemon=True)

    @property
    def url(self) -> str:
        """Return the http URL the forwarder listens on."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Forwarder:
        """Start accepting connections."""
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            # Generous: on a loaded machine a node's accept can lag; a refusal still fails fast.
            upstream = connect(self.netns, *self.target, timeout_s=30.0)
        except OSError:
            # Seen by the client as a reset connection, as a dead host's port would be.
            client.close()
            return
        upstream.settimeout(None)
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        client.close()
        upstream.close()

    def close(self) -> None:
        """Stop listening (relayed connections end with their peers)."""
        self._closed.set()
        self._listener.close()
