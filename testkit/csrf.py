"""Read the CSRF token the frontend writes into every form it serves."""

from __future__ import annotations

import re

#: The hidden field of the frontend's forms (frontend/csrf.py, templates/*.html).
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class MissingCsrfToken(AssertionError):
    """A page that should carry a form has no CSRF token field."""


def csrf_token_in(html: str) -> str:
    """Return the CSRF token of the first form in a page; fail clearly when there is none."""
    match = CSRF_FIELD.search(html)
    if match is None:
        raise MissingCsrfToken(f"no csrf_token field in the page: {html[:200]!r}")
    return match.group(1)
