"""Talk to the deployed app the way a browser does, through Traefik's published port only."""

from __future__ import annotations

import json

import httpx

from testkit.csrf import MissingCsrfToken, csrf_token_in

STREAM_PATH = "/api/translate/stream"


class AppError(AssertionError):
    """The app answered, but not as a working translator does; the message says how."""


def csrf_token(client: httpx.Client, base_url: str) -> str:
    """Open the translate page (which sets the session cookie) and return its CSRF token."""
    response = client.get(base_url + "/")
    if response.status_code != 200:
        raise AppError(f"GET / answered {response.status_code}")
    try:
        return csrf_token_in(response.text)
    except MissingCsrfToken:
        # Say who answered: a 200 without the form is not the frontend's translate page.
        seen = ", ".join(
            f"{name}={response.headers.get(name, '-')}"
            for name in ("content-type", "content-length", "server")
        )
        # The frontend stamps every answer with X-Request-ID; Traefik's own answers lack it.
        frontend = "x-request-id" in response.headers
        seen += ", from the frontend" if frontend else ", not from the frontend"
        raise AppError(
            f"the translate page carries no csrf_token field ({seen}; {response.text[:80]!r})"
        ) from None


def translate(
    client: httpx.Client, base_url: str, text: str, token: str, *, request_id: str = ""
) -> dict:
    """Translate through the page's streaming endpoint; return the lines and the final one.

    request_id, when given, is sent as X-Request-ID: the app and Traefik log it on every hop.
    """
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    if request_id:
        headers["X-Request-ID"] = request_id
    body = json.dumps({"text": text})
    with client.stream("POST", base_url + STREAM_PATH, content=body, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            raise AppError(f"{STREAM_PATH} answered {response.status_code}: {response.text[:200]}")
        lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    if not lines or not lines[-1].get("done"):
        last = lines[-1].get("error", lines[-1]) if lines else "nothing"
        raise AppError(f"stream ended early: {last}")
    segments = [line for line in lines if "index" in line]
    if [line["index"] for line in segments] != list(range(len(segments))):
        raise AppError(f"segments arrived out of order: {[line['index'] for line in segments]}")
    return {"segments": segments, "done": lines[-1]}


class Translator:
    """A session on the app (cookie and CSRF token) that translates and reports failures."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self.client = client
        self.base_url = base_url
        self.token = ""

    def __call__(self, text: str, *, request_id: str = "") -> dict:
        """Translate text, opening a session first when there is none."""
        if not self.token:
            self.token = csrf_token(self.client, self.base_url)
        return translate(self.client, self.base_url, text, self.token, request_id=request_id)

    def problem(self, text: str) -> str | None:
        """Translate text and return None, or a short reason why it failed (for load counts)."""
        try:
            result = self(text)
        except AppError as error:
            return str(error)[:120]
        except httpx.HTTPError as error:
            return type(error).__name__
        if not result["segments"]:
            return "no segments"
        return None


def first_translation(base_url: str) -> str | None:
    """Return None once the app translates and saves through Traefik, else why not."""
    with httpx.Client(timeout=30) as client:
        try:
            result = Translator(client, base_url)("Hallo Welt. Wie geht es dir?")
        except (AssertionError, httpx.HTTPError) as error:
            return f"{type(error).__name__}: {error}"
    if result["done"].get("saved") is not True:
        return f"translated but not saved in MySQL: {result['done']}"
    return None
