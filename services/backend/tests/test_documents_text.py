"""HTML, Markdown, plain text, subtitles and PDF round-trip through the real backend.

The markup, the syntax and the timings come back exactly; only the prose changes, and no German
word of it is left (the random-weight model writes other words).
"""

from __future__ import annotations

import io
import re

import docx
import lxml.html
import srt
import webvtt

from testkit.documents import GERMAN_WORDS, HTML, MARKDOWN, SRT, TEXT, VTT, pdf_bytes


def assert_no_german(texts: list[str]) -> None:
    """No fixture word survives in the translated texts."""
    joined = " ".join(texts).casefold()
    assert [word for word in GERMAN_WORDS if word.casefold() in joined] == []


def tags_and_attributes(root) -> list[tuple[str, dict[str, str]]]:
    ignored = {"alt", "title", "charset"}
    return [
        (element.tag, {k: v for k, v in element.attrib.items() if k not in ignored})
        for element in root.iter()
        if isinstance(element.tag, str)
    ]


async def test_html_keeps_every_tag_and_attribute(translate_doc) -> None:
    """Same elements and attributes; prose, title and alt text translated; code and script not."""
    translated = (await translate_doc("seite.html", HTML.encode())).decode()
    assert translated.startswith("<!DOCTYPE html>")
    before, after = lxml.html.fromstring(HTML), lxml.html.fromstring(translated)
    assert tags_and_attributes(after) == tags_and_attributes(before)
    assert after.find(".//meta").get("charset") == "utf-8"
    assert after.find(".//pre").text == "Code bleibt Code"
    assert after.find(".//script").text == "var Größe = 1;"
    assert after.find(".//td[2]").text == "42"
    bold, italic = after.find(".//b"), after.find(".//i")
    assert bold.text.strip()
    assert italic.text.strip()
    prose = [after.find(".//title").text, after.find(".//img").get("alt")] + [
        element.text_content() for element in after.iter("h1", "p", "li", "td")
    ]
    assert all(text.strip() for text in prose)
    assert_no_german(prose)


async def test_markdown_keeps_its_syntax(translate_doc) -> None:
    """Front matter, code, link targets, emphasis, list and table markers come back as they were."""
    translated = (await translate_doc("notiz.md", MARKDOWN.encode())).decode()
    lines, original = translated.splitlines(), MARKDOWN.splitlines()
    assert len(lines) == len(original)
    assert lines[:3] == original[:3]
    assert translated.endswith("```\nCode bleibt Code\n```\n")
    assert lines[3].startswith("# ")
    assert "](https://example.org/Zwiebelsuppe)" in translated
    assert "`code_bleibt`" in translated
    assert re.match(r"^- \S", lines[8])
    assert re.match(r"^  - \S", lines[9])
    assert translated.count("**") == 2
    assert [line.count("|") for line in lines[11:14]] == [3, 3, 3]
    assert lines[12] == "|---|---|"
    prose = translated.split("```")[0].split("---\n", 2)[2]
    prose = re.sub(r"\]\([^)]*\)|`[^`]*`", "", prose)
    assert_no_german([prose])


async def test_plain_text_keeps_lines_and_paragraphs(translate_doc) -> None:
    """Blank lines and the bullet stay; every line is translated."""
    translated = (await translate_doc("brief.txt", TEXT.encode())).decode()
    lines = translated.split("\n")
    assert [line == "" for line in lines] == [line == "" for line in TEXT.split("\n")]
    assert lines[3].startswith("- ")
    assert_no_german([translated])


async def test_srt_keeps_numbers_timings_lines_and_tags(translate_doc) -> None:
    """Cue numbers, timings, the number of lines per cue and the italics are unchanged."""
    translated = (await translate_doc("film.srt", SRT.encode())).decode()
    before, after = list(srt.parse(SRT)), list(srt.parse(translated))
    assert [(c.index, c.start, c.end) for c in after] == [(c.index, c.start, c.end) for c in before]
    assert [c.content.count("\n") for c in after] == [c.content.count("\n") for c in before]
    assert after[0].content.count("<i>") == after[0].content.count("</i>") == 1
    assert all(re.sub(r"<[^>]+>", "", c.content).strip() for c in after)
    assert_no_german([c.content for c in after])


async def test_vtt_keeps_identifiers_timings_settings_and_notes(translate_doc) -> None:
    """Identifiers, timings, cue settings and NOTE blocks are unchanged."""
    translated = (await translate_doc("film.vtt", VTT.encode())).decode()
    before, after = webvtt.from_string(VTT), webvtt.from_string(translated)
    key = [(c.identifier, c.start, c.end) for c in before.captions]
    assert [(c.identifier, c.start, c.end) for c in after.captions] == key
    assert "NOTE Kommentar bleibt" in translated
    assert "00:00:01.000 --> 00:00:03.500 align:start" in translated
    assert all(c.text.strip() for c in after.captions)
    assert_no_german([c.text for c in after.captions])


async def test_pdf_comes_back_as_word_with_a_layout_note(translate_doc) -> None:
    """The text layer of each page, translated, in a .docx that says the layout is not kept."""
    translated = await translate_doc("scan.pdf", pdf_bytes())
    document = docx.Document(io.BytesIO(translated))
    texts = [p.text for p in document.paragraphs]
    assert texts[0].startswith("Translated from the text layer of a PDF file")
    assert document.paragraphs[0].runs[0].italic
    assert len(texts) == 3
    assert all(text.strip() for text in texts)
    assert document.paragraphs[1]._p.xml.count('w:type="page"') == 1
    assert_no_german(texts[1:])


async def test_markdown_reference_links_keep_labels_and_targets(translate_doc) -> None:
    """A reference link's label and its definition line are not prose."""
    source = "Siehe [die schöne Seite][quelle] hier.\n\n[quelle]: https://example.org/Straße\n"
    translated = (await translate_doc("links.md", source.encode())).decode()
    assert "][quelle]" in translated
    assert translated.endswith("\n\n[quelle]: https://example.org/Straße\n")
    assert "schöne" not in translated


async def test_html_with_an_xml_declaration_is_read_as_utf8(translate_doc) -> None:
    """An XHTML page saved as .html (XML declaration naming Latin-1) is still read as UTF-8."""
    page = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><p>Die Größe.</p></body></html>'
    )
    translated = (await translate_doc("seite.html", page.encode())).decode()
    paragraph = lxml.html.fromstring(translated).find(".//p").text
    assert paragraph.strip()
    assert "Größe" not in paragraph
