"""The SQL console attacked: every attempt to write or to read beyond the translations fails.

Each attack runs against SQLite and the real MariaDB; the stored rows (count and checksum) and
the schema are compared before and after. A second set bypasses the statement policy and sends
writes straight to the read-only engine, to show the account itself cannot change anything.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import sqlparse
from frontend.sqlconsole import QueryError, QueryResult
from frontend.sqlpolicy import (
    ALLOWED_FIRST_WORDS,
    DENIED_FUNCTIONS,
    DENIED_WORDS,
    STRING_FUNCTIONS_NAMED_LIKE_WRITES,
    QueryRefused,
    checked_statement,
)
from frontend.storage import database
from frontend.storage.schema import translations
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlparse import tokens as T

REFUSED_OR_FAILED = [
    "INSERT INTO translations (source_text) VALUES ('x')",
    "REPLACE INTO translations (id, source_text) VALUES (1, 'x')",
    "UPDATE translations SET source_text = 'pwned'",
    "DELETE FROM translations",
    "DROP TABLE translations",
    "TRUNCATE TABLE translations",
    "ALTER TABLE translations ADD COLUMN pwned INT",
    "CREATE TABLE pwned (id INT)",
    "GRANT ALL PRIVILEGES ON *.* TO 'ut_readonly'@'%'",
    "sElEcT 1; dRoP tAbLe translations",
    "SELECT 1; DELETE FROM translations",
    "SELECT ';'; DELETE FROM translations",
    "/*!50000 DROP TABLE translations*/ SELECT 1",
    "SELECT 1 /*!50000 ; DELETE FROM translations */",
    "/*M!100000 DELETE FROM translations */ SELECT 1",
    "SELECT 1 -- \n; DELETE FROM translations",
    "SELECT 1 # \n; DELETE FROM translations",
    "SELECT /*+ MAX_EXECUTION_TIME(100000) */ 1",
    "WITH x AS (SELECT 1) DELETE FROM translations",
    "EXPLAIN DELETE FROM translations",
    "EXPLAIN ANALYZE SELECT * FROM translations",
    "SELECT * FROM translations INTO OUTFILE '/tmp/ut-console-pwned.txt'",
    "SELECT * INTO DUMPFILE '/tmp/ut-console-pwned.bin' FROM translations",
    "SELECT LOAD_FILE('/etc/passwd')",
    "SELECT lOaD_fIlE('/etc/passwd')",
    "SELECT * FROM translations FOR UPDATE",
    "SELECT * FROM translations LOCK IN SHARE MODE",
    "SELECT GET_LOCK('ut_migrations', 0)",
    "SET SESSION max_statement_time = 0",
    "PRAGMA query_only = OFF",
    "ATTACH DATABASE '/tmp/ut-console-pwned.db' AS pwned",
    "HANDLER translations OPEN",
    "CALL mysql.rds_kill(1)",
    "LOAD DATA INFILE '/etc/passwd' INTO TABLE translations",
    "SELECT * FROM mysql.user",
    "SELECT user, password FROM `mysql`.`user`",
    "SELECT table_schema, table_name FROM information_schema.tables",
    "SELECT * FROM INFORMATION_SCHEMA.PROCESSLIST",
    "SELECT * FROM performance_schema.threads",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM schema_version",
    "SELECT @@datadir",
    "SHOW GRANTS",
    "SHOW DATABASES",
    "SHOW VARIABLES",
    "SELECT SLEEP(100)",
    "SELECT BENCHMARK(100000000000, SHA2('x', 512))",
]

# Bounded rather than refused: they may answer, but only within the timeout and the row cap.
# (Fixed aliases joined into SQL, no outside input: S608 does not apply.)
BOUNDED = [
    "SELECT COUNT(*) FROM " + ", ".join(f"translations t{i}" for i in range(24)),  # noqa: S608
    "SELECT * FROM " + ", ".join(f"translations t{i}" for i in range(12)),  # noqa: S608
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
    " SELECT a.i, b.i, c.i FROM n a, n b, n c",
]

# Sent straight to the read-only engine, bypassing the statement policy.
DIRECT_WRITES = [
    "INSERT INTO translations (source_text, translated_text, source_lang, target_lang, model,"
    " engine, segments, characters, words, duration_ms, created_at)"
    " VALUES ('x', 'x', 'de', 'en', 'm', 'e', 1, 1, 1, 1, '2024-01-01 00:00:00')",
    "UPDATE translations SET source_text = 'pwned'",
    "DELETE FROM translations",
    "DROP TABLE translations",
    "ALTER TABLE translations ADD COLUMN pwned INT",
    "CREATE TABLE pwned (id INT)",
]
MARIADB_DIRECT = [
    "TRUNCATE TABLE translations",
    "GRANT ALL PRIVILEGES ON *.* TO 'ut_readonly'@'%'",
    "SELECT * FROM mysql.user",
    "SELECT * FROM translations INTO OUTFILE '/tmp/ut-console-direct.txt'",
]


async def _fingerprint(engine) -> tuple[int, str]:
    """Count and checksum every stored row, in id order (fails if the table is gone)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(translations).order_by(translations.c.id))).all()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
