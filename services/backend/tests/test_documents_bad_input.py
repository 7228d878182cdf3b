"""Bad documents are refused with a clear 4xx and never a 500, and nothing in them is run.

Most checks call translate_document directly with a translator that must never be reached; the
last ones go through POST /v1/documents for the status codes and the limits' names.
"""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zipfile

import pytest
from backend.documents import Limits, translate_document
from backend.documents.errors import (
    CorruptDocument,
    DocumentError,
    FileTooLarge,
    ProtectedDocument,
    UnsafeDocument,
    UnsupportedFormat,
)
from backend.errors import TextTooLong
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from msoffcrypto.format.ooxml import OOXMLFile
from pypdf import PdfWriter

from testkit.documents import docx_bytes, odt_bytes, pdf_bytes

MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
MANIFEST_ENTRY = "META-INF/manifest.xml"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]>\n"
)


async def never(text: str) -> str:
    raise AssertionError("a refused document reached the translator")


def refuse(data: bytes, name: str, limits: Limits | None = None) -> DocumentError | TextTooLong:
    """Run translate_document and return the error it raised."""
    with pytest.raises((DocumentError, TextTooLong)) as caught:
        asyncio.run(translate_document(data, name, never, limits or Limits()))
    return caught.value


def replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """Return the zip with one entry's content replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename != name:
                target.writestr(entry, source.read(entry.filename))
        target.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "bild.png"),
        (b"\x00\x01\x02binary", "notiz.txt"),
        (b"Klartext ohne Endung", "README"),
        (zipfile.ZipFile.__doc__.encode(), "daten.csv"),
    ],
)
def test_unknown_formats_are_415(data: bytes, name: str) -> None:
    """Images, binary data, unknown extensions: 415, naming what is supported."""
    error = refuse(data, name)
    assert isinstance(error, UnsupportedFormat)
    assert ".docx" in str(error)


@pytest.mark.parametrize(
    ("data", "name", "found"),
    [
        (pdf_bytes(), "bericht.docx", "a PDF document"),
        (docx_bytes(), "bericht.pdf", "a Word document"),
        (odt_bytes(), "bericht.docx", "an OpenDocument text"),
    ],
)
def test_a_name_that_lies_about_the_content_is_415(data: bytes, name: str, found: str) -> None:
    """The content decides: a PDF named .docx is refused, saying what it really is."""
    error = refuse(data, name)
    assert isinstance(error, UnsupportedFormat)
    assert found in str(error)
    assert isinstance(refuse(b"nur Text", "bericht.docx"), UnsupportedFormat)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (docx_bytes()[:5000], "abgeschnitten.docx"),
        (pdf_bytes()[:300], "abgeschnitten.pdf"),
        (replace_entry(docx_bytes(), "word/document.xml", b"<w:document><w:body>"), "kaputt.docx"),
        (replace_entry(odt_bytes(), "content.xml", b"<office:document-content"), "kaputt.odt"),
        (b"1\nkeine Zeitangabe\nText\n", "film.srt"),
        (b"kein WEBVTT-Kopf\n", "film.vtt"),
    ],
)
def test_corrupt_and_truncated_files_are_422(data: bytes, name: str) -> None:
    """Truncated zips and PDFs, broken XML and malformed subtitles: 422."""
    assert isinstance(refuse(data, name), CorruptDocument)


def test_password_protected_office_files_are_refused() -> None:
    """An Office file encrypted with a password (an OLE2 container) is refused as protected."""
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_bytes())).encrypt("geheim", out)
    error = refuse(out.getvalue(), "geheim.docx")
    assert isinstance(error, ProtectedDocument)
    assert "password" in str(error)


def test_password_protected_pdfs_and_opendocuments_are_refused() -> None:
    """A PDF with a user password and an OpenDocument with encrypted entries: refused."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt("geheim", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert isinstance(refuse(out.getvalue(), "geheim.pdf"), ProtectedDocument)
    manifest = etree.fromstring(zipfile.ZipFile(io.BytesIO(odt_bytes())).read(MANIFEST_ENTRY))
    entry = manifest.find(f"{{{MANIFEST}}}file-entry[@{{{MANIFEST}}}full-path='content.xml']")
    etree.SubElement(entry, f"{{{MANIFEST}}}encryption-data")
    odt = replace_entry(odt_bytes(), MANIFEST_ENTRY, etree.tostring(manifest))
    assert isinstance(refuse(odt, "geheim.odt"), ProtectedDocument)


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating() -> None:
    """Declared sizes over the limit: 413 at once (inflating would have failed the CRC instead)."""
    data = bytearray(replace_entry(docx_bytes(), "word/media/bombe.bin", b"0" * 1000))
    directory = data.rfind(b"PK\x01\x02")  # the last central directory header: bombe.bin
    struct.pack_into("<I", data, directory + 24, 4_000_000_000)  # its uncompressed size
    error = refuse(bytes(data), "bombe.docx")
    assert isinstance(error, FileTooLarge)
    assert "unpacks to" in str(error)


def test_a_real_zip_bomb_and_too_many_entries_are_413() -> None:
    """Highly compressible content past 20 x MAX_FILE_BYTES, or more entries than allowed."""
    limits = Limits(max_file_bytes=100_000, max_entries=50)
    bomb = replace_entry(docx_bytes(), "word/media/nullen.bin", bytes(3_000_000))
    assert len(bomb) < limits.max_file_bytes
    assert isinstance(refuse(bomb, "bombe.docx", limits), FileTooLarge)
    crowded = docx_bytes()
    for number in range(60):
        crowded = replace_entry(crowded, f"word/media/leer{number}.bin", b"")
    assert isinstance(refuse(crowded, "voll.docx", limits), FileTooLarge)


