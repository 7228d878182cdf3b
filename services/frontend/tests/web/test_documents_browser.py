"""The documents page in a real Chromium: upload, progress, cancel, download; and without script."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from playwright.sync_api import expect

from testkit.documents import docx_bytes

pytestmark = pytest.mark.browser

# Records every text the progress line shows (several lines of one chunk change it in one task).
RECORD_COUNTS = """() => {
  window.counts = [];
  const count = document.getElementById("document-count");
  new MutationObserver(() => window.counts.push(count.textContent))
    .observe(count, {childList: true, characterData: true, subtree: true});
}"""


def long_text(paragraphs: int) -> str:
    return "\n\n".join(
        f"Der Absatz Nummer {n} beschreibt die Lage im Bezirk {n % 17}. Er ist wichtig."
        for n in range(paragraphs)
    )


def test_upload_shows_progress_then_downloads_the_translation(
    page, frontend_url: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    """Choose a .docx, translate: the progress line counts, the link downloads a translated file."""
    source = tmp_path / "bericht.docx"
    source.write_bytes(docx_bytes())
    page.goto(frontend_url + "/documents")
    page.evaluate(RECORD_COUNTS)
    page.set_input_files("#document-file", str(source))
    page.click("#document-button")
    expect(page.locator("#document-link")).to_be_visible(timeout=120_000)
    counts = page.evaluate("window.counts")
    assert any(" of " in text and "paragraphs and cells" in text for text in counts)
    full = page.evaluate(
        "(() => { const b = document.getElementById('document-bar'); return [b.value, b.max]; })()"
    )
    assert full[0] == full[1] > 1
    page.screenshot(path=str(screenshot_dir / "documents-done.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#document-link")
    data = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == "bericht.docx"
    assert "Überschrift" not in docx.Document(io.BytesIO(data)).paragraphs[0].text


def test_a_file_over_the_limit_is_refused_before_anything_is_sent(
    page, frontend_url: str, tmp_path: Path
) -> None:
    """The script compares the size with MAX_FILE_BYTES (25 MiB) and says so; no upload starts."""
    source = tmp_path / "gross.txt"
    with source.open("wb") as handle:
        handle.truncate(26 * 2**20)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else 0)
    page.goto(frontend_url + "/documents")
    page.set_input_files("#document-file", str(source))
    page.click("#document-button")
    expect(page.locator("#document-message")).to_contain_text(
        "The file is larger than 25 MiB (MAX_FILE_BYTES)."
    )
    expect(page.locator("#document-button")).to_be_enabled()
    assert posts == []


def test_cancel_stops_the_upload_and_says_so(page, frontend_url: str, tmp_path: Path) -> None:
    """A long text file: cancel after the first progress, no download link appears."""
    source = tmp_path / "lang.txt"
    source.write_text(long_text(1500), encoding="utf-8")
    page.goto(frontend_url + "/documents")
    page.set_input_files("#document-file", str(source))
    page.click("#document-button")
    expect(page.locator("#document-count")).to_contain_text(" of 1500 ", timeout=120_000)
    page.click("#document-cancel")
    expect(page.locator("#document-message")).to_have_text("Cancelled.")
    expect(page.locator("#document-done")).to_be_hidden()
    expect(page.locator("#document-button")).to_be_enabled()


def test_without_javascript_the_form_posts_and_links_the_download(
    chromium, frontend_url: str, tmp_path: Path
) -> None:
    """The plain file input works with scripts off: the answer is the page with the link."""
    source = tmp_path / "notiz.docx"
    source.write_bytes(docx_bytes())
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(frontend_url + "/documents")
        page.set_input_files("#document-file", str(source))
        page.click("#document-button")
        expect(page.locator("#download-link")).to_be_visible(timeout=120_000)
        expect(page.locator("h1")).to_have_text("notiz.docx")
    finally:
        context.close()
