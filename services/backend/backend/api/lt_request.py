"""Validate LibreTranslate's /translate parameters with its checks, order and messages (1.9.6).

Where LibreTranslate itself fails with a 500 (q a number, alternatives not a number in JSON, text
that is not valid Unicode), this answers 400 in the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.api.errors import LibreTranslateError
from backend.api.lt_params import Params
from backend.config import Settings

FORMATS = ("text", "html")
#: Codes and names in error messages are cut to this length: they echo the client's input.
ECHO_CHARS = 40


@dataclass(frozen=True)
class TranslateJob:
    """A validated /translate request; languages are still as sent (lower-cased)."""

    texts: list[str]
    batch: bool
    source: str
    target: str
    format: object
    alternatives: int


def echo(value: object) -> str:
    """Return a client's value for an error message, shortened."""
    text = str(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


def missing(name: str) -> LibreTranslateError:
    """Return LibreTranslate's error for a missing parameter."""
    return LibreTranslateError(400, f"Invalid request: missing {name} parameter")


def check_unicode(params: Params) -> None:
    """Refuse strings with lone surrogates (valid JSON escapes, but no text): they cannot be
    encoded, translated or answered."""
    for name, values in params.values.items():
        for text in _strings(values):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise LibreTranslateError(
                    400, f"Invalid request: {echo(name)} parameter is not valid Unicode"
                ) from None


def _strings(values: list[Any]) -> Iterator[str]:
    # Iterative: JSON may be nested as deep as the parser allowed.
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())


def language(params: Params, name: str) -> str:
    """Return a language parameter lower-cased, as LibreTranslate's iso2model does."""
    value = params.get(name)
    if not value:
        raise missing(name)
    if not isinstance(value, str):
        raise LibreTranslateError(400, f"Invalid request: {name} parameter is not a string")
    return value.lower()


def texts_of(params: Params) -> tuple[list[str], bool]:
    """Return q as a list of texts, and whether it was sent as a list."""
    q = params.texts("q")
    if not q:
        raise missing("q")
    if isinstance(q, str):
        texts, batch = [q], False
    elif isinstance(q, list) and all(isinstance(text, str) for text in q):
        texts, batch = q, True
    else:
        raise LibreTranslateError(
            400, "Invalid request: q parameter must be a string or a list of strings"
        )
    if not params.is_json:
        # LibreTranslate normalises a form's line breaks ("\r\n" from browsers) to "\n".
        texts = ["\n".join(text.splitlines()) for text in texts]
    return texts, batch


def alternatives_of(params: Params, limit: int) -> int:
    """Return the number of alternatives asked for (at least 0, at most limit)."""
    value = params.get("alternatives")
    if value is None or value == "":
        return 0
    try:
        count = max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        raise LibreTranslateError(
            400, "Invalid request: alternatives parameter is not a number"
        ) from None
    if count > limit:
        raise LibreTranslateError(
            400, f"Invalid request: alternatives parameter must be <= {limit}"
        )
    return count


def translate_job(params: Params, settings: Settings) -> TranslateJob:
    """Validate /translate's parameters in LibreTranslate's order; raise its errors."""
    check_unicode(params)
    texts, batch = texts_of(params)
    source, target = language(params, "source"), language(params, "target")
    alternatives = alternatives_of(params, settings.alternatives_limit)
    if batch and len(texts) > settings.batch_limit:
        raise over_limit(len(texts), settings.batch_limit)
    chars = sum(map(len, texts))
    if chars > settings.max_text_chars:
        raise over_limit(chars, settings.max_text_chars)
    return TranslateJob(texts, batch, source, target, params.get("format") or "text", alternatives)


def check_format(text_format: object) -> None:
    """Refuse formats other than text and html (checked after the languages, as LibreTranslate)."""
    if text_format not in FORMATS:
        raise LibreTranslateError(400, f"{echo(text_format)} format is not supported")


def over_limit(size: int, limit: int) -> LibreTranslateError:
    """Return LibreTranslate's error for a request over a size limit."""
    return LibreTranslateError(
        400, f"Invalid request: request ({size}) exceeds text limit ({limit})"
    )
