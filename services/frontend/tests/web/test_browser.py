"""The pages in a real Chromium: streamed translation, history search, the SQL console."""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testkit.held_backend import held_backend
from testkit.servers import ServerProcess, free_port, python_env

pytestmark = pytest.mark.browser

PARAGRAPHS = [
    "Der Bericht beschreibt das neue Projekt. Es hat drei Teile. Jeder Teil ist wichtig. "
    "Der erste Teil behandelt die Planung. Der zweite Teil beschreibt den Bau.",
    "Im zweiten Absatz geht es um die Kosten. Sie sind gestiegen. Wir prüfen das genau. "
    "Die Preise für Material sind höher. Auch die Löhne sind gestiegen.",
    "Der letzte Absatz fasst alles zusammen. Danke für Ihre Aufmerksamkeit. "
    "Fragen beantworten wir gern. Die nächste Sitzung ist im Mai.",
]
# Records every value the progress bar takes (the value IDL attribute reflects to the content
# one); several lines of one network chunk change it within one task, hence the old values too.
RECORD_PROGRESS = """() => {
  window.progressValues = [];
  const bar = document.getElementById("progress");
  new MutationObserver((records) => {
    for (const record of records) window.progressValues.push(Number(record.oldValue));
    window.progressValues.push(Number(bar.getAttribute("value")));
  }).observe(bar, {attributes: true, attributeFilter: ["value"], attributeOldValue: true});
}"""


@pytest.fixture
def browser_credentials(operator_login: tuple[str, str]) -> tuple[str, str]:
    """Pages sign in as the operator when one asks (the history is the operator's)."""
    return operator_login


def csp_errors(page) -> list[str]:
    """Collect console messages about Content-Security-Policy violations."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors


def translate(page, frontend_url: str, text: str) -> None:
    page.goto(frontend_url + "/")
    page.fill("#source-text", text)
    page.click("#translate-button")
    page.wait_for_selector("#status a", timeout=60_000)


def test_translate_streams_with_progress_and_keeps_paragraphs(
    page, frontend_url: str, screenshot_dir: Path
) -> None:
    errors = csp_errors(page)
    text = "\n\n".join(PARAGRAPHS)
    page.goto(frontend_url + "/")
    page.fill("#source-text", text)
    # The counter updates on the next animation frame; expect() waits for it.
    expect(page.locator("#counts")).to_have_text(
        f"{len(text)} characters · {len(text.split())} words"
    )
    page.evaluate(RECORD_PROGRESS)
    page.click("#translate-button")
    page.wait_for_selector("#status a", timeout=60_000)
    values = page.evaluate("window.progressValues")
    maximum = float(page.get_attribute("#progress", "max"))
    output = page.text_content("#translation-pane")
    page.screenshot(path=screenshot_dir / "translate-streamed.png", full_page=True)
    steps = [v for v in values if v > 0]
    assert steps == sorted(steps), values
    assert any(0 < v < maximum for v in steps), values
    assert steps[-1] == maximum
    assert maximum >= len(PARAGRAPHS) * 4
    assert output.count("\n\n") == text.count("\n\n")
    assert len([p for p in output.split("\n\n") if p.strip()]) == len(PARAGRAPHS)
    assert page.input_value("#source-text") == text
    with page.expect_download() as download_info:
        page.click("#download-button")
    download = download_info.value
    assert download.suggested_filename == "translation.txt"
    assert Path(download.path()).read_text(encoding="utf-8") == output
    assert errors == []


def test_copy_puts_the_whole_translation_on_the_clipboard(
    chromium, operator_login, frontend_url: str
) -> None:
    """Copy writes the translation, paragraphs and all, to the clipboard and says so."""
    user, password = operator_login
    context = chromium.new_context(
        http_credentials={"username": user, "password": password},
        permissions=["clipboard-read", "clipboard-write"],
    )
    try:
        page = context.new_page()
        translate(page, frontend_url, "\n\n".join(PARAGRAPHS[:2]))
        shown = page.text_content("#translation-pane")
        page.click("#copy-button")
        expect(page.locator("#copy-button")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert shown.strip()
    assert copied == shown


def test_find_a_translation_in_history_by_search(
    page, frontend_url: str, screenshot_dir: Path
) -> None:
    translate(page, frontend_url, "Der Zitronenbaum blüht im Garten.\n\nEr ist alt.")
    saved_link = page.text_content("#status a")
    page.click("nav >> text=History")
    page.fill("input[name=q]", "Zitronenbaum")
    page.click(".search button")
    page.wait_for_url("**/history?q=Zitronenbaum")
    items = page.locator("#history-list li")
    assert items.count() == 1
    assert saved_link in items.first.text_content()
    page.screenshot(path=screenshot_dir / "history-search.png", full_page=True)
    items.first.locator("a").click()
    assert "Zitronenbaum" in page.text_content("#source-pane")
    assert page.is_visible("dl.metadata")


def test_console_select_shows_a_table(page, frontend_url: str, screenshot_dir: Path) -> None:
    errors = csp_errors(page)
    translate(page, frontend_url, "Ein kurzer Satz für die Konsole.")
    page.goto(frontend_url + "/query")
    page.click("#run-button")
    page.wait_for_selector("#query-result")
    headers = page.locator("#query-result th").all_text_contents()
    page.screenshot(path=screenshot_dir / "console-select.png", full_page=True)
    assert headers[:2] == ["id", "created_at"]
    assert page.locator("#query-result tbody tr").count() >= 1
    assert errors == []


def test_console_refuses_drop(page, frontend_url: str, screenshot_dir: Path) -> None:
    page.goto(frontend_url + "/query")
    page.fill("#sql", "DROP TABLE translations")
    page.click("#run-button")
    message = page.text_content("#query-error")
    page.screenshot(path=screenshot_dir / "console-drop-refused.png", full_page=True)
    assert message.startswith("Refused")
    page.fill("#sql", "SELECT COUNT(*) AS n FROM translations")
    page.click("#run-button")
    expect(page.locator("#query-result td")).to_have_text(re.compile(r"^\d+$"))


def test_cancel_stops_the_translation_and_keeps_the_text(
    page, frontend_url: str, screenshot_dir: Path
) -> None:
    text = " ".join(f"Dies ist der Satz Nummer {n} eines sehr langen Textes." for n in range(400))
    before = page.request.get(frontend_url + "/history").text()
    page.goto(frontend_url + "/")
    page.fill("#source-text", text)
    page.click("#translate-button")
    page.wait_for_function("() => Number(document.getElementById('progress').value) >= 1")
    page.click("#cancel-button")
    page.wait_for_selector("#message:not([hidden])")
    page.screenshot(path=screenshot_dir / "translate-cancelled.png", full_page=True)
    assert "Cancelled" in page.text_content("#message")
    assert page.input_value("#source-text") == text
    assert page.is_enabled("#translate-button")
    metrics = ""
    for _ in range(50):
        metrics = page.request.get(frontend_url + "/metrics").text()
        if 'translations_total{outcome="cancelled"}' in metrics:
            break
        page.wait_for_timeout(100)
    assert 'translation_frontend_translations_total{outcome="cancelled"} 1.0' in metrics
    after = page.request.get(frontend_url + "/history").text()
    assert re.search(r"(\d+) translations?", after).group(1) == re.search(
        r"(\d+) translations?", before
    ).group(1)


def test_cancel_in_the_browser_reaches_the_backend(
    chromium, operator_login, tmp_path: Path, test_output_dir: Path
) -> None:
    """Cancel aborts the page's request; the frontend closes its stream; the backend sees it."""
    user, password = operator_login
    with held_backend(segments=3) as backend:
        env = python_env(
            {
                "BACKEND_URL": backend.url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
                "ENVIRONMENT": "development",
            }
        )
        port = free_port()
        argv = [sys.executable, "-m", "frontend", "--host", "127.0.0.1", "--port", str(port)]
        log_path = test_output_dir / "logs" / "frontend-cancel.log"
        with ServerProcess(
            argv, ready_url=f"http://127.0.0.1:{port}/readyz", log_path=log_path, env=env
        ):
            context = chromium.new_context(
                http_credentials={"username": user, "password": password}
            )
            try:
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.fill("#source-text", "Ein Satz. Noch ein Satz. Und ein dritter.")
                page.click("#translate-button")
                assert backend.streaming.wait(30), "the backend never started streaming"
                page.wait_for_function(
                    "() => Number(document.getElementById('progress').value) >= 1"
                )
                page.click("#cancel-button")
                expect(page.locator("#message")).to_contain_text("Cancelled")
                deadline = time.monotonic() + 10
                while backend.disconnected == 0:
                    assert time.monotonic() < deadline, "the backend's stream was never closed"
                    time.sleep(0.05)
            finally:
                context.close()
    assert backend.requests == 1
    assert backend.disconnected == 1


