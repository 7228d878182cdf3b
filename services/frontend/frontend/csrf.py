"""CSRF protection: a per-session random token required on every state-changing request."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import TypeVar

from quart import abort, current_app, request, session

View = TypeVar("View", bound=Callable[..., object])

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def csrf_token() -> str:
    """Return this session's token, creating it on first use (templates call this)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def json_api(view: View) -> View:
    """Mark a view as public JSON API: callers without a session need no token.

    Only for JSON bodies: a cross-site page can send JSON only after a CORS preflight, which this
    app never answers, so a forged request cannot reach the view; forms still need the token.
    """
    view.csrf_json_api = True  # type: ignore[attr-defined]
    return view


async def require_csrf() -> None:
    """Refuse (403) an unsafe request whose form field or header does not carry the token."""
    if request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "csrf_json_api", False) and request.mimetype == "application/json":
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.headers.get(HEADER, "")
    if not sent and request.mimetype in FORM_MIMETYPES:
        sent = (await request.form).get(FORM_FIELD, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(403, description="The form expired or did not come from this site. Reload the page.")
