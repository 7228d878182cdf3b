"""The SQL console: results, row cap, timeout, short errors and CSV, on SQLite and MariaDB."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from decimal import Decimal

import pytest
from frontend.sqlconsole import (
    QueryConsole,
    QueryFailed,
    QueryRefused,
    QueryResult,
    format_cell,
    to_csv,
)
from frontend.storage import database

# A billion-row cross join of a 1000-row CTE: only the statement timeout stops it in time.
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
    " SELECT COUNT(*) FROM n AS a, n AS b, n AS c"
)


async def test_select_returns_columns_and_rows(console, repository, make_translation):
    await repository.save(make_translation(source_text="Guten Tag", words=2))
    result = await console.run("SELECT source_text, words FROM translations")
    assert result.columns == ["source_text", "words"]
    assert result.rows == [("Guten Tag", 2)]
    assert not result.truncated
    assert result.elapsed_ms >= 0


async def test_the_row_cap_cuts_and_says_so(console, repository, make_translation):
    for i in range(5):
        await repository.save(make_translation(words=i))
    cut = await console.run("SELECT words FROM translations ORDER BY words", max_rows=3)
    assert cut.rows == [(0,), (1,), (2,)]
    assert cut.truncated
    exact = await console.run("SELECT words FROM translations", max_rows=5)
    assert len(exact.rows) == 5
    assert not exact.truncated


async def test_the_console_keeps_working_after_a_cut_result(console, repository, make_translation):
    for _ in range(3):
        await repository.save(make_translation())
    for _ in range(4):  # more rounds than the pool has connections
        assert (await console.run("SELECT id FROM translations", max_rows=1)).truncated
    assert (await console.run("SELECT COUNT(*) FROM translations")).rows == [(3,)]


async def test_the_default_row_cap_is_a_thousand(console, repository, make_translation):
    await repository.save(make_translation())
    many = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)"
        " SELECT i FROM n"
    )
    result = await console.run(many)
    assert len(result.rows) == 1000
    assert result.truncated


async def test_a_long_query_is_stopped_at_the_timeout(console):
    started = time.monotonic()
    with pytest.raises(QueryFailed, match=r"longer than the 0\.5 s limit"):
        await console.run(ENDLESS, timeout_s=0.5)
    assert time.monotonic() - started < 4


async def test_with_explain_and_comments_are_accepted(console, repository, make_translation):
    await repository.save(make_translation())
    with_result = await console.run(
        "/* count */ WITH t AS (SELECT id FROM translations) SELECT COUNT(*) AS n FROM t -- end"
    )
    assert with_result.rows == [(1,)]
    assert (await console.run("EXPLAIN SELECT * FROM translations")).rows


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_describe_and_show_work_on_mariadb(console):
    described = await console.run("DESCRIBE translations")
    assert "source_text" in {row[0] for row in described.rows}
    tables = await console.run("SHOW TABLES")
    assert ("translations",) in tables.rows


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_mariadb_sleep_is_stopped_with_an_error(console):
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="limit"):
        await console.run("SELECT SLEEP(100)", timeout_s=1)
    assert time.monotonic() - started < 5


async def test_errors_are_one_short_line_without_a_trace(console):
    with pytest.raises(QueryFailed) as caught:
        await console.run("SELECT no_such_column FROM translations")
    message = str(caught.value)
    assert "no_such_column" in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert len(message) <= 300


async def test_a_refusal_never_reaches_the_database(console):
    with pytest.raises(QueryRefused, match="only"):
        await console.run("DELETE FROM translations")


async def test_replace_the_function_runs(console, repository, make_translation):
    await repository.save(make_translation(source_text="Das Haus"))
    result = await console.run("SELECT REPLACE(source_text, 'Haus', 'Boot') FROM translations")
    assert result.rows == [("Das Boot",)]


async def test_colons_and_percent_signs_are_plain_text(console):
    result = await console.run("SELECT ':name' AS a, '100%' AS b")
    assert result.rows == [(":name", "100%")]


def test_csv_has_a_header_quotes_and_neutralised_formulas():
    result = QueryResult(
        columns=["id", "text", "empty"],
        rows=[(1, 'He said "hi", then left', None), (2, "=HYPERLINK(1)", b"\xff")],
        truncated=False,
        elapsed_ms=1,
    )
    parsed = list(csv.reader(io.StringIO(to_csv(result))))
    assert parsed == [
        ["id", "text", "empty"],
        ["1", 'He said "hi", then left', ""],
        ["2", "'=HYPERLINK(1)", "0xff"],
    ]


def test_cells_render_as_plain_text():
    assert format_cell(None) == ""
    assert format_cell(Decimal("1.50")) == "1.50"
    assert format_cell(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert format_cell("Grüße".encode()) == "Grüße"


@pytest.mark.mysql
async def test_an_unreachable_server_is_reported_plainly(mariadb):
    from testkit.servers import free_port

    url = mariadb.url("ut_readonly", "whatever", port=free_port())
    engine = database.create_readonly_engine(url, connect_timeout_s=1)
    try:
        with pytest.raises(QueryFailed, match=r"^The database is unavailable"):
            await QueryConsole(engine).run("SELECT 1")
    finally:
        await engine.dispose()
