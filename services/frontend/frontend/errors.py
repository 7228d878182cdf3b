"""Friendly error pages: no request ever shows a stack trace."""

from __future__ import annotations

import logging

from quart import Quart, render_template, request
from werkzeug.exceptions import HTTPException

from frontend.state import app_state
from frontend.uploads import file_too_large

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Text too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Unavailable",
}
# Headers an HTTP error carries that the friendly page must keep (the login challenge, the wait).
_KEPT_HEADERS = frozenset({"www-authenticate", "retry-after"})


async def render_error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    """Render the error page (or a JSON error for /api/ calls) with `status` and `headers`."""
    if request.path.startswith("/api/"):
        return {"error": message}, status, headers or {}  # type: ignore[return-value]
    title = TITLES.get(status, "Error")
    page = await render_template("error.html", title=title, message=message)
    return page, status, headers or {}


def register_error_handlers(app: Quart) -> None:
    """Answer HTTP errors with friendly pages and every other exception with a plain 500."""

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
        status = error.code or 500
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            413: "The text is larger than this service accepts.",
        }
        if status == 413 and getattr(request, "is_upload", False):
            # A document (the form's CSRF check read it before the view could): the file limit.
            messages[413] = file_too_large(app_state().settings.max_file_bytes)
        message = messages.get(status) or error.description or TITLES.get(status, "Error")
        headers = {k: v for k, v in error.get_headers() if k.lower() in _KEPT_HEADERS}
        return await render_error(status, message, headers)

    @app.errorhandler(RecursionError)
    async def _too_deep(error: RecursionError) -> tuple[str, int, dict[str, str]]:
        # json.loads gives up on deep nesting ([[[[…): the client's fault, not a 500.
        return await render_error(400, "The request is nested too deeply.")

    @app.errorhandler(UnicodeDecodeError)
    async def _not_utf8(error: UnicodeDecodeError) -> tuple[str, int, dict[str, str]]:
        return await render_error(400, "The request is not valid UTF-8.")

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> tuple[str, int, dict[str, str]]:
        # The trace goes to the log (with the request id), never to the page.
        log.error("unhandled error", exc_info=error)
        return await render_error(500, "The page failed. The error was logged; please try again.")
