"""Read a multipart upload into memory, bounded, without Starlette's spooling to a temp file.

Starlette's form parser rolls files over 1 MiB into a temporary file on disk; the documents
endpoints read the body themselves, refuse it as soon as it passes the limit, and parse it
with python-multipart's streaming parser in memory, so no byte of a user's file touches disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from backend.documents.errors import FileTooLarge
from backend.errors import ServiceError

#: Room for the form's other fields and the multipart framing on top of the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024


class BadUpload(ServiceError):
    """The request is not the multipart form the endpoint expects."""

    status_code = 400


@dataclass
class Upload:
    """The uploaded file and the form's text fields."""

    filename: str
    data: bytes
    fields: dict[str, str] = field(default_factory=dict)


async def read_upload(request: Request, *, max_file_bytes: int, file_field: str = "file") -> Upload:
    """Return the file and fields of a multipart request; 413 once the body passes the limit."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise BadUpload("send the file as multipart/form-data in a field named 'file'")
    limit = max_file_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), max_file_bytes)
    parts: list[tuple[dict[bytes, bytes], bytearray]] = []
    header: list[bytes] = [b"", b""]

    def begin() -> None:
        parts.append(({}, bytearray()))

    def header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def header_end() -> None:
        parts[-1][0][header[0].lower()] = header[1]
        header[0] = header[1] = b""

    def part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    callbacks = {
        "on_part_begin": begin,
        "on_header_field": header_field,
        "on_header_value": header_value,
        "on_header_end": header_end,
        "on_part_data": part_data,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(received, max_file_bytes)
            parser.write(chunk)
        parser.finalize()
    except ValueError as error:
        raise BadUpload(f"the multipart body cannot be parsed ({error})") from None
    return _collect(parts, file_field)


def _collect(parts: list[tuple[dict[bytes, bytes], bytearray]], file_field: str) -> Upload:
    upload = Upload(filename="", data=b"")
    found = False
    for headers, body in parts:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == file_field and b"filename" in options:
            upload.filename = options[b"filename"].decode("utf-8", "replace")
            upload.data = bytes(body)
            found = True
        elif name:
            upload.fields[name] = body.decode("utf-8", "replace")
    if not found:
        raise BadUpload(f"the form has no file field named {file_field!r}")
    if not upload.data:
        raise BadUpload("the uploaded file is empty")
    return upload


def _too_large(size: int, max_file_bytes: int) -> FileTooLarge:
    return FileTooLarge(
        f"the upload has {size} bytes; the limit is {max_file_bytes} bytes a file (MAX_FILE_BYTES)"
    )
