"""What users do, as the cluster checks count it: translate through Traefik and say how it went."""

from __future__ import annotations

import httpx

from tests.swarm.client import Translator
from tests.swarm.load import BackgroundLoad


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


def page_load(base_url: str, *, workers: int = 2, max_duration_s: float = 600.0) -> BackgroundLoad:
    """Return a bounded background load of page translations (a user's flow) through base_url."""

    def session(client: httpx.Client):
        translator = Translator(client, base_url)
        return lambda number: translator.problem(f"Satz Nummer {number}. Das Wetter ist schön.")

    return BackgroundLoad(
        session, workers=workers, max_requests=100_000, max_duration_s=max_duration_s, timeout_s=60
    )
