"""Pytest fixtures shared by every test folder: the tiny model, a real backend, a real browser."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.models import summary_model_dir, tiny_model_dir
from testkit.servers import REPO_ROOT, free_port, python_module, tiny_backend_env

TEST_OUTPUT = Path(os.environ.get("TEST_OUTPUT", REPO_ROOT / "test-output"))
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    """Return the folder for logs, screenshots and reports (TEST_OUTPUT, default ./test-output)."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture(scope="session")
def screenshot_dir(test_output_dir: Path) -> Path:
    """Return the folder browser tests save their screenshots in."""
    path = test_output_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def temporary_files_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return a list that grows by one for each tempfile.TemporaryFile opened during the test.

    Form parsers spool large uploads to disk through it (Starlette past 1 MiB; Werkzeug's
    SpooledTemporaryFile when it rolls over), which the services promise never to do.
    """
    opened: list[str] = []
    original = tempfile.TemporaryFile

    def recording(*args: object, **kwargs: object) -> object:
        opened.append("temporary file")
        return original(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    return opened


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    """Return the directory of the tiny random Marian checkpoint, building it when missing."""
    return tiny_model_dir()


@pytest.fixture(scope="session")
def backend_url(
    tiny_model: Path, test_output_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run the real backend (CTranslate2, tiny model) on a free port; yield its URL once ready."""
    env = tiny_backend_env(tiny_model, tmp_path_factory.mktemp("model-cache"))
    with python_module(
        "backend",
        port=free_port(),
        ready_path="/readyz",
        log_path=test_output_dir / "logs" / "backend.log",
        env=env,
    ) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def summary_model() -> Path:
    """Return the directory of the random T5 summary checkpoint, building it when missing."""
    return summary_model_dir()


@pytest.fixture(scope="session")
def summary_backend_url(
    tiny_model: Path,
    summary_model: Path,
    test_output_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Run the real backend with the tiny model and the random summary model (SUMMARY_MODEL)."""
    cache_dir = tmp_path_factory.mktemp("summary-model-cache")
    env = tiny_backend_env(tiny_model, cache_dir, {"SUMMARY_MODEL": str(summary_model)})
    with python_module(
        "backend",
        port=free_port(),
        ready_path="/readyz",
        log_path=test_output_dir / "logs" / "backend-summary.log",
        env=env,
    ) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Launch Debian's Chromium through Playwright for one test module (sync API: sync tests only).

    Module scope, not session: while Playwright's sync API is open it keeps an event loop running in
    this thread, and pytest-asyncio could not start the loop of any async test that ran meanwhile.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_credentials() -> tuple[str, str] | None:
    """Return the HTTP Basic login `page` answers a challenge with (a module may override it)."""
    return None


@pytest.fixture
def page(chromium: object, browser_credentials: tuple[str, str] | None) -> Iterator[object]:
    """Open a fresh browser context and page; closed after the test."""
    options: dict[str, object] = {"viewport": {"width": 1280, "height": 900}}
    if browser_credentials is not None:
        user, password = browser_credentials
        options["http_credentials"] = {"username": user, "password": password}
    context = chromium.new_context(**options)
    page = context.new_page()
    yield page
    context.close()
