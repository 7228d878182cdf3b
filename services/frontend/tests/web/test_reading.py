"""Reading a long translation in Chromium: side by side, sentence-aligned, keyboard, dark, axe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}
DOCUMENT = (
    "Jahresbericht\n\n"
    "Der Bericht beschreibt das neue Projekt. Es hat drei Teile. Jeder Teil ist wichtig.\n\n"
    "Die Kosten:\n"
    "- Das Material ist teurer geworden.\n"
    "- Die Löhne sind gestiegen. Wir prüfen das genau.\n"
    "  2. Eingerückt und nummeriert.  \n"
    "---\n\n\n"
    "Der letzte Absatz fasst alles zusammen. Danke für Ihre Aufmerksamkeit."
)
LONG = "\n\n".join(
    f"Absatz {n}. Dies ist ein langer Satz über das Projekt und seine Kosten. Er hat ein Ende."
    for n in range(12)
)
# Each line of each pane: its top, its segments and its text, to compare layouts and panes.
LINES = """(pane) => [...document.querySelectorAll(pane + ' > .line')].map((line) => ({
  top: Math.round(line.getBoundingClientRect().top),
  segments: [...line.querySelectorAll('[data-segment]')].map((s) => Number(s.dataset.segment)),
  text: line.textContent,
}))"""
MARKED = """() => [...document.querySelectorAll('[aria-current="true"]')]
  .map((s) => s.closest('.pane').id + ':' + s.dataset.segment).sort()"""


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not rendered"
    return found


#: The operator in every test app's users file (conftest.py's OPERATOR): history is theirs.
OPERATOR = {"username": "operator", "password": "correct horse battery staple"}


@pytest.fixture
def page(chromium):
    """A fresh page that signs in as the operator when a page asks (basic auth)."""
    context, page = open_page(chromium, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


def open_page(chromium, **options):
    context = chromium.new_context(http_credentials=OPERATOR, **options)
    return context, context.new_page()


def translate(page, frontend_url: str, text: str) -> list[dict]:
    """Translate `text` through the page; return the segment lines the stream gives for it."""
    page.goto(frontend_url + "/")
    return translate_here(page, text)


def translate_here(page, text: str) -> list[dict]:
    page.fill("#source-text", text)
    page.click("#translate-button")
    page.wait_for_selector("#status a", timeout=60_000)
    return stream_lines(page, text)


def stream_lines(page, text: str) -> list[dict]:
    """Ask the page's stream API again (same session; the backend's cache answers at once)."""
    # The browser keeps no copy of a body its script read as a stream, so it cannot be read back.
    response = page.request.post(
        urljoin(page.url, "/api/translate/stream"),
        data=json.dumps({"text": text}),
        headers={
            "Content-Type": "application/json",
            "X-CSRF-Token": page.input_value("input[name=csrf_token]"),
        },
    )
    items = [json.loads(line) for line in response.text().splitlines() if line]
    return [item for item in items if "index" in item]


def serious_violations(page, axe_script: str) -> list[str]:
    """Run axe-core in the page; return its serious and critical findings, one line each."""
    # evaluate() goes through the DevTools protocol, which the page's CSP does not govern.
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(axe_script)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_wide_screens_show_the_panes_side_by_side_line_beside_line(
    chromium, frontend_url: str, screenshot_dir: Path
) -> None:
    context, page = open_page(chromium, viewport=WIDE)
    try:
        translate(page, frontend_url, DOCUMENT)
        page.screenshot(path=screenshot_dir / "reading-wide.png", full_page=True)
        source, translation = box(page, "#source-pane .seg"), box(page, "#translation-pane .seg")
        assert abs(source["y"] - translation["y"]) < 2
        assert translation["x"] >= source["x"] + source["width"]
        source_lines = page.evaluate(LINES, "#source-pane")
        translation_lines = page.evaluate(LINES, "#translation-pane")
        assert len(source_lines) == DOCUMENT.count("\n") + 1
        assert [line["top"] for line in source_lines] == [line["top"] for line in translation_lines]
        assert [line["segments"] for line in source_lines] == [
            line["segments"] for line in translation_lines
        ]
        # Blank lines stay blank on both sides, where they were.
        blank = [n for n, line in enumerate(DOCUMENT.split("\n")) if not line]
        assert [n for n, line in enumerate(source_lines) if line["text"] == "\n"] == blank
        assert [n for n, line in enumerate(translation_lines) if line["text"] == "\n"] == blank
    finally:
        context.close()


def test_narrow_screens_stack_the_panes(chromium, frontend_url: str, screenshot_dir: Path) -> None:
    context, page = open_page(chromium, viewport=NARROW)
    try:
        translate(page, frontend_url, DOCUMENT)
        page.screenshot(path=screenshot_dir / "reading-narrow.png", full_page=True)
        source, translation = box(page, "#source-pane"), box(page, "#translation-pane")
        assert translation["y"] >= source["y"] + source["height"]
        assert abs(source["x"] - translation["x"]) < 2
        assert source["x"] + source["width"] <= NARROW["width"]
        assert abs(source["width"] - translation["width"]) < 2
    finally:
        context.close()


def test_every_streamed_segment_is_one_element_in_each_pane(page, frontend_url: str) -> None:
    segments = translate(page, frontend_url, DOCUMENT)
    expected = [str(item["index"]) for item in segments]
    for pane in ("#source-pane", "#translation-pane"):
        found = page.eval_on_selector_all(
            pane + " [data-segment]", "(all) => all.map((s) => s.dataset.segment)"
        )
        assert found == expected
    assert page.text_content("#source-pane") == DOCUMENT
    assert page.text_content("#translation-pane") == "".join(item["text"] for item in segments)
    for item in segments[:3]:
        selector = f'#source-pane [data-segment="{item["index"]}"]'
        assert item["source"].strip() == page.text_content(selector).strip()


def test_hovering_a_segment_marks_it_and_its_pair(page, frontend_url: str) -> None:
    translate(page, frontend_url, DOCUMENT)
    page.hover('#source-pane [data-segment="2"]')
    assert page.evaluate(MARKED) == ["source-pane:2", "translation-pane:2"]
    page.hover('#translation-pane [data-segment="4"]')
    assert page.evaluate(MARKED) == ["source-pane:4", "translation-pane:4"]


def test_keyboard_focus_marks_the_pair_and_moves_by_arrow_and_tab(page, frontend_url: str) -> None:
    translate(page, frontend_url, DOCUMENT)
    page.focus('#source-pane [data-segment="0"]')
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.closest('.pane').id") == "source-pane"
    assert page.evaluate("() => document.activeElement.dataset.segment") == "2"
    assert page.evaluate(MARKED) == ["source-pane:2", "translation-pane:2"]
    # One tab stop per pane: Tab goes on to the same sentence in the translation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.pane').id") == "translation-pane"
    assert page.evaluate("() => document.activeElement.dataset.segment") == "2"
    page.keyboard.press("End")
    last = str(page.locator("#translation-pane [data-segment]").count() - 1)
    assert page.evaluate(MARKED) == [f"source-pane:{last}", f"translation-pane:{last}"]


def test_the_panes_scroll_together_when_wide(chromium, frontend_url: str) -> None:
    context, page = open_page(chromium, viewport=WIDE)
    try:
        translate(page, frontend_url, LONG)
        before = page.evaluate(LINES, "#source-pane")[5]["top"]
        before_translation = page.evaluate(LINES, "#translation-pane")[5]["top"]
        page.eval_on_selector("#panes", "(panes) => { panes.scrollTop = 400; }")
        after = page.evaluate(LINES, "#source-pane")[5]["top"]
        after_translation = page.evaluate(LINES, "#translation-pane")[5]["top"]
        assert before - after == before_translation - after_translation > 0
    finally:
        context.close()


def test_stacked_panes_follow_each_other(chromium, frontend_url: str) -> None:
    """Narrow: scrolling one pane, or focusing a sentence out of view, brings its pair in view."""
    context, page = open_page(chromium, viewport=NARROW)
    try:
        translate(page, frontend_url, LONG)
        page.eval_on_selector("#translation-pane", "(pane) => { pane.scrollTop = 2000; }")
        expect(page.locator("#source-pane")).not_to_have_js_property("scrollTop", 0)
        page.eval_on_selector("#source-pane", "(pane) => { pane.scrollTop = 0; }")
        page.eval_on_selector("#translation-pane", "(pane) => { pane.scrollTop = 0; }")
        last = page.locator("#source-pane [data-segment]").count() - 1
        page.focus(f'#source-pane [data-segment="{last}"]')
        # The pair is brought in view on the next frame; wait (bounded) for it.
        page.wait_for_function(
            """(n) => {
              const pane = document.getElementById('translation-pane').getBoundingClientRect();
              const pair = document.querySelector('#translation-pane [data-segment="' + n + '"]')
                .getBoundingClientRect();
              return pane.top <= pair.top && pair.bottom <= pane.bottom; }""",
            arg=last,
            timeout=5_000,
        )
    finally:
        context.close()


def test_one_sentence_can_be_copied_alone(chromium, frontend_url: str) -> None:
    context, page = open_page(
        chromium, viewport=WIDE, permissions=["clipboard-read", "clipboard-write"]
    )
    try:
        translate(page, frontend_url, DOCUMENT)
        page.hover('#translation-pane [data-segment="3"]')
        page.click("#copy-segment-button")
        expect(page.locator("#copy-segment-button")).to_have_text("Copied")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == page.text_content('#translation-pane [data-segment="3"]')
        assert copied
        assert copied != page.text_content("#translation-pane")
    finally:
        context.close()


def test_ctrl_enter_translates_and_escape_cancels(page, frontend_url: str) -> None:
    page.goto(frontend_url + "/")
    page.fill("#source-text", "Ein Satz für die Tastatur.")
    page.press("#source-text", "Control+Enter")
    page.wait_for_selector("#status a", timeout=60_000)
    assert page.locator("#translation-pane [data-segment]").count() == 1
    page.fill("#source-text", " ".join(f"Satz Nummer {n} eines langen Textes." for n in range(400)))
    page.press("#source-text", "Control+Enter")
    page.wait_for_function("() => Number(document.getElementById('progress').value) >= 1")
    page.keyboard.press("Escape")
    expect(page.locator("#message")).to_contain_text("Cancelled")
    assert page.is_enabled("#translate-button")
    assert page.text_content("#announcer") == ""


def test_progress_is_announced_by_quarters_not_per_segment(page, frontend_url: str) -> None:
    page.goto(frontend_url + "/")
    page.eval_on_selector(
        "#announcer",
        """(region) => { window.announced = [];
          new MutationObserver(() => window.announced.push(region.textContent))
            .observe(region, {childList: true, characterData: true, subtree: true}); }""",
    )
    segments = translate_here(page, LONG)
    announced = page.evaluate("window.announced")
    assert page.get_attribute("#announcer", "aria-live") == "polite"
    assert announced[0] == "Translating…"
    assert announced[-1] == f"Translation complete: {len(segments)} segments."
    assert len(announced) <= 5 < len(segments)


def stub_stream(page, *items: dict) -> None:
    """Answer the page's stream request with these NDJSON lines (a backend of another kind)."""
    body = "".join(json.dumps(item) + "\n" for item in items)
    page.route(
        "**/api/translate/stream",
        lambda route: route.fulfill(status=200, content_type="application/x-ndjson", body=body),
    )


