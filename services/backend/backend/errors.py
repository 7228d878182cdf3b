"""Domain errors of the service; the HTTP edge maps each to a status code (see api/errors.py)."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """A request the service refuses, with a message safe to show the client."""

    status_code = 400


class NotReady(ServiceError):
    """The model is not loaded (yet, or it failed to load)."""

    status_code = 503


class TextTooLong(ServiceError):
    """The text exceeds MAX_TEXT_CHARS."""

    status_code = 413

    def __init__(self, chars: int, limit: int) -> None:
        super().__init__(f"text has {chars} characters; the limit is {limit} (MAX_TEXT_CHARS)")
        self.chars = chars
        self.limit = limit


@dataclass(frozen=True)
class LanguagePair:
    """A source → target language pair."""

    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source}->{self.target}"


class UnsupportedPair(ServiceError):
    """The model does not translate between these languages."""

    status_code = 400

    def __init__(self, pair: LanguagePair, supported: list[LanguagePair]) -> None:
        names = ", ".join(map(str, supported))
        super().__init__(f"unsupported language pair {pair}; supported: {names}")
        self.supported = supported


def check_text(chars: int, limit: int) -> None:
    """Raise TextTooLong when a text of `chars` characters exceeds `limit`."""
    if chars > limit:
        raise TextTooLong(chars, limit)


def check_pair(pair: LanguagePair, supported: list[LanguagePair]) -> None:
    """Raise UnsupportedPair unless `pair` is one of `supported`."""
    if pair not in supported:
        raise UnsupportedPair(pair, supported)