async def stored(repository, make_translation, migrated_engine) -> tuple[int, str]:
    """Store three translations and return their fingerprint."""
    for i in range(3):
        await repository.save(make_translation(source_text=f"Satz {i}", words=i))
    return await _fingerprint(migrated_engine)


@pytest.mark.parametrize("sql", REFUSED_OR_FAILED)
async def test_the_attack_fails_and_changes_nothing(console, migrated_engine, stored, sql):
    started = time.monotonic()
    with pytest.raises(QueryError) as caught:
        await console.run(sql, timeout_s=1.5)
    assert time.monotonic() - started < 6
    assert "Traceback" not in str(caught.value)
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.parametrize("sql", BOUNDED)
async def test_a_huge_query_is_bounded_in_time_and_rows(console, migrated_engine, stored, sql):
    started = time.monotonic()
    outcome = await _outcome(console, sql)
    assert time.monotonic() - started < 6
    # Either stopped at the time limit, or cut at the row cap (SQLite answers small joins fast).
    assert "limit" in outcome if isinstance(outcome, str) else len(outcome.rows) <= 100
    assert await _fingerprint(migrated_engine) == stored


async def _outcome(console, sql: str) -> QueryResult | str:
    try:
        return await console.run(sql, max_rows=100, timeout_s=1.5)
    except QueryError as error:
        return str(error)


async def _write_through(engine, sql: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(sql))
        await conn.commit()


@pytest.mark.parametrize("sql", DIRECT_WRITES)
async def test_the_read_only_connection_itself_cannot_write(
    readonly_engine, migrated_engine, stored, sql
):
    """Bypassing the policy, the console's own connection still refuses to write."""
    with pytest.raises(DBAPIError):
        await _write_through(readonly_engine, sql)
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
@pytest.mark.parametrize("sql", DIRECT_WRITES + MARIADB_DIRECT)
async def test_the_read_only_account_has_no_other_privilege(
    db_target, migrated_engine, stored, sql
):
    """Without the policy and without the READ ONLY session, the account's grants refuse it."""
    engine = database.create_engine(db_target.readonly_url)
    try:
        with pytest.raises(DBAPIError, match="denied"):
            await _write_through(engine, sql)
    finally:
        await engine.dispose()
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_the_read_only_account_sees_no_other_schema(readonly_engine, stored):
    query = text("SELECT DISTINCT table_schema FROM information_schema.tables")
    async with readonly_engine.connect() as conn:
        schemas = set((await conn.execute(query)).scalars().all())
        secret = await conn.scalar(text("SELECT LOAD_FILE('/etc/passwd')"))
    # performance_schema is listed to everyone; the console's policy refuses to name it.
    assert schemas <= {"information_schema", "performance_schema", "ut_app"}
    assert "ut_app" in schemas
    assert secret is None  # no FILE privilege