UNSAVED = {"done": True, "segments": 2, "duration_ms": 1, "id": None, "saved": False,
           "status": "not saved", "ticket": None, "save_error": None}  # fmt: skip


def test_a_total_that_comes_late_still_fills_both_panes(page, frontend_url: str) -> None:
    page.goto(frontend_url + "/")
    stub_stream(
        page,
        {"index": 0, "total": None, "text": "One.", "source": "Eins."},
        {"index": 1, "text": " Two.\n", "source": " Zwei.\n"},
        UNSAVED,
    )
    page.fill("#source-text", "Eins. Zwei.\n")
    page.click("#translate-button")
    expect(page.locator("#status")).to_have_text("not saved")
    assert page.text_content("#translation-pane") == "One. Two.\n"
    assert page.locator("#source-pane [data-segment]").all_text_contents() == ["Eins.", "Zwei."]
    assert page.get_attribute("#progress", "value") == page.get_attribute("#progress", "max")


def test_segments_without_their_source_leave_the_source_whole(page, frontend_url: str) -> None:
    """A backend that sends no per-segment source: the translation streams, the source stays."""
    page.goto(frontend_url + "/")
    stub_stream(
        page,
        {"index": 0, "total": 2, "text": "One. "},
        {"index": 1, "total": 2, "text": "Two."},
        UNSAVED,
    )
    page.fill("#source-text", "Eins. Zwei.")
    page.click("#translate-button")
    expect(page.locator("#status")).to_have_text("not saved")
    assert page.text_content("#source-pane") == "Eins. Zwei."
    assert page.locator("#source-pane [data-segment]").count() == 0
    assert page.locator("#translation-pane [data-segment]").all_text_contents() == ["One. ", "Two."]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_colour_scheme_follows_the_system(
    chromium, frontend_url: str, screenshot_dir: Path, scheme: str
) -> None:
    context, page = open_page(chromium, viewport=WIDE, color_scheme=scheme)
    csp_errors: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
    try:
        translate(page, frontend_url, DOCUMENT)
        page.hover('#source-pane [data-segment="1"]')
        page.screenshot(path=screenshot_dir / f"reading-{scheme}.png", full_page=True)
        luminance = page.evaluate(
            """() => [document.documentElement, document.querySelector('.card')].map((element) => {
              const colour = getComputedStyle(element).backgroundColor;
              const [r, g, b] = colour.match(/\\d+/g).map(Number);
              return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; })"""
        )
        assert (
            all(value < 0.2 for value in luminance)
            if scheme == "dark"
            else all(value > 0.8 for value in luminance)
        )
        # Dark from the first paint: the canvas takes the scheme before any stylesheet applies.
        assert page.get_attribute('meta[name="color-scheme"]', "content") == "light dark"
        html = page.request.get(frontend_url + "/").text()
        assert " style=" not in html
        assert re.findall(r"<script[^>]*>", html) == [
            f'<script src="/static/{name}" defer>'
            for name in ("panes.js", "translate.js", "articles.js")
        ]
        assert csp_errors == []
    finally:
        context.close()


