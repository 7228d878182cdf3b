"""Tell a file's format from its content, and refuse names that say otherwise.

The extension is a claim; the bytes decide. A PDF, an OLE2 container (old binary Office, or any
password-protected Office file) and a zip container are recognised by their signatures, and a zip
by the entries that define each format ([Content_Types].xml and the main part, or the mimetype
entry). Text formats must decode as text. A file whose content is a different format than its
name says is refused, as are macro-enabled Office files and OpenDocument files with scripts:
macros are never run, and they are not passed on either.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from backend.documents.archive import Limits, open_zip, read_entry
from backend.documents.errors import ProtectedDocument, UnsafeDocument, UnsupportedFormat

EXTENSIONS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".odt": "odt",
    ".odp": "odp",
    ".ods": "ods",
    ".srt": "srt",
    ".vtt": "vtt",
    ".epub": "epub",
    ".pdf": "pdf",
}
TEXT_FORMATS = frozenset({"txt", "md", "html", "srt", "vtt"})
MACRO_EXTENSIONS = frozenset({".docm", ".dotm", ".pptm", ".potm", ".ppsm", ".xlsm", ".xltm"})
LEGACY_EXTENSIONS = frozenset({".doc", ".dot", ".ppt", ".pps", ".xls", ".xlt", ".rtf"})
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/epub+zip": "epub",
}
_OOXML_MAIN = {
    "word/document.xml": "docx",
    "ppt/presentation.xml": "pptx",
    "xl/workbook.xml": "xlsx",
}
NAMES = {
    "txt": "plain text",
    "md": "Markdown",
    "html": "HTML",
    "docx": "a Word document",
    "pptx": "a PowerPoint presentation",
    "xlsx": "an Excel workbook",
    "odt": "an OpenDocument text",
    "odp": "an OpenDocument presentation",
    "ods": "an OpenDocument spreadsheet",
    "srt": "SubRip subtitles",
    "vtt": "WebVTT subtitles",
    "epub": "an EPUB e-book",
    "pdf": "a PDF document",
}


def supported() -> str:
    """Return the supported extensions, for error messages."""
    return ", ".join(EXTENSIONS)


def detect(data: bytes, filename: str, limits: Limits) -> str:
    """Return the format of data (a key of NAMES), or raise why it cannot be translated."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix in MACRO_EXTENSIONS:
        raise UnsafeDocument(
            f"{suffix} files may carry macros, which are refused; save it without macros"
        )
    claimed = EXTENSIONS.get(suffix)
    found = _sniff(data, limits)
    if found is None:  # text
        if claimed is None or claimed not in TEXT_FORMATS:
            what = f"named {suffix}" if suffix else "without an extension"
            raise UnsupportedFormat(
                f"the file is {what} but is not a format we translate; supported: {supported()}"
            )
        return claimed
    if claimed is not None and claimed != found:
        raise UnsupportedFormat(f"the file is named {suffix} but its content is {NAMES[found]}")
    return found


def _sniff(data: bytes, limits: Limits) -> str | None:
    """Return the binary format data is, or None when it is text; raise when it is neither."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE2):
        if _ENCRYPTION_INFO in data:
            raise ProtectedDocument("the file is encrypted with a password; remove it and retry")
        raise UnsupportedFormat(
            "old binary Office files (.doc, .xls, .ppt) are not supported; save as .docx, "
            ".xlsx or .pptx"
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(data, limits)
    if _is_text(data):
        return None
    raise UnsupportedFormat(f"the file is not a format we translate; supported: {supported()}")


def _zip_format(data: bytes, limits: Limits) -> str:
    archive = open_zip(data, limits)
    names = set(archive.namelist())
    if "mimetype" in names:
        mimetype = read_entry(archive, "mimetype")[:100].decode("ascii", "replace").strip()
        found = _MIMETYPES.get(mimetype)
        if found is None:
            raise UnsupportedFormat(f"a zip package of type {mimetype!r} is not supported")
        if found != "epub" and any(n.startswith(("Basic/", "Scripts/")) for n in names):
            raise UnsafeDocument("the file carries macros (Basic/Scripts), which are refused")
        return found
    for main, found in _OOXML_MAIN.items():
        if main in names and "[Content_Types].xml" in names:
            types = read_entry(archive, "[Content_Types].xml")
            if any(n.endswith("vbaProject.bin") for n in names) or b"macroEnabled" in types:
                raise UnsafeDocument(
                    "the file carries macros (VBA), which are refused; save it without macros"
                )
            return found
    raise UnsupportedFormat(f"a zip archive that is not a document; supported: {supported()}")


def _is_text(data: bytes) -> bool:
    """Return whether data decodes as UTF-8 or BOM-marked UTF-16 text without NUL bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return "\x00" not in data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_text(data: bytes) -> str:
    """Decode a text file that _is_text accepted."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")