async def test_a_string_that_looks_like_two_statements_stays_one(console, migrated_engine, stored):
    """MySQL reads the backslash as an escape (one string); SQLite's ambiguity is refused."""
    sql = "SELECT 'a\\', 1; DROP TABLE translations; -- '"
    outcome = await _outcome(console, sql)
    if isinstance(outcome, str):
        assert "Backslashes" in outcome
    else:
        assert outcome.rows == [("a', 1; DROP TABLE translations; -- ",)]
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select * from translations;",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "SHOW TABLES",
    ],
)
def test_the_policy_accepts_plain_reads(sql):
    assert checked_statement(sql, dialect="mysql")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "Enter one"),
        ("SELECT 1; SELECT 2", "Exactly one"),
        ("x" * 20_001, "longer"),
        ("/*!50000 DROP TABLE t*/ SELECT 1", "Executable comments"),
        ("DELETE FROM translations", "only runs SELECT"),
        ("SELECT * INTO OUTFILE '/x' FROM translations", "INTO is not allowed"),
    ],
)
def test_the_policy_says_why_it_refuses(sql, reason):
    with pytest.raises(QueryRefused, match=reason):
        checked_statement(sql, dialect="mysql")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT REPLACE(source_text, 'Haus', 'house') FROM translations",
        "SELECT INSERT(model, 1, 2, 'x') FROM translations",
        "SELECT TRUNCATE(duration_ms / 1000, 1) FROM translations",
    ],
)
def test_string_functions_named_like_writes_are_accepted(sql):
    assert checked_statement(sql, dialect="mysql") == sql


def test_the_policy_removes_comments_from_what_runs():
    assert checked_statement("/* a */ SELECT 1 -- b\n;", dialect="sqlite") == "SELECT 1"


FRAGMENTS = [
    "SELECT", "sElEcT", "WITH", "EXPLAIN", "SHOW", "TABLES", "DESCRIBE", "*", "1", "id", "FROM",
    "translations", "schema_version", "mysql.user", "WHERE", "'x'", "';'", "'a\\'", '"q;"',
    "`t`", ";", "--", "-- c\n", "#", "/*", "*/", "/* c */", "/*!50000", "/*M!1", "/*+", "\n",
    "DROP", "DELETE", "UPDATE", "INSERT", "INTO", "OUTFILE", "LOAD_FILE(", ")", "(", ",",
    "FOR", "SHARE", "@@x", "SLEEP(1)", "UNION", "ALL", "AS", "a", "REPLACE", "TRUNCATE",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12),
    separator=st.sampled_from([" ", "\n", ""]),
    dialect=st.sampled_from(["mysql", "sqlite"]),
)
def test_whatever_the_policy_accepts_is_one_clean_read(parts, separator, dialect):
    """Accepted text is one statement, starts with an allowed word, has no comment or write."""
    try:
        statement = checked_statement(separator.join(parts), dialect=dialect)
    except QueryRefused:
        return
    assert checked_statement(statement, dialect=dialect) == statement
    parsed = [s for s in sqlparse.parse(statement) if s.value.strip()]
    assert len(parsed) == 1
    tokens = [t for t in parsed[0].flatten() if not t.is_whitespace]
    assert tokens[0].value.upper() in ALLOWED_FIRST_WORDS
    for token, after in zip(tokens, [*tokens[1:], None], strict=True):
        assert token.ttype not in T.Comment
        is_call = after is not None and after.value == "("
        if is_call and token.value.upper() in STRING_FUNCTIONS_NAMED_LIKE_WRITES:
            continue
        if token.ttype in T.Keyword or token.ttype is T.Name:
            assert token.value.upper() not in DENIED_WORDS | DENIED_FUNCTIONS
