"""The SQL console attacked through Traefik, on SQLite and on a real MariaDB behind `make run`.

Each attack asserts the refusal (which safeguard, in the page's words), that the frontend and
backend stayed within their RSS bounds with /healthz answering within a second throughout,
and that the stored translations are unchanged.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from testkit.csrf import csrf_token_in
from testkit.mariadb import (
    APP_PASSWORD,
    APP_USER,
    READONLY_PASSWORD,
    READONLY_USER,
    MariaDB,
    binaries_missing,
    running_mariadb,
)
from tests.local_app import running
from tests.redteam.conftest import ENVIRONMENT, QUERY_TIMEOUT_S, Target, run_sql
from tests.redteam.watch import services_of, watching

# (statement, what the page must say): the policy refuses before the database sees anything.
REFUSED = [
    ("SELECT 1 AS $$, @@datadir AS $$", "Variables"),
    ("SELECT 1 AS $$ ; DELETE FROM translations; SELECT $$", "Exactly one"),
    ("SET SESSION max_statement_time=0", "only runs SELECT"),
    ("SELECT GET_LOCK('ut_migrations', 0)", "GET_LOCK"),
    ("SELECT get_lock('x', 0) FROM translations", "GET_LOCK"),
    ("SELECT @@version", "Variables"),
    ("SELECT replace(printf('%.*c', 999999999, 'x'), 'x', 'yy')", "printf"),
    ("SELECT printf('%*c', 999999999, 'x')", "printf"),
    ('SELECT "a\\", 1; DELETE FROM translations; -- "', "Exactly one"),
    ("/*!50000 DELETE FROM translations */ SELECT 1", "Executable comments"),
    ("SELECT * FROM sqlite_master", "tables can be read"),
]
# Runs, and SQLite's limits stop it at once (value length, heap).
SQLITE_BOMBS = [
    "SELECT randomblob(999999999)",
    "SELECT zeroblob(300000000) FROM translations LIMIT 3",
    "SELECT randomblob(900000000), randomblob(900000000) FROM translations",
    "SELECT replace(replace(replace(printf('%.9999c', 'x'), 'x', 'xxxxxxxxxx'), 'x',"
    " 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx')",
    "SELECT hex(zeroblob(200000000))",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
    " SELECT group_concat(hex(randomblob(100000)), '') FROM n",
]
ENDLESS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
    " SELECT COUNT(*) FROM n AS a, n AS b, n AS c"
)


@pytest.mark.parametrize(("sql", "said"), REFUSED)
def test_the_console_refuses(target: Target, operator: httpx.Client, sql: str, said: str) -> None:
    before = target.fingerprint()
    with watching(target.app, target.services):
        response = run_sql(operator, sql)
    assert response.status_code == 400
    assert "Refused:" in response.text
    assert said in response.text
    assert target.fingerprint() == before


@pytest.mark.parametrize("sql", SQLITE_BOMBS)
def test_a_memory_bomb_fails_fast_and_small(target: Target, operator: httpx.Client, sql) -> None:
    before = target.fingerprint()
    started = time.monotonic()
    with watching(target.app, target.services):
        response = run_sql(operator, sql)
    assert time.monotonic() - started < 3.0
    assert response.status_code == 400
    assert "The statement failed:" in response.text
    assert "too big" in response.text or "out of memory" in response.text
    assert len(response.content) < 100_000
    assert target.fingerprint() == before


def test_a_long_statement_stops_within_a_second_of_the_timeout(
    target: Target, operator: httpx.Client
) -> None:
    started = time.monotonic()
    with watching(target.app, target.services):
        response = run_sql(operator, ENDLESS)
    assert time.monotonic() - started < QUERY_TIMEOUT_S + 1.0
    assert "longer than the 2 s limit" in response.text


@pytest.mark.slow
def test_concurrent_statements_are_bounded_and_the_site_stays_fast(
    target: Target, operator: httpx.Client
) -> None:
    def attack(_: int) -> int:
        with httpx.Client(base_url=target.url, auth=target.admin, timeout=60) as client:
            return run_sql(client, ENDLESS).status_code

    with watching(target.app, target.services), ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(attack, range(6)))
        page = httpx.get(target.url + "/", timeout=1.0)
        assert page.status_code == 200
    assert 429 in statuses, statuses  # at most QUERY_MAX_CONCURRENT (2) run at once
    assert set(statuses) <= {400, 429}


def test_a_huge_result_is_cut_in_bytes_and_says_so(target: Target, operator: httpx.Client) -> None:
    sql = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900)"
        " SELECT i, hex(randomblob(40000)) AS big FROM n"
    )
    with watching(target.app, target.services):
        page = run_sql(operator, sql)
        export = run_sql(operator, sql, csv=True)
    assert page.status_code == 200
    assert "byte limit" in page.text
    assert "cut at 65,536 bytes" in page.text
    assert len(page.content) < 3 * 1024 * 1024
    assert export.headers["x-query-complete"] == "false"
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[-1][0].startswith("[notice]")
    assert export.text.startswith('"i","big"')


def test_the_export_neutralises_formulas(target: Target, operator: httpx.Client) -> None:
    export = run_sql(operator, "SELECT source_text FROM translations ORDER BY id", csv=True)
    rows = list(csv.reader(io.StringIO(export.text)))
    assert ["Preis;'=cmd|' /C calc'!A0"] in rows
    assert export.headers["x-query-complete"] == "true"


@pytest.fixture(scope="module")
def mariadb_target(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Target, MariaDB]]:
    """`make run` on the real MariaDB: the console's MySQL dialect, its read-only account."""
    missing = binaries_missing()
    if missing:
        pytest.fail(missing)
    base = tmp_path_factory.mktemp("redteam-mariadb")
    (base / "db").mkdir()
    (base / "app").mkdir()
    with running_mariadb(base / "db") as server:
        env = {
            **ENVIRONMENT,
            "DATABASE_URL": server.url(APP_USER, APP_PASSWORD),
            "DATABASE_READONLY_URL": server.url(READONLY_USER, READONLY_PASSWORD),
        }
        with running(base / "app", tiny_model, env) as app:
            with httpx.Client(base_url=app.url, timeout=60) as client:
                page = client.get("/")
                token = csrf_token_in(page.text)
                saved = client.post("/", data={"text": "Guten Tag.", "csrf_token": token})
                assert saved.status_code == 200
            yield Target(app, services_of(app), base / "unused.db"), server


