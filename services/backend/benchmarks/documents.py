"""Time a 200-page Word document through a real backend: seconds and sentences per second.

    python services/backend/benchmarks/documents.py [--model DIR] [--pages 200]

Builds (or reuses) the random opus-mt-shaped model of `make bench` (build/models/opus-mt), writes
a .docx of --pages pages (a heading and 12 distinct ~30-token sentences a page, one bold phrase
inside a sentence on each), starts `python -m backend` with the benchmark's settings and POSTs
the file to /v1/documents once. Reported: the whole request's seconds, the segments the
translator ran (X-Document-Segments: sentences, headings and the bold runs' own translations),
segments per second, and the seconds the codec alone needs (extract and rebuild, translation
replaced by an echo), so the document path's overhead over plain text can be read off. Prints a
table, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services" / "backend")]

from backend.documents import Limits, translate_document  # noqa: E402 (path set above)
from backend.tools import random_model  # noqa: E402

from benchmarks.workload import Workload  # noqa: E402
from testkit.servers import LOOPBACK, ServerProcess, free_port, python_env  # noqa: E402

MODEL_DIR = REPO_ROOT / "build" / "models" / "opus-mt"
CACHE_DIR = REPO_ROOT / "build" / "model-cache"
LOG = REPO_ROOT / "build" / "bench" / "backend-documents.log"
SENTENCES_PER_PAGE = 12
REQUEST_TIMEOUT_S = 1800.0
#: The settings of `make bench` (benchmarks/run.py), so the figures compare.
ENV = {
    "BEAM_SIZE": "4",
    "MAX_OUTPUT_RATIO": "1.0",
    "MAX_OUTPUT_EXTRA_TOKENS": "2",
    "MALLOC_ARENA_MAX": "2",
    "HF_HUB_OFFLINE": "1",
}


def build_docx(workload: Workload, pages: int) -> tuple[bytes, int]:
    """Return a .docx of `pages` pages and how many sentences it holds."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    sentences = 0
    for page in range(pages):
        document.add_heading(f"Kapitel {page + 1}: Bericht über die Lage", level=1)
        texts = workload.take(SENTENCES_PER_PAGE)
        sentences += len(texts) + 1
        for start in range(0, len(texts), 3):
            paragraph = document.add_paragraph()
            if start == 0:
                words = texts[0].split(" ")
                middle = len(words) // 2
                paragraph.add_run(" ".join(words[:middle]) + " ")
                paragraph.add_run(" ".join(words[middle : middle + 2])).bold = True
                paragraph.add_run(" " + " ".join([*words[middle + 2 :], *texts[1:3]]))
            else:
                paragraph.add_run(" ".join(texts[start : start + 3]))
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), sentences


def codec_seconds(data: bytes) -> float:
    """Return the seconds extract and rebuild take with translation replaced by an echo."""

    async def echo(text: str) -> str:
        return text

    started = time.perf_counter()
    asyncio.run(translate_document(data, "bench.docx", echo, Limits()))
    return time.perf_counter() - started


async def translate_once(client: httpx.AsyncClient, data: bytes, sentences: int) -> dict:
    """POST the document to /v1/documents once; return the request's figures."""
    started = time.perf_counter()
    response = await client.post(
        "/v1/documents", files={"file": ("bench.docx", data)}, timeout=REQUEST_TIMEOUT_S
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    segments = int(response.headers["x-document-segments"])
    return {
        "duration_s": round(elapsed, 2),
        "segments": segments,
        "blocks": int(response.headers["x-document-blocks"]),
        "segments_per_s": round(segments / elapsed, 2),
        "sentences_per_s": round(sentences / elapsed, 2),
    }


def measure(model: Path, pages: int) -> dict:
    """Build the document, start the backend, translate it once; return the figures."""
    workload = Workload(model / "source.spm")
    data, sentences = build_docx(workload, pages)
    results: dict = {"pages": pages, "file_bytes": len(data), "sentences": sentences}
    results["codec_s"] = round(codec_seconds(data), 2)
    env = {"MODEL": str(model), "MODEL_CACHE_DIR": str(CACHE_DIR), **ENV}
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    argv = [sys.executable, "-m", "backend", "--host", LOOPBACK, "--port", str(port)]

    async def once() -> dict:
        async with httpx.AsyncClient(base_url=url) as client:
            return await translate_once(client, data, sentences)

    with ServerProcess(argv, ready_url=f"{url}/readyz", log_path=LOG, env=python_env(env)):
        results |= asyncio.run(once())
    return results


def main() -> int:
    """Parse the options, measure, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help="model directory")
    parser.add_argument("--pages", type=int, default=200, help="pages of the document")
    options = parser.parse_args()
    if options.model == MODEL_DIR and not (MODEL_DIR / "config.json").exists():
        random_model.build("opus-mt", MODEL_DIR)
    results = measure(options.model, options.pages)
    for key, value in results.items():
        print(f"{key:>16}  {value}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
