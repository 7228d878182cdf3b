"""Keep uploaded files in memory: the request body is already bounded (MAX_CONTENT_LENGTH).

Werkzeug's default stream factory, which Quart's form parser uses, spools a file over 500 KB
into a temporary file on disk; a user's document must not land on a replica's disk.
"""

from __future__ import annotations

import io
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
