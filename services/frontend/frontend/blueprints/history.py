"""Earlier translations: a searchable, paginated list and one page per translation."""

from __future__ import annotations

import logging

from quart import Blueprint, abort, render_template, request

from frontend.aligning import lay_out, split_pairs
from frontend.state import app_state
from frontend.storage.errors import StorageError

log = logging.getLogger(__name__)
blueprint = Blueprint("history", __name__)

DATABASE_DOWN = "The history is unavailable right now (the database cannot be reached)."
MAX_QUERY_CHARS = 200
# Ids are BIGINT (SQLite INTEGER): larger numbers name nothing; pages beyond this neither.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000


@blueprint.get("/history")
async def index() -> tuple[str, int]:
    """List translations newest first, optionally only those containing the search text."""
    state = app_state()
    query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    if page > MAX_PAGE:
        abort(404)
    try:
        result = await state.resources.repository.search(
            query or None, page=page, per_page=state.settings.history_per_page
        )
    except StorageError:
        log.warning("history search failed: database unavailable")
        return await render_template("history.html", q=query, result=None, error=DATABASE_DOWN), 503
    return await render_template("history.html", q=query, result=result, error=None), 200


@blueprint.get("/history/<int:translation_id>")
async def detail(translation_id: int) -> tuple[str, int]:
    """Show one translation with its metadata, beside its source segment by segment."""
    state = app_state()
    if translation_id > MAX_ID:
        abort(404)
    try:
        item = await state.resources.repository.get(translation_id)
    except StorageError:
        log.warning("history detail failed: database unavailable")
        return await render_template("detail.html", item=None, error=DATABASE_DOWN), 503
    if item is None:
        abort(404)
    pairs = split_pairs(item.source_text, item.translated_text, item.segment_lengths)
    return await render_template("detail.html", item=item, lines=lay_out(pairs), error=None), 200
