"""Friendly error pages: no request ever shows a stack trace."""

from __future__ import annotations

import logging

from quart import Quart, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Text too large",
    500: "Something went wrong",
}


async def render_error(status: int, message: str) -> tuple[str, int]:
    """Render the error page (or a JSON error for /api/ calls) with `status`."""
    if request.path.startswith("/api/"):
        return {"error": message}, status  # type: ignore[return-value]
    title = TITLES.get(status, "Error")
    return await render_template("error.html", title=title, message=message), status


def register_error_handlers(app: Quart) -> None:
    """Answer HTTP errors with friendly pages and every other exception with a plain 500."""

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        messages = {
            404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            413: "The text is larger than this service accepts.",
        }
        message = messages.get(status) or error.description or TITLES.get(status, "Error")
        return await render_error(status, message)

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> tuple[str, int]:
        # The trace goes to the log (with the request id), never to the page.
        log.error("unhandled error", exc_info=error)
        return await render_error(500, "The page failed. The error was logged; please try again.")
