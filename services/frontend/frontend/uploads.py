"""Uploaded documents: their own body limit, and kept in memory.

Quart fixes a request's body limit (MAX_CONTENT_LENGTH, derived from the text limit) when it
creates the request, before routing: the app's request class gives the document upload paths
the file limit instead (MAX_FILE_BYTES plus the form around the file), so a larger declared
Content-Length is refused at once and a chunked body once it passes the limit, both 413.

Werkzeug's default stream factory, which Quart's form parser uses, spools a file over 500 KB
into a temporary file on disk; a user's document must not land on a replica's disk.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import IO, Any

from quart.formparser import FormDataParser
from quart.wrappers import Request


def in_memory(*_args: Any, **_kwargs: Any) -> IO[bytes]:
    """Return a memory buffer for one uploaded file, whatever its size."""
    return io.BytesIO()


class InMemoryFormDataParser(FormDataParser):
    """Quart's form parser with every uploaded file kept in memory."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options, stream_factory=in_memory)


class InMemoryUploadsRequest(Request):
    """The app's request class: forms parsed with InMemoryFormDataParser."""

    form_data_parser_class = InMemoryFormDataParser
    #: Paths whose POST body is a document upload, and the body limit they get instead.
    upload_paths: frozenset[str] = frozenset()
    max_upload_bytes: int | None = None

    def __init__(
        self,
        method: str,
        scheme: str,
        path: str,
        *args: Any,
        max_content_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if method == "POST" and path in self.upload_paths:
            max_content_length = self.max_upload_bytes
        super().__init__(
            method, scheme, path, *args, max_content_length=max_content_length, **kwargs
        )
        if self.is_upload:
            # The form parser reads the limit from here (else from the app's config).
            self.max_content_length = self.max_upload_bytes

    @property
    def is_upload(self) -> bool:
        """Tell whether this request is a document upload (limited by the file limit)."""
        return self.method == "POST" and self.path in self.upload_paths


def request_class(paths: Iterable[str], max_upload_bytes: int) -> type[InMemoryUploadsRequest]:
    """Return a request class that limits POST bodies on `paths` to `max_upload_bytes`."""
    return type(
        "DocumentUploadsRequest",
        (InMemoryUploadsRequest,),
        {"upload_paths": frozenset(paths), "max_upload_bytes": max_upload_bytes},
    )


def size_text(size_bytes: int) -> str:
    """Return a byte count as people read it: "25 MiB", "1.5 MiB", "900 KiB"."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size_bytes} bytes"


def file_too_large(max_file_bytes: int) -> str:
    """Return the refusal of a document over the limit, naming the limit and its setting."""
    return (
        f"The file is larger than {size_text(max_file_bytes)} "
        f"({max_file_bytes:,} bytes, MAX_FILE_BYTES)."
    )