def _mariadb_rows(server: MariaDB) -> str:
    return server.admin("SELECT id, source_text, translated_text FROM ut_app.translations")


MARIADB_ATTACKS = [
    ("SELECT 1 AS $$, @@datadir AS $$", "Refused:"),
    ("SELECT 1 AS $$ ; DELETE FROM translations; SELECT $$", "Refused:"),
    ("SET SESSION max_statement_time=0", "Refused:"),
    ("SELECT GET_LOCK('ut_migrations', 0)", "Refused:"),
    ("SELECT @@GLOBAL.datadir", "Refused:"),
    ("SELECT 'a\\', 1; DROP TABLE translations; -- '", "1 row"),
    ("SELECT REPEAT('x', 999999999)", "1 row"),
    ("SELECT RPAD('x', 300000000, 'y') FROM translations", "1 row"),
    ("SELECT SLEEP(100)", "limit"),
]


@pytest.mark.mysql
@pytest.mark.parametrize(("sql", "said"), MARIADB_ATTACKS)
def test_the_mysql_dialect_console_holds(mariadb_target, sql: str, said: str) -> None:
    target, server = mariadb_target
    before = _mariadb_rows(server)
    with (
        httpx.Client(base_url=target.url, auth=target.admin, timeout=60) as operator,
        watching(target.app, target.services),
    ):
        response = run_sql(operator, sql)
    assert said in response.text, response.text[-2000:]
    assert _mariadb_rows(server) == before
    assert server.admin("SELECT IS_USED_LOCK('ut_migrations')").strip() == "NULL"
