"""Open zip containers and XML parts defensively: bounded before anything is unpacked.

Every zip-based format (OOXML, OpenDocument, EPUB) comes through ``open_zip``: the central
directory's entry count and declared sizes are checked before one byte is inflated, and
``zipfile`` itself stops inflating an entry at its declared size (a lying header fails its CRC).
XML is parsed by ``parse_xml``: no DTD is loaded, no entity is resolved, nothing is fetched, and
a part that declares entities at all is refused (no Office or OpenDocument part needs one).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from backend.documents.errors import (
    CorruptDocument,
    FileTooLarge,
    ProtectedDocument,
    UnsafeDocument,
)

#: Characters XML 1.0 cannot carry (a form feed is whitespace to the translator, not to XML).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: An entity declaration anywhere in a part: the start of every billion-laughs file.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """How big a document may be, before and after unpacking."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_text_chars: int = 1_000_000
    #: Unpacked size of a zip container: 20 times the upload limit (text XML packs ~10:1).
    max_unpacked_ratio: int = 20
    #: Entries in a zip container; a 200-page Word file has a few dozen.
    max_entries: int = 10_000

    @property
    def max_unpacked_bytes(self) -> int:
        """Return the largest total unpacked size a zip container may declare."""
        return self.max_file_bytes * self.max_unpacked_ratio


def open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open data as a zip archive after checking its entry count, sizes and encryption."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise CorruptDocument(f"the file is not a readable zip container ({error})") from None
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise FileTooLarge(
            f"the container has {len(entries)} entries; the limit is {limits.max_entries}"
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked_bytes:
        raise FileTooLarge(
            f"the container unpacks to {unpacked} bytes; the limit is {limits.max_unpacked_bytes}"
            " (MAX_FILE_BYTES x 20)"
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise ProtectedDocument("the file is encrypted with a password; remove it and retry")
    return archive


def read_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one entry whole (its size was bounded by open_zip); damage is CorruptDocument."""
    try:
        return archive.read(name)
    except KeyError:
        raise CorruptDocument(f"the container has no {name!r}") from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError) as error:
        raise CorruptDocument(f"the container's {name!r} is damaged ({error})") from None


def parse_xml(data: bytes, name: str) -> etree._Element:
    """Parse one XML part with entities, DTDs and network access off."""
    if _ENTITY_DECLARATION.search(data):
        raise UnsafeDocument(f"{name!r} declares XML entities; such files are refused")
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise CorruptDocument(f"{name!r} is not well-formed XML ({error})") from None


def xml_text(text: str) -> str:
    """Return text without the control characters XML cannot hold."""
    return _NOT_XML.sub("", text)


def serialize_xml(root: etree._Element) -> bytes:
    """Serialize a part back, with the XML declaration Office and OpenDocument readers expect."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rewrite_zip(archive: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    """Copy every entry in its order, compression and metadata, swapping in the replaced ones.

    Entries not in ``replaced`` (images, charts, embedded objects) are copied byte for byte.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in archive.infolist():
            data = replaced.get(entry.filename)
            if data is None:
                data = read_entry(archive, entry.filename)
            target.writestr(entry, data, compress_type=entry.compress_type)
    return out.getvalue()