def test_xml_entity_declarations_are_refused_fast() -> None:
    """A billion-laughs part is refused before any parser could expand it."""
    document = zipfile.ZipFile(io.BytesIO(docx_bytes())).read("word/document.xml")
    laughs = BILLION_LAUGHS + document.split(b"?>", 1)[1].replace(b"<w:t>", b"<w:t>&lol9;", 1)
    started = time.perf_counter()
    error = refuse(replace_entry(docx_bytes(), "word/document.xml", laughs), "lachen.docx")
    assert isinstance(error, UnsafeDocument)
    assert "entities" in str(error)
    assert time.perf_counter() - started < 5


def test_html_entity_declarations_are_never_expanded() -> None:
    """The HTML parser knows no internal entities: the page is translated, the bomb stays inert."""
    page = BILLION_LAUGHS.split(b"\n", 1)[1] + b"<html><body><p>Hallo &lol9; Welt</p></body></html>"
    seen: list[str] = []

    async def record(text: str) -> str:
        seen.append(text)
        return text

    result = asyncio.run(translate_document(page, "seite.html", record, Limits()))
    assert len(result.data) < 10_000
    assert all(len(text) < 1000 for text in seen)


@pytest.mark.parametrize("name", ["makro.docm", "makro.xlsm", "makro.pptm"])
def test_macro_enabled_names_are_refused(name: str) -> None:
    """Macro-enabled Office files are refused, never translated with their macros."""
    assert isinstance(refuse(docx_bytes(), name), UnsafeDocument)


def test_macros_inside_ordinary_names_are_refused() -> None:
    """A vbaProject.bin in a .docx, or Basic scripts in an .odt, are refused as well."""
    word = replace_entry(docx_bytes(), "word/vbaProject.bin", b"Attribute VB_Name")
    assert isinstance(refuse(word, "harmlos.docx"), UnsafeDocument)
    writer = replace_entry(odt_bytes(), "Basic/Standard/Module1.xml", b"<script/>")
    assert isinstance(refuse(writer, "harmlos.odt"), UnsafeDocument)


def test_size_and_text_limits_name_their_settings() -> None:
    """Over MAX_FILE_BYTES: 413 naming it; over MAX_TEXT_CHARS of extracted text: 413 too."""
    error = refuse(docx_bytes(), "gross.docx", Limits(max_file_bytes=1000))
    assert isinstance(error, FileTooLarge)
    assert "MAX_FILE_BYTES" in str(error)
    error = refuse(b"Ein Satz. " * 100, "lang.txt", Limits(max_text_chars=500))
    assert isinstance(error, TextTooLong)
    assert error.status_code == 413


def test_a_pdf_without_a_text_layer_is_422() -> None:
    """A scan has nothing to translate: refused, suggesting OCR."""
    error = refuse(pdf_bytes(pages=("",)), "scan.pdf")
    assert error.status_code == 422
    assert "OCR" in str(error)


async def test_the_http_edge_answers_4xx_json(documents_client) -> None:
    """Through /v1/documents: the domain refusals keep their status codes and messages."""
    cases = [
        (("bericht.docx", pdf_bytes()), 415),
        (("kaputt.docx", docx_bytes()[:5000]), 422),
        (("makro.docm", docx_bytes()), 422),
        (("leer.txt", b""), 400),
    ]
    for upload, status in cases:
        response = await documents_client.post("/v1/documents", files={"file": upload})
        assert response.status_code == status, response.text
        assert response.json()["detail"]
    not_multipart = await documents_client.post("/v1/documents", content=b"Hallo")
    assert not_multipart.status_code == 400


async def test_uploads_over_the_limit_are_refused_without_touching_disk(
    documents_client, temporary_files_opened: list[str]
) -> None:
    """A 26 MiB upload is 413 naming MAX_FILE_BYTES; a 2 MiB one opens no temporary file."""
    big = b"Hallo Welt. " * (26 * 1024 * 1024 // 12 + 1)
    response = await documents_client.post("/v1/documents", files={"file": ("gross.txt", big)})
    assert response.status_code == 413
    assert "MAX_FILE_BYTES" in response.json()["detail"]
    medium = b"\x00" * (2 * 1024 * 1024)
    response = await documents_client.post("/v1/documents", files={"file": ("daten.txt", medium)})
    assert response.status_code == 415
    assert temporary_files_opened == []


SAMPLES = {
    "bericht.docx": docx_bytes(),
    "bericht.odt": odt_bytes(),
    "bericht.pdf": pdf_bytes(),
    "film.srt": b"1\n00:00:01,000 --> 00:00:02,000\nHallo Welt.\n",
    "seite.html": b"<html><body><p>Hallo <b>Welt</b>.</p></body></html>",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_damaged_files_are_translated_or_refused_never_crash(name: str, data) -> None:
    """Any file with bytes overwritten or cut off either translates or raises a DocumentError."""
    original = SAMPLES[name]
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = data.draw(st.integers(0, 255))
    damaged = damaged[: data.draw(st.integers(1, len(damaged)))]

    assert asyncio.run(outcome(bytes(damaged), name)) in {200, 413, 415, 422}


async def outcome(data: bytes, name: str) -> int:
    """Translate with an echo translator; return 200 or the refusal's status code."""

    async def echo(text: str) -> str:
        return text

    try:
        await translate_document(data, name, echo, Limits())
    except (DocumentError, TextTooLong) as error:
        return error.status_code
    return 200