def test_without_javascript_the_form_returns_the_translation(
    chromium, frontend_url: str, screenshot_dir: Path
) -> None:
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        page.goto(frontend_url + "/")
        text = "Ohne Skript geht es auch.\n\nZweiter Absatz."
        page.fill("#source-text", text)
        page.click("#translate-button")
        page.wait_for_selector("#status a")
        page.screenshot(path=screenshot_dir / "translate-without-javascript.png", full_page=True)
        assert page.input_value("#source-text") == text
        assert page.text_content("#translation-pane").count("\n\n") == 1
        assert page.get_attribute("#progress", "value") == "1"
    finally:
        context.close()


def test_a_translation_saved_late_shows_saved_without_a_reload(
    page, backend_url: str, start_browser_frontend, tmp_path: Path, test_output_dir: Path
) -> None:
    """While a writer holds the database the page says "not saved yet"; once it is free, the
    page's polling of /api/saves/<ticket> turns the status into the saved entry's link."""
    database = tmp_path / "translations.db"
    log_path = test_output_dir / "logs" / "frontend-save-later.log"
    with start_browser_frontend(backend_url, database, log_path) as server:
        # Another writer holds SQLite's write lock: the insert times out and the save is pending.
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            page.goto(server.base_url + "/")
            page.fill("#source-text", "Der Zug kommt später. Wir warten.")
            page.click("#translate-button")
            expect(page.locator("#status")).to_have_text("not saved yet", timeout=60_000)
            expect(page.locator("#status")).to_have_class(re.compile(r"\bpending\b"))
        finally:
            holder.rollback()
            holder.close()
        # No reload: the page asks every 5 s; the server's retry stores the row meanwhile.
        expect(page.locator("#status a")).to_have_text(re.compile(r"^#\d+$"), timeout=60_000)
    assert sqlite3.connect(database).execute("SELECT count(*) FROM translations").fetchone() == (1,)
