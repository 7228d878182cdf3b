"""Translated files waiting for /download_file: in memory, for a retention period, bounded.

Framework-free. Files live on the replica that translated them; a download that reaches another
replica is fetched from this one (api/routes/files.py), so no disk and no shared volume is needed.
The byte budget drops the oldest files first; expired files are dropped on every access.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFile:
    """A translated file, its download name and media type."""

    data: bytes
    filename: str
    media_type: str
    expires_at_s: float


class FileStore:
    """Keep files by key until they expire or the byte budget needs their room."""

    def __init__(
        self,
        *,
        retention_s: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._retention_s = retention_s
        self._max_bytes = max_bytes
        self._clock = clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._bytes = 0

    @property
    def stored_bytes(self) -> int:
        """Return the bytes held now."""
        return self._bytes

    def put(self, key: str, data: bytes, filename: str, media_type: str) -> bool:
        """Keep a file; False when it alone is larger than the whole budget."""
        self._expire()
        if len(data) > self._max_bytes:
            return False
        while self._files and self._bytes + len(data) > self._max_bytes:
            self._drop(next(iter(self._files)))
        expires = self._clock() + self._retention_s
        self._files[key] = StoredFile(data, filename, media_type, expires)
        self._bytes += len(data)
        return True

    def get(self, key: str) -> StoredFile | None:
        """Return the file stored under key, or None when unknown or expired."""
        self._expire()
        return self._files.get(key)

    def _expire(self) -> None:
        now = self._clock()
        # Insertion order is expiry order: every file gets the same retention.
        while self._files:
            key, stored = next(iter(self._files.items()))
            if stored.expires_at_s > now:
                break
            self._drop(key)

    def _drop(self, key: str) -> None:
        stored = self._files.pop(key)
        self._bytes -= len(stored.data)
