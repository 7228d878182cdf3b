"""LibreTranslate's /translate_file and /download_file, in-process and across two replicas."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import docx
import httpx
import pytest
from backend.file_store import FileStore

from testkit.documents import EVERY_FORMAT, docx_bytes, translated_name
from testkit.servers import free_port, python_module, tiny_backend_env

FORM = {"source": "de", "target": "en", "api_key": "unused"}


async def upload(client: httpx.AsyncClient, name: str, data: bytes, **form: str) -> httpx.Response:
    return await client.post("/translate_file", files={"file": (name, data)}, data=form or FORM)


async def test_translate_file_answers_a_url_that_serves_the_translation(documents_client) -> None:
    """The answer is LibreTranslate's {"translatedFileUrl"}; the URL serves the .docx attachment."""
    response = await upload(documents_client, "bericht.docx", docx_bytes())
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["translatedFileUrl"]
    url = urlsplit(response.json()["translatedFileUrl"])
    assert (url.scheme, url.netloc) == ("http", "backend.test")
    assert url.path.startswith("/download_file/")
    download = await documents_client.get(url.path)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="bericht.docx"')
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    headings = [p.text for p in docx.Document(io.BytesIO(download.content)).paragraphs][:1]
    assert headings[0].strip()
    assert "Überschrift" not in headings[0]


async def test_every_format_round_trips_through_translate_file(documents_client) -> None:
    """Each format's fixture comes back translated, under its name, from its download URL."""
    problems = {}
    for name, build in EVERY_FORMAT.items():
        source = build()
        response = await upload(documents_client, name, source)
        if response.status_code != 200:
            problems[name] = f"{response.status_code}: {response.text[:200]}"
            continue
        download = await documents_client.get(urlsplit(response.json()["translatedFileUrl"]).path)
        disposition = download.headers.get("content-disposition", "")
        if download.status_code != 200 or f'filename="{translated_name(name)}"' not in disposition:
            problems[name] = f"download {download.status_code}, {disposition!r}"
        elif download.content == source:
            problems[name] = "came back unchanged"
    assert not problems, problems


async def test_source_auto_and_the_api_prefix_behind_traefik(documents_client) -> None:
    """source=auto is the model's language; the URL keeps the scheme, host and stripped prefix."""
    headers = {
        "x-forwarded-proto": "https",
        "host": "translate.example",
        "x-forwarded-prefix": "/api",
    }
    response = await documents_client.post(
        "/translate_file",
        files={"file": ("notiz.txt", b"Guten Morgen.")},
        data={"source": "auto", "target": "en"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    url = response.json()["translatedFileUrl"]
    assert url.startswith("https://translate.example/api/download_file/")


async def test_errors_are_libretranslate_json(documents_client) -> None:
    """Unsupported pair 400, mislabelled file 415, unknown download 404: all {"error": ...}."""
    pair = await upload(documents_client, "a.txt", b"Hallo.", source="de", target="fr")
    assert pair.status_code == 400
    assert "de->en" in pair.json()["error"]
    mislabelled = await upload(documents_client, "a.docx", b"Hallo.")
    assert mislabelled.status_code == 415
    assert mislabelled.json()["error"]
    for key in ["nothing", ".0123456789abcdef0123456789abcdef", "a.b.c", "%2E%2E"]:
        missing = await documents_client.get(f"/download_file/{key}")
        assert missing.status_code == 404
        assert "error" in missing.json()


def test_the_store_drops_expired_files_and_the_oldest_when_full() -> None:
    """Files expire after the retention period; the byte budget evicts the oldest first."""
    now = [0.0]
    store = FileStore(retention_s=60, max_bytes=10, clock=lambda: now[0])
    assert store.put("a", b"12345", "a.txt", "text/plain")
    now[0] = 30
    assert store.put("b", b"1234", "b.txt", "text/plain")
    assert store.put("c", b"123", "c.txt", "text/plain")  # 12 bytes: a must go
    assert store.get("a") is None
    assert store.get("b").data == b"1234"
    assert store.stored_bytes == 7
    now[0] = 91
    assert store.get("b") is None
    assert store.stored_bytes == 0
    assert not store.put("d", b"x" * 11, "d.txt", "text/plain")


@pytest.mark.slow
def test_a_download_reaching_another_replica_is_fetched_from_the_holder(
    tiny_model: Path, test_output_dir: Path, tmp_path: Path
) -> None:
    """Two backends: a file made on A downloads from B (FILE_PEERS lists A), not from C."""
    base = tiny_backend_env(tiny_model, tmp_path / "cache", {"ENGINE_WORKERS": "1"})
    peers = {**base, "FILE_PEERS": "127.0.0.1"}
    logs = test_output_dir / "logs"
    with ExitStack() as stack:
        a, b, c = (
            stack.enter_context(
                python_module(
                    "backend",
                    port=free_port(),
                    ready_path="/readyz",
                    log_path=logs / f"backend-files-{name}.log",
                    env=env,
                )
            ).base_url
            for name, env in (("a", peers), ("b", peers), ("c", base))
        )
        made = httpx.post(
            f"{a}/translate_file", files={"file": ("brief.txt", b"Guten Tag.")}, data=FORM
        )
        assert made.status_code == 200, made.text
        path = urlsplit(made.json()["translatedFileUrl"]).path
        held = httpx.get(a + path)
        fetched = httpx.get(b + path)
        assert held.status_code == fetched.status_code == 200
        assert fetched.content == held.content
        assert fetched.headers["content-disposition"] == held.headers["content-disposition"]
        assert httpx.get(c + path).status_code == 404  # C has no FILE_PEERS: one replica
        forged = path.replace(path.split("/")[2].split(".")[0], "MTI3LjAuMC4yfDgw")  # 127.0.0.2:80
        assert httpx.get(b + forged).status_code == 404
