"""The SQL console: results, row cap, timeout, short errors and CSV, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import datetime
from decimal import Decimal

import pytest
from frontend.sqlconsole import (
    QueryBusy,
    QueryConsole,
    QueryFailed,
    QueryRefused,
    QueryResult,
    format_cell,
    notices,
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
    assert result.rows == [("Guten Tag", "2")]
    assert not result.truncated
    assert result.elapsed_ms >= 0


async def test_the_row_cap_cuts_and_says_so(console, repository, make_translation):
    for i in range(5):
        await repository.save(make_translation(words=i))
    cut = await console.run("SELECT words FROM translations ORDER BY words", max_rows=3)
    assert cut.rows == [("0",), ("1",), ("2",)]
    assert cut.truncated
    exact = await console.run("SELECT words FROM translations", max_rows=5)
    assert len(exact.rows) == 5
    assert not exact.truncated


async def test_the_console_keeps_working_after_a_cut_result(console, repository, make_translation):
    for _ in range(3):
        await repository.save(make_translation())
    for _ in range(4):  # more rounds than the pool has connections
        assert (await console.run("SELECT id FROM translations", max_rows=1)).truncated
    assert (await console.run("SELECT COUNT(*) FROM translations")).rows == [("3",)]


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
    assert with_result.rows == [("1",)]
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


def test_csv_quotes_every_field_and_neutralises_formulas():
    result = QueryResult(
        columns=["id", "text", "empty"],
        rows=[("1", 'He said "hi", then left', ""), ("2", "=HYPERLINK(1)", "0xff")],
        truncated=False,
        elapsed_ms=1,
    )
    exported = to_csv(result)
    assert exported.splitlines()[0] == '"id","text","empty"'
    assert list(csv.reader(io.StringIO(exported))) == [
        ["id", "text", "empty"],
        ["1", 'He said "hi", then left', ""],
        ["2", "'=HYPERLINK(1)", "0xff"],
    ]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("  =1", "'  =1"),
        ("Preis;=cmd|' /C calc'!A0", "Preis;'=cmd|' /C calc'!A0"),
        ("a, =1", "a, '=1"),
        ("a\t@x", "a\t'@x"),
        ("Preis: 5 €", "Preis: 5 €"),
    ],
)
def test_formula_prefixes_are_neutralised_after_blanks_and_separators(cell, safe):
    result = QueryResult(columns=["c"], rows=[(cell,)], truncated=False, elapsed_ms=1)
    assert list(csv.reader(io.StringIO(to_csv(result))))[1] == [safe]


def test_a_cut_export_says_so_in_its_last_rows():
    result = QueryResult(
        columns=["c"], rows=[("x",)], truncated=True, elapsed_ms=1, max_rows=1,
        cells_cut=2, max_cell_bytes=10, size_cut=True, max_result_bytes=100,
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(to_csv(result))))
    assert rows[2:] == [[f"[notice] {notice}"] for notice in notices(result)]
    assert len(rows[2:]) == 3
    assert "cut at 1 rows" in rows[2][0]
    assert "100-byte limit" in rows[3][0]
    assert "2 values were cut at 10 bytes" in rows[4][0]


def test_cells_render_as_plain_text():
    assert format_cell(None) == ""
    assert format_cell(Decimal("1.50")) == "1.50"
    assert format_cell(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert format_cell("Grüße".encode()) == "Grüße"


async def test_a_long_value_is_cut_and_marked(readonly_engine, repository, make_translation):
    await repository.save(make_translation(source_text="ä" * 5000))
    console = QueryConsole(readonly_engine, max_cell_bytes=100)
    result = await console.run("SELECT source_text, id FROM translations")
    cell = result.rows[0][0]
    assert cell.startswith("ä" * 50)
    assert cell.endswith("… [cut: 10,000 bytes]")
    assert len(cell.split("…")[0].encode()) <= 100
    assert result.cells_cut == 1
    assert result.rows[0][1] == "1"


async def test_the_result_stops_at_its_byte_limit(readonly_engine, repository, make_translation):
    for _ in range(10):
        await repository.save(make_translation(source_text="x" * 1000))
    console = QueryConsole(readonly_engine, max_result_bytes=3500)
    result = await console.run("SELECT source_text FROM translations")
    assert len(result.rows) == 3
    assert result.size_cut
    assert "3,500-byte limit" in notices(result)[0]
    # The console goes on working after a cut (the connection was dropped or drained).
    assert (await console.run("SELECT COUNT(*) FROM translations")).rows == [("10",)]


async def test_statements_beyond_the_concurrency_limit_are_refused(readonly_engine):
    console = QueryConsole(readonly_engine, max_concurrent=1)
    first = asyncio.create_task(console.run(ENDLESS, timeout_s=1.0))
    await asyncio.sleep(0.2)
    with pytest.raises(QueryBusy, match="1 console statements are running"):
        await console.run("SELECT 1")
    with pytest.raises(QueryFailed):
        await first
    assert (await console.run("SELECT 1")).rows == [("1",)]


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
