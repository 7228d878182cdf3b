"""Codec details the round-trip fixtures do not reach, with an upper-casing translator."""

from __future__ import annotations

import asyncio
import io
import zipfile

from backend.documents import Limits, translate_document
from lxml import etree

from testkit.documents import docx_bytes

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXT_BOX = (
    f'<w:p xmlns:w="{W}" xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:t>Vor dem Kasten </w:t>'
    "</w:r><w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>Text im Kasten</w:t>"
    "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r><w:r><w:t>nach dem Kasten."
    "</w:t></w:r></w:p>"
)


async def upper(text: str) -> str:
    return text.upper()


def with_text_box() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    document = etree.fromstring(source.read("word/document.xml"))
    document.find(f"{{{W}}}body").insert(0, etree.fromstring(TEXT_BOX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "word/document.xml":
                data = etree.tostring(document)
            target.writestr(entry, data)
    return out.getvalue()


def test_a_word_text_box_is_its_own_block_inside_its_paragraph() -> None:
    """The box's paragraph is translated alone; the paragraph around it keeps its two runs."""
    result = asyncio.run(translate_document(with_text_box(), "kasten.docx", upper, Limits()))
    document = etree.fromstring(zipfile.ZipFile(io.BytesIO(result.data)).read("word/document.xml"))
    outer = document.find(f"{{{W}}}body")[0]
    inner = outer.find(f".//{{{W}}}txbxContent/{{{W}}}p")
    assert "".join(inner.itertext()) == "TEXT IM KASTEN"
    own = [t.text for t in outer.iter(f"{{{W}}}t") if t.getparent().getparent() is outer]
    assert own == ["VOR DEM KASTEN ", "NACH DEM KASTEN."]


def test_word_runs_split_mid_word_with_one_formatting_are_one_run() -> None:
    """Word splits runs for edit history and spelling marks; such neighbours are one text."""
    split_word = (
        f'<w:p xmlns:w="{W}"><w:r><w:t>Die Zwie</w:t></w:r><w:proofErr w:type="spellStart"/>'
        "<w:r><w:t>belsuppe ist heiß.</w:t></w:r></w:p>"
    )
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    document = etree.fromstring(source.read("word/document.xml"))
    document.find(f"{{{W}}}body").insert(0, etree.fromstring(split_word))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            target.writestr(
                entry, etree.tostring(document) if "document.xml" in entry.filename else data
            )
    sent: list[str] = []

    async def record(text: str) -> str:
        sent.append(text)
        return text.upper()

    result = asyncio.run(translate_document(out.getvalue(), "wort.docx", record, Limits()))
    translated = etree.fromstring(
        zipfile.ZipFile(io.BytesIO(result.data)).read("word/document.xml")
    )
    first = translated.find(f"{{{W}}}body")[0]
    assert [t.text or "" for t in first.iter(f"{{{W}}}t")] == ["DIE ZWIEBELSUPPE IST HEISS.", ""]
    assert "Die Zwiebelsuppe ist heiß." in sent
