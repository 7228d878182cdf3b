"""The SQL console: one read-only statement, results as a table or CSV, refusals shown escaped."""

from __future__ import annotations

import logging

from quart import Blueprint, Response, render_template, request
from werkzeug.exceptions import TooManyRequests

from frontend.sqlconsole import QueryBusy, QueryFailed, QueryRefused, QueryResult, notices, to_csv
from frontend.state import app_state

log = logging.getLogger(__name__)
blueprint = Blueprint("query", __name__)

EXAMPLE_SQL = (
    "SELECT id, created_at, characters, words, segments, duration_ms,\n"
    "       SUBSTR(source_text, 1, 60) AS source_start\n"
    "FROM translations\n"
    "ORDER BY id DESC\n"
    "LIMIT 20"
)
MAX_SQL_CHARS = 20_000


@blueprint.get("/query")
async def console() -> str:
    """Show the console with an example statement."""
    return await _render(sql=EXAMPLE_SQL)


@blueprint.post("/query")
async def run() -> Response | tuple[str, int]:
    """Run the posted statement; answer an HTML table, or CSV when format=csv."""
    state = app_state()
    form = await request.form
    sql = form.get("sql", "")
    wants_csv = (request.args.get("format") or form.get("format")) == "csv"
    if not sql.strip():
        return await _render(sql=sql, error="Enter one SELECT statement."), 400
    if len(sql) > MAX_SQL_CHARS:
        return await _render(sql=sql, error="The statement is too long."), 400
    try:
        result = await state.resources.console.run(
            sql, max_rows=state.settings.query_max_rows, timeout_s=state.settings.query_timeout_s
        )
    except QueryRefused as error:
        state.metrics.queries.labels("refused").inc()
        return await _render(sql=sql, error=f"Refused: {error}"), 400
    except QueryBusy as error:
        state.metrics.queries.labels("busy").inc()
        raise TooManyRequests(str(error), retry_after=1) from None
    except QueryFailed as error:
        state.metrics.queries.labels("failed").inc()
        return await _render(sql=sql, error=f"The statement failed: {error}"), 400
    cut = notices(result)
    state.metrics.queries.labels("truncated" if cut else "ok").inc()
    if wants_csv:
        headers = {
            "Content-Disposition": 'attachment; filename="query.csv"',
            # The notices are also the CSV's last rows; the header tells scripts without parsing.
            "X-Query-Complete": "false" if cut else "true",
        }
        return Response(to_csv(result), mimetype="text/csv", headers=headers)
    return await _render(sql=sql, result=result), 200


async def _render(*, sql: str, error: str | None = None, result: QueryResult | None = None) -> str:
    return await render_template(
        "query.html",
        sql=sql,
        error=error,
        result=result,
        notices=notices(result) if result is not None else [],
        max_rows=app_state().settings.query_max_rows,
    )
