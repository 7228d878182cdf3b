"""Documents in the stack: uploaded through Traefik, downloadable from every frontend replica.

The translated file lives in MySQL (the frontend's documents table), not on the disk or in the
memory of the replica that stored it, so whichever replica Traefik picks serves the download.
"""

from __future__ import annotations

import hashlib
import io
import json

import docx
import httpx

from testkit.csrf import csrf_token_in
from testkit.documents import EVERY_FORMAT, docx_bytes, docx_with_picture_bytes, translated_name
from tests.swarm.cli import docker
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack, task_containers

pytestmark = SWARM_MARKS

# Run inside a frontend container: GET argv[1] from that replica's own port, print what came.
DOWNLOAD = """
import hashlib, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8002" + sys.argv[1], timeout=60) as answer:
    data = answer.read()
    print(answer.status, len(data), hashlib.sha256(data).hexdigest())
"""
#: Over the text routes' body limit (12 x MAX_TEXT_CHARS + 64 KiB, ~12 MB), within MAX_FILE_BYTES.
LARGE_DOCUMENT_BYTES = 14 * 2**20


def upload(client: httpx.Client, stack: Stack, name: str, data: bytes) -> dict:
    """Translate a document through the page's progress stream; return its last line."""
    page = client.get(stack.base_url + "/documents")
    assert page.status_code == 200, f"/documents answered {page.status_code}"
    token = csrf_token_in(page.text)
    files = {"file": (name, data)}
    with client.stream(
        "POST",
        stack.base_url + "/api/documents/stream",
        files=files,
        headers={"X-CSRF-Token": token},
    ) as response:
        response.read()
        assert response.status_code == 200, (response.status_code, response.text[:300])
        lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    assert lines, "the stream sent nothing"
    assert lines[-1].get("done") is True, lines[-1]
    return lines[-1]


def test_a_document_stored_by_one_replica_downloads_from_every_replica(
    deployed: Stack, app_client: httpx.Client
) -> None:
    """Each frontend task, asked on its own port, serves the same translated file."""
    done = upload(app_client, deployed, "bericht.docx", docx_bytes())
    served = app_client.get(deployed.base_url + done["download"])
    assert served.status_code == 200
    data = served.content
    assert "Überschrift" not in docx.Document(io.BytesIO(data)).paragraphs[0].text
    containers = task_containers(deployed.service("frontend"))
    assert len(containers) >= 2, "the stack runs two frontend replicas"
    expected = ["200", str(len(data)), hashlib.sha256(data).hexdigest()]
    for container in containers:
        answer = docker("exec", container, "python", "-c", DOWNLOAD, done["download"])
        assert answer.split() == expected, (container, answer)


def test_a_document_over_the_text_body_limit_goes_through_the_stack(
    deployed: Stack, app_client: httpx.Client
) -> None:
    """Traefik, the frontend, the backend and MySQL all take a file over ~12 MB (25 MiB limit)."""
    source = docx_with_picture_bytes(LARGE_DOCUMENT_BYTES)
    done = upload(app_client, deployed, "gross.docx", source)
    served = app_client.get(deployed.base_url + done["download"])
    assert served.status_code == 200
    # The picture is copied byte for byte: the translation is as large as the source.
    assert len(served.content) >= LARGE_DOCUMENT_BYTES


def test_every_format_round_trips_through_the_stack(
    deployed: Stack, app_client: httpx.Client
) -> None:
    """Each format's fixture through Traefik and the page's stream, downloadable under its name."""
    problems = {}
    for name, build in EVERY_FORMAT.items():
        source = build()
        done = upload(app_client, deployed, name, source)
        served = app_client.get(deployed.base_url + done["download"])
        disposition = served.headers.get("content-disposition", "")
        if served.status_code != 200 or f'filename="{translated_name(name)}"' not in disposition:
            problems[name] = f"download {served.status_code}, {disposition!r}"
        elif served.content == source:
            problems[name] = "came back unchanged"
    assert not problems, problems