def test_without_javascript_the_form_renders_the_same_panes(
    chromium, frontend_url: str, screenshot_dir: Path
) -> None:
    context, page = open_page(chromium, viewport=WIDE)
    static_context, static_page = open_page(chromium, viewport=WIDE, java_script_enabled=False)
    try:
        translate(page, frontend_url, DOCUMENT)
        static_page.goto(frontend_url + "/")
        static_page.fill("#source-text", DOCUMENT)
        static_page.click("#translate-button")
        static_page.wait_for_selector("#status a")
        static_page.screenshot(path=screenshot_dir / "reading-without-javascript.png")
        for pane in ("#source-pane", "#translation-pane"):
            assert static_page.evaluate(LINES, pane) == page.evaluate(LINES, pane)
    finally:
        static_context.close()
        context.close()


def test_a_history_item_shows_the_same_aligned_panes(page, frontend_url: str) -> None:
    translate(page, frontend_url, DOCUMENT)
    live = {pane: page.evaluate(LINES, pane) for pane in ("#source-pane", "#translation-pane")}
    page.click("#status a")
    page.wait_for_url("**/history/*")
    for pane, lines in live.items():
        stored = page.evaluate(LINES, pane)
        assert [(line["segments"], line["text"]) for line in stored] == [
            (line["segments"], line["text"]) for line in lines
        ]
    page.hover('#translation-pane [data-segment="1"]')
    assert page.evaluate(MARKED) == ["source-pane:1", "translation-pane:1"]


