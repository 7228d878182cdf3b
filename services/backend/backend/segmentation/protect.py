"""Keep code, URLs, e-mail addresses and file paths verbatim inside translated sentences.

Each protected span is replaced by a numbered placeholder ("[0]", "[1]", ...; citation-like, so
translation models copy it) before the sentence goes to the model, and put back afterwards. The
model may damage or drop a placeholder: a recognisable one ("[ 1 ]") is restored in place, a
second copy of one is dropped, and whatever was not found is appended, so no protected text is
ever lost or duplicated. A literal "[n]" in the user's text is itself protected, so it can never
be taken for a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: What the model never sees, most specific first. A pattern that starts with a run of word
#: characters may start only where that run starts (the lookbehinds): a later start in the same
#: run would meet the same end and fail the same way, and trying every one makes a long word cost
#: its length squared (100,000 characters without a space took 16 s).
PROTECTED = re.compile(
    "|".join(
        [
            r"``[^\n]+?``|`[^`\n]+`",  # inline code
            r"\b(?:https?|ftp)://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]",  # URLs
            r"\bwww\.[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]",
            r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail addresses
            r"(?<!\S)(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)*/?",  # POSIX paths
            r"\b[A-Za-z]:\\[^\s\"']*",  # Windows paths
            r"(?<![\w-])[\w-]+\.(?:pdf|docx?|xlsx?|pptx?|txt|md|csv|json|ya?ml|toml|ini|xml|html?|py|js|ts"
            r"|sh|exe|zip|tar|gz|png|jpe?g|gif|svg)\b",  # file names
            r"\[\s*\d+\s*\]",  # anything that looks like a placeholder
        ]
    )
)
PLACEHOLDER = re.compile(r"\[\s*(\d+)\s*\]")


def placeholder(number: int) -> str:
    """Return the placeholder for the protected span of that number."""
    return f"[{number}]"


def protect(sentence: str) -> tuple[str, tuple[str, ...]]:
    """Replace each protected span of sentence by a placeholder; return the text and the spans."""
    kept: list[str] = []

    def hide(match: re.Match[str]) -> str:
        kept.append(match.group())
        return placeholder(len(kept) - 1)

    return PROTECTED.sub(hide, sentence), tuple(kept)


def restore(translation: str, kept: Sequence[str | None]) -> str:
    """Put the protected spans back into a translation; append those the model dropped.

    ``kept[n]`` is placeholder n's text, or None where it belongs to another piece of the same
    sentence (a sentence cut to fit the model).
    """
    if not any(span is not None for span in kept):
        return translation
    used: set[int] = set()

    def put_back(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number < len(kept) and kept[number] is not None and number not in used:
            used.add(number)
            return kept[number] or ""
        return ""  # a copy the model made, or a number it invented

    restored = PLACEHOLDER.sub(put_back, translation)
    missing = [span for n, span in enumerate(kept) if span is not None and n not in used]
    if missing:
        restored = " ".join(part for part in (restored.rstrip(), *missing) if part)
    return restored
