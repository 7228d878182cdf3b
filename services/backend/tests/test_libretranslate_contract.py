"""Our answers against LibreTranslate 1.9.6's, endpoint by endpoint and parameter by parameter.

Each row: what a client sends, and what LibreTranslate 1.9.6 answers (read in its app.py and
language.py, with Argos' identity translation for a language to itself). ``...`` stands for "any
value"; dictionaries must have exactly the keys given. docs/libretranslate.md has the same table
for people.
"""

from __future__ import annotations

from typing import Any

import pytest

ANY = ...
GERMAN = "Guten Morgen, wie geht es Ihnen heute?"
THANKS = "Vielen Dank für Ihre Hilfe."
ENGLISH = "Good morning, how are you today?"
ROWS: list[tuple[str, str, str, dict[str, Any] | None, int, Any]] = [
    # (method, path, how, parameters, LibreTranslate's status, LibreTranslate's body)
    ("GET", "/languages", "none", None, 200, [
        {"code": "de", "name": "German", "targets": ["de", "en"]},
        {"code": "en", "name": "English", "targets": ["en"]},
    ]),
    ("GET", "/health", "none", None, 200, {"status": "ok"}),
    ("POST", "/translate", "json", {"q": "Hallo.", "source": "de", "target": "en"}, 200,
     {"translatedText": ANY}),
    ("POST", "/translate", "form", {"q": "Hallo.", "source": "de", "target": "en"}, 200,
     {"translatedText": ANY}),
    ("POST", "/translate", "query", {"q": "Hallo.", "source": "de", "target": "en"}, 200,
     {"translatedText": ANY}),
    ("POST", "/translate", "json", {"q": ["a", "b"], "source": "de", "target": "de"}, 200,
     {"translatedText": ["a", "b"]}),
    ("POST", "/translate", "json", {"q": "Hallo.", "source": "DE", "target": "de"}, 200,
     {"translatedText": "Hallo."}),
    ("POST", "/translate", "json", {"q": GERMAN, "source": "auto", "target": "de"}, 200,
     {"translatedText": GERMAN, "detectedLanguage": {"confidence": ANY, "language": "de"}}),
    ("POST", "/translate", "json", {"q": [GERMAN, THANKS], "source": "auto", "target": "de"}, 200,
     {"translatedText": [GERMAN, THANKS], "detectedLanguage": [ANY, ANY]}),
    ("POST", "/translate", "json", {"q": ENGLISH, "source": "auto", "target": "de"}, 400,
     {"error": "German (de) is not available as a target language from English (en)"}),
    ("POST", "/translate", "json",
     {"q": "Hallo.", "source": "de", "target": "en", "alternatives": 1}, 200,
     {"translatedText": ANY, "alternatives": ANY}),
    ("POST", "/translate", "json",
     {"q": "Hallo.", "source": "de", "target": "en", "alternatives": -3}, 200,
     {"translatedText": ANY}),
    ("POST", "/translate", "json", {"q": "Hallo.", "source": "de", "target": "en", "format": ""},
     200, {"translatedText": ANY}),
    ("POST", "/translate", "json", {"q": "Hallo", "source": "de", "target": "es"}, 400,
     {"error": "es is not supported"}),
    ("POST", "/translate", "json", {"q": "Hallo", "source": "es", "target": "en"}, 400,
     {"error": "es is not supported"}),
    ("POST", "/translate", "json", {"q": "Hallo"}, 400,
     {"error": "Invalid request: missing source parameter"}),
    ("POST", "/translate", "form", {"source": "de", "target": "en"}, 400,
     {"error": "Invalid request: missing q parameter"}),
    ("POST", "/detect", "form", {"q": "Good morning, how are you today?"}, 200,
     [{"confidence": ANY, "language": "en"}]),
    ("POST", "/detect", "json", {"q": ""}, 400, {"error": "Invalid request: missing q parameter"}),
    ("POST", "/suggest", "json", {"q": "a", "s": "b", "source": "de", "target": "en"}, 403,
     {"error": "Suggestions are disabled on this server."}),
    ("GET", "/frontend/settings", "none", None, 200, {
        "charLimit": 5000, "frontendTimeout": 500, "apiKeys": False, "keyRequired": False,
        "suggestions": False, "filesTranslation": ANY, "supportedFilesFormat": ANY,
        "language": {"source": {"code": "auto", "name": "Auto Detect"},
                     "target": {"code": "en", "name": "English"}},
    }),
]  # fmt: skip


def matches(actual: Any, expected: Any) -> bool:
    """Compare an answer with a row: ... matches anything, dictionaries key for key."""
    if expected is ANY:
        return True
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(matches(actual[key], value) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


@pytest.mark.parametrize(("method", "path", "how", "params", "status", "body"), ROWS)
async def test_answer_is_libretranslates(lt_client, method, path, how, params, status, body):
    kwargs: dict[str, Any] = {}
    if how == "json":
        kwargs["json"] = params
    elif how == "form":
        kwargs["data"] = params
    elif how == "query":
        kwargs["params"] = params
    response = await lt_client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert matches(response.json(), body), response.json()


def test_the_matcher_can_fail() -> None:
    assert not matches({"a": 1, "b": 2}, {"a": ANY})
    assert not matches([1], [1, 2])
    assert not matches({"error": "x"}, {"error": "y"})