def test_axe_finds_what_it_is_meant_to_find(page, frontend_url: str, axe_script: str) -> None:
    """The check itself: a nameless button and grey-on-white text are reported."""
    page.goto(frontend_url + "/history")
    page.evaluate(
        """() => { const b = document.createElement('button'); document.body.append(b);
          const p = document.createElement('p'); p.textContent = 'faint';
          p.style.color = '#ddd'; p.style.background = '#fff'; document.body.append(p); }"""
    )
    found = " ".join(serious_violations(page, axe_script))
    assert "button-name" in found
    assert "color-contrast" in found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation(
    chromium, frontend_url: str, axe_script: str, scheme: str
) -> None:
    """Every page, both themes: translate (empty, translated, refused), history, console, errors."""
    context, page = open_page(chromium, viewport=WIDE, color_scheme=scheme)
    found: dict[str, list[str]] = {}
    try:
        translate(page, frontend_url, DOCUMENT)
        page.hover('#source-pane [data-segment="1"]')
        found["translated"] = serious_violations(page, axe_script)
        item = page.get_attribute("#status a", "href")
        page.fill("#source-text", " ")
        page.click("#translate-button")
        found["refused"] = serious_violations(page, axe_script)
        page.goto(frontend_url + "/query")
        page.click("#run-button")
        page.wait_for_selector("#query-result")
        found["console result"] = serious_violations(page, axe_script)
        page.fill("#sql", "DROP TABLE translations")
        page.click("#run-button")
        found["console refused"] = serious_violations(page, axe_script)
        # Every page the top bar links to (a login page too, once there is one), and these.
        paths = {"/", "/history", "/history?q=nirgends", item, "/query", "/no-such-page"}
        paths |= set(page.eval_on_selector_all("header a", "(all) => all.map((a) => a.pathname)"))
        for path in sorted(paths):
            page.goto(frontend_url + path)
            found[path] = serious_violations(page, axe_script)
    finally:
        context.close()
    assert {name: problems for name, problems in found.items() if problems} == {}
    assert len(found) >= 10
