"""The browser flow through Traefik on a manager while the backends run on the GPU workers."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.cluster.marks import CLUSTER_MARKS
from tests.cluster.summary import ClusterSummary
from tests.cluster.tasks import START_STABLE_S, stable_tasks
from tests.swarm.stack import Stack

pytestmark = [*CLUSTER_MARKS, pytest.mark.browser]

PARAGRAPHS = [
    "Der Zug nach Hamburg fährt um acht Uhr ab. Wir sollten pünktlich am Bahnhof sein.",
    "Nach der Ankunft besuchen wir den Hafen. Am Abend essen wir Fisch am Wasser.",
]
STREAM_TIMEOUT_MS = 60_000


@pytest.fixture
def browser_page(chromium) -> Iterator[object]:
    """A fresh browser page (its own cookies)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_browser_translates_through_a_manager_with_backends_on_other_nodes(
    deployed: Stack, entrypoints: dict[str, str], browser_page, cluster_summary: ClusterSummary
) -> None:
    """Chromium on node1's Traefik translates two paragraphs and saves them; no backend on node1."""
    with cluster_summary.check("browser flow through Traefik on a manager") as figures:
        backends = stable_tasks(deployed.service("backend"), 2, stable_s=START_STABLE_S)
        backend_nodes = sorted({task.node for task in backends})
        assert "node1" not in backend_nodes, f"a backend runs on node1 itself: {backend_nodes}"
        page = browser_page
        started = time.monotonic()
        response = page.goto(entrypoints["node1"] + "/")
        assert response is not None, "no response for /"
        assert response.status == 200, f"the translate page answered {response.status}"
        page.wait_for_load_state("load")
        assert page.locator("#source-text").count() == 1, f"no text box in {page.content()[:800]}"
        page.fill("#source-text", "\n\n".join(PARAGRAPHS))
        page.click("#translate-button")
        page.wait_for_selector("#status a", timeout=STREAM_TIMEOUT_MS)
        output = page.text_content("#translation-pane") or ""
        paragraphs = [part for part in output.split("\n\n") if part.strip()]
        assert len(paragraphs) == len(PARAGRAPHS), f"got {len(paragraphs)} paragraphs: {output!r}"
        status = page.text_content("#status") or ""
        assert re.search(r"saved as #(\d+)", status), f"not saved: {status!r}"
        figures.append(
            f"page → translated and saved in {time.monotonic() - started:.1f}s via node1, "
            f"backends on {backend_nodes}"
        )
