"""CSRF protection: a per-session random token required on every state-changing request."""

from __future__ import annotations

import hmac
import secrets

from quart import abort, request, session

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


async def require_csrf() -> None:
    """Refuse (403) an unsafe request whose form field or header does not carry the token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.headers.get(HEADER, "")
    if not sent and request.mimetype in FORM_MIMETYPES:
        sent = (await request.form).get(FORM_FIELD, "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(403, description="The form expired or did not come from this site. Reload the page.")
