"""Browser through Traefik: Chromium translates a multi-paragraph text on the published port,
finds it in the history, and uses the SQL console behind the admin login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack

pytestmark = [*SWARM_MARKS, pytest.mark.browser]

PARAGRAPHS = [
    "Der Zug nach Hamburg fährt um acht Uhr ab. Wir sollten pünktlich am Bahnhof sein.",
    "Im Speisewagen gibt es Kaffee und belegte Brötchen. Die Preise sind leider hoch.",
    "Nach der Ankunft besuchen wir den Hafen. Am Abend essen wir Fisch am Wasser.",
]
STREAM_TIMEOUT_MS = 60_000


@pytest.fixture
def admin_page(chromium, admin_credentials: tuple[str, str]) -> Iterator[object]:
    """A page whose browser context answers the admin login (basic auth) when asked."""
    user, password = admin_credentials
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        http_credentials={"username": user, "password": password},
    )
    yield context.new_page()
    context.close()


def test_browser_translation_streams_with_paragraphs_and_appears_in_history(
    deployed: Stack, admin_page, screenshot_dir: Path
) -> None:
    """Translate three paragraphs in Chromium; the result keeps them and is listed in history."""
    page = admin_page
    response = page.goto(deployed.base_url + "/")
    assert response is not None, "no response for /"
    assert response.status == 200, f"the translate page answered {response.status}"
    page.fill("#source-text", "\n\n".join(PARAGRAPHS))
    page.click("#translate-button")
    page.wait_for_selector("#status a", timeout=STREAM_TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "swarm-translate.png"), full_page=True)

    output = page.text_content("#translation-pane") or ""
    paragraphs = [part for part in output.split("\n\n") if part.strip()]
    assert len(paragraphs) == len(PARAGRAPHS), (
        f"expected {len(PARAGRAPHS)} paragraphs in the translation, got {len(paragraphs)}"
    )
    status = page.text_content("#status") or ""
    match = re.search(r"saved as #(\d+)", status)
    assert match, f"the page does not say where the translation was saved: {status!r}"

    page.goto(deployed.base_url + "/history")
    page.wait_for_selector("#history-list")
    page.screenshot(path=str(screenshot_dir / "swarm-history.png"), full_page=True)
    links = page.locator("#history-list a").all_text_contents()
    assert f"#{match.group(1)}" in links, f"translation #{match.group(1)} not in history: {links}"


def test_browser_sql_console_asks_for_credentials(deployed: Stack, page) -> None:
    """Without the admin login, /query challenges the browser for basic-auth credentials."""
    url = deployed.base_url + "/query"
    # Headless Chromium with no credentials to offer ends the navigation with this error.
    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        page.goto(url)
    response = page.request.get(url)
    assert response.status == 401, f"/query without credentials answered {response.status}"
    challenge = response.headers.get("www-authenticate", "")
    assert challenge.lower().startswith("basic"), f"no basic-auth challenge: {challenge!r}"


def run_sql(page, sql: str) -> None:
    """Type a statement into the console and run it."""
    page.fill("#sql", sql)
    page.click("#run-button")
    page.wait_for_load_state("domcontentloaded")


def test_browser_sql_console_answers_select_and_refuses_drop(
    deployed: Stack, admin_page, screenshot_dir: Path
) -> None:
    """Logged in, the console answers a SELECT and refuses a DROP (the table stays)."""
    page = admin_page
    response = page.goto(deployed.base_url + "/query")
    assert response is not None, "no response for /query"
    assert response.status == 200, f"/query with credentials answered {response.status}"
    run_sql(page, "SELECT COUNT(*) AS saved FROM translations")
    page.wait_for_selector("#query-result")
    count = int((page.text_content("#query-result tbody td") or "").strip())
    page.screenshot(path=str(screenshot_dir / "swarm-query.png"), full_page=True)
    assert count >= 1, "the console counts no saved translation"

    run_sql(page, "DROP TABLE translations")
    error = page.text_content("#query-error") or ""
    page.screenshot(path=str(screenshot_dir / "swarm-query-drop.png"), full_page=True)
    assert "refused" in error.lower(), f"DROP was not refused: {error!r}"

    run_sql(page, "SELECT COUNT(*) AS saved FROM translations")
    page.wait_for_selector("#query-result")
    after = int((page.text_content("#query-result tbody td") or "").strip())
    assert after >= count, "the translations table lost rows after the refused DROP"
