"""The SQL console attacked: each attempt is stopped, and by the lock meant to stop it.

Every attack runs against SQLite and the real MariaDB; the stored rows (count and checksum)
are compared before and after. Each test names the safeguard that must refuse: the statement
policy (QueryRefused, never sent), the database's limits (QueryFailed: timeout, value length,
heap), or the read-only account's grants (a permission error when the policy is bypassed).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections import Counter

import psutil
import pytest
import sqlglot
from frontend.sqlconsole import QueryFailed, QueryRefused
from frontend.sqlpolicy import ALLOWED_TABLES, DENIED_FUNCTIONS, checked_statement
from frontend.storage import database
from frontend.storage.schema import translations
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlglot import exp

# (statement, words of the policy's refusal): refused before anything reaches the database.
POLICY_REFUSALS = [
    ("INSERT INTO translations (source_text) VALUES ('x')", "only runs SELECT"),
    ("REPLACE INTO translations (id, source_text) VALUES (1, 'x')", "only runs SELECT"),
    ("UPDATE translations SET source_text = 'pwned'", "only runs SELECT"),
    ("DELETE FROM translations", "only runs SELECT"),
    ("DROP TABLE translations", "only runs SELECT"),
    ("TRUNCATE TABLE translations", "only runs SELECT"),
    ("ALTER TABLE translations ADD COLUMN pwned INT", "only runs SELECT"),
    ("CREATE TABLE pwned (id INT)", "only runs SELECT"),
    ("GRANT ALL PRIVILEGES ON *.* TO 'ut_readonly'@'%'", "only runs SELECT"),
    ("sElEcT 1; dRoP tAbLe translations", "Exactly one"),
    ("SELECT ';'; DELETE FROM translations", "Exactly one"),
    ("SELECT 1 AS $$ ; DELETE FROM translations; SELECT $$", "Exactly one"),
    ("/*!50000 DROP TABLE translations*/ SELECT 1", "Executable comments"),
    ("SELECT 1 /*!50000 ; DELETE FROM translations */", "Executable comments"),
    ("/*M!100000 DELETE FROM translations */ SELECT 1", "Executable comments"),
    ("SELECT /*+ MAX_EXECUTION_TIME(100000) */ 1", "hints"),
    ("SELECT 1 -- \n; DELETE FROM translations", "Exactly one"),
    ("WITH x AS (SELECT 1) DELETE FROM translations", "only"),
    ("EXPLAIN DELETE FROM translations", "EXPLAIN|only reads"),
    ("EXPLAIN ANALYZE SELECT * FROM translations", "ANALYZE|parse"),
    ("SELECT * FROM translations INTO OUTFILE '/tmp/ut-console-pwned.txt'", "parse"),
    ("SELECT * INTO DUMPFILE '/tmp/ut-console-pwned.bin' FROM translations", "parse"),
    ("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"),
    ("SELECT lOaD_fIlE('/etc/passwd')", "LOAD_FILE"),
    ("SELECT * FROM translations FOR UPDATE", "LOCK"),
    ("SELECT * FROM translations LOCK IN SHARE MODE", "LOCK"),
    ("SELECT GET_LOCK('ut_migrations', 0)", "GET_LOCK"),
    ("SELECT get_lock('ut_migrations', 0) FROM translations", "GET_LOCK"),
    ("SELECT translations.GET_LOCK('ut_migrations', 0)", "GET_LOCK"),
    ("SELECT IS_USED_LOCK('ut_migrations')", "IS_USED_LOCK"),
    ("SELECT RELEASE_ALL_LOCKS()", "RELEASE_ALL_LOCKS"),
    ("SELECT MASTER_POS_WAIT('log', 4)", "MASTER_POS_WAIT"),
    ("SET SESSION max_statement_time = 0", "only runs SELECT"),
    ("SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(100)", "only runs SELECT"),
    ("SET @@session.max_statement_time = 0", "only runs SELECT"),
    ("SELECT 1 AS $$, @@datadir AS $$", "Variables"),
    ("SELECT @@datadir", "Variables"),
    ("SELECT @@GLOBAL.max_statement_time", "Variables"),
    ("SELECT @@session.max_statement_time", "Variables"),
    ("SELECT @a := 1", "Variables"),
    ("SELECT @a", "Variables"),
    ("SELECT id FROM translations WHERE id = ?", "Variables"),
    ("PRAGMA query_only = OFF", "PRAGMA"),
    ("ATTACH DATABASE '/tmp/ut-console-pwned.db' AS pwned", "ATTACH|parse"),
    ("HANDLER translations OPEN", "parse"),
    ("CALL mysql.rds_kill(1)", "CALL|parse"),
    ("LOAD DATA INFILE '/etc/passwd' INTO TABLE translations", "LOAD|parse"),
    ("SELECT * FROM mysql.user", "application's tables"),
    ("SELECT user, password FROM `mysql`.`user`", "application's tables"),
    ("SELECT table_name FROM information_schema.tables", "application's tables"),
    ("SELECT * FROM INFORMATION_SCHEMA.PROCESSLIST", "application's tables"),
    ("SELECT * FROM performance_schema.threads", "application's tables"),
    ("SELECT * FROM sqlite_master", "application's tables"),
    ("SELECT * FROM schema_version", "application's tables"),
    ("SELECT * FROM pragma_table_info('translations')", "application's tables"),
    ("WITH t AS (SELECT * FROM mysql.user) SELECT * FROM t", "application's tables"),
    ("SHOW GRANTS", "Only SHOW|SHOW is not allowed"),
    ("SHOW DATABASES", "Only SHOW|SHOW is not allowed"),
    ("SHOW VARIABLES", "Only SHOW|SHOW is not allowed"),
    ("SHOW PROCESSLIST", "Only SHOW|SHOW is not allowed"),
    ("DESCRIBE mysql.user", "application's tables"),
    # SQLite's printf loops over its width inside one opcode (~15 s): no interrupt stops it.
    ("SELECT replace(printf('%.*c', 999999999, 'x'), 'x', 'yy')", "printf"),
    ("SELECT printf('%.*c', 5000000, 'x')", "printf"),
    ("SELECT printf('%*c', 999999999, 'x')", "printf"),
    ("SELECT printf('%-99999999c', 'x')", "printf"),
    ("SELECT printf('%.99999999s', source_text) FROM translations", "printf"),
    ("SELECT printf('%#0.*x', 999999999, 1)", "printf"),
    ("SELECT printf(source_text, 1) FROM translations", "literal format"),
]
# Runs, and the statement timeout stops it (server-side on MariaDB, progress handler on SQLite).
TIME_BOMBS = [
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
    " SELECT COUNT(*) FROM n AS a, n AS b, n AS c",
    "SELECT COUNT(*) FROM " + ", ".join(f"translations t{i}" for i in range(24)),  # noqa: S608
]
# SQLite: a value over SQLITE_LIMIT_LENGTH, or a heap over the hard limit, fails at once.
SQLITE_MEMORY_BOMBS = [
    "SELECT randomblob(999999999)",
    "SELECT randomblob(999999999) FROM translations",
    "SELECT zeroblob(300000000) FROM translations LIMIT 3",
    "SELECT hex(zeroblob(200000000))",
    "SELECT replace(replace(replace(printf('%.9999c', 'x'), 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx'),"
    " 'x', 'xxxxxxxxxx')",
    "SELECT length(replace(hex(zeroblob(4000000)), '0', '00000000'))",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
    " SELECT group_concat(hex(randomblob(100000)), '') FROM n",
    "SELECT replace(replace(hex(zeroblob(1000000)), '0', 'xx'), 'x', 'yyyy')",
]
# MariaDB: each value is capped by max_allowed_packet (a global the session cannot raise):
# the function returns NULL with a warning.
MARIADB_MEMORY_BOMBS = [
    "SELECT REPEAT('x', 999999999)",
    "SELECT RPAD('x', 999999999, 'y') FROM translations",
    "SELECT LPAD('', 300000000, 'z') FROM translations LIMIT 3",
    "SELECT REPLACE(REPEAT('x', 10000000), 'x', 'xxxxxxxxxxxxxxxxxxxxx')",
    "SELECT CONCAT(REPEAT('a', 20000000), REPEAT('b', 20000000))",
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
# MySQL error numbers of the two server-side safeguards (a syntax error, 1064, is neither).
MYSQL_TABLE_ACCESS_DENIED = 1142  # ER_TABLEACCESS_DENIED_ERROR: the account's grants
MYSQL_READ_ONLY_TRANSACTION = 1792  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: the session
# The grants' other refusals: no FILE/SUPER privilege (1227), GRANT to itself (1045).
MYSQL_PERMISSION_ERRORS = {MYSQL_TABLE_ACCESS_DENIED, 1227, 1045}
# RSS growth one bomb may cause in this process (SQLite's heap cap is 128 MiB).
MAX_RSS_GROWTH_BYTES = 200 * 1024 * 1024


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


@pytest.mark.parametrize(("sql", "reason"), POLICY_REFUSALS)
async def test_the_policy_refuses_the_attack_before_the_database_sees_it(
    console, migrated_engine, stored, sql, reason
):
    with pytest.raises(QueryRefused, match=reason):
        await console.run(sql, timeout_s=1.5)
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.parametrize("sql", TIME_BOMBS)
async def test_the_timeout_stops_a_long_statement_within_a_second(
    console, migrated_engine, stored, sql
):
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="longer than the 1 s limit"):
        await console.run(sql, timeout_s=1.0)
    assert time.monotonic() - started < 2.0
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
@pytest.mark.parametrize(
    "sql", ["SELECT SLEEP(100)", "SELECT BENCHMARK(10000000000, SHA2('x', 512))"]
)
async def test_mariadbs_own_timeout_stops_sleep_and_benchmark(console, sql):
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="limit"):
        await console.run(sql, timeout_s=1.0)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
@pytest.mark.parametrize("sql", SQLITE_MEMORY_BOMBS)
async def test_sqlites_limits_stop_a_memory_bomb_at_once(console, migrated_engine, stored, sql):
    rss_before = psutil.Process().memory_info().rss
    started = time.monotonic()
    with pytest.raises(QueryFailed, match=r"too big|out of memory") as caught:
        await console.run(sql, timeout_s=5.0)
    assert time.monotonic() - started < 2.0, caught.value
    assert psutil.Process().memory_info().rss - rss_before < MAX_RSS_GROWTH_BYTES
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
@pytest.mark.parametrize("sql", MARIADB_MEMORY_BOMBS)
async def test_mariadbs_packet_limit_bounds_a_memory_bomb(console, migrated_engine, stored, sql):
    rss_before = psutil.Process().memory_info().rss
    started = time.monotonic()
    outcome = await _outcome(console, sql)
    if isinstance(outcome, str):
        assert "limit" in outcome or "max_allowed_packet" in outcome
    else:
        assert all(len(cell) <= 65_536 + 64 for row in outcome.rows for cell in row)
    assert time.monotonic() - started < 4.0
    assert psutil.Process().memory_info().rss - rss_before < MAX_RSS_GROWTH_BYTES
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_a_refused_set_leaves_the_server_timeout_in_force(console, db_target):
    with pytest.raises(QueryRefused):
        await console.run("SET SESSION max_statement_time = 0")
    started = time.monotonic()
    with pytest.raises(QueryFailed, match="limit"):
        await console.run("SELECT SLEEP(5)", timeout_s=1.0)
    assert time.monotonic() - started < 2.0


@pytest.mark.mysql
@pytest.mark.parametrize("db_target", ["mariadb"], indirect=True)
async def test_no_lock_is_left_held_by_the_consoles_connections(console, db_target):
    """GET_LOCK needs no privilege: the policy is what keeps migrations' lock free."""
    for sql in ("SELECT GET_LOCK('ut_migrations', 0)", "SELECT 1, GET_LOCK('ut_migrations', 0)"):
        with pytest.raises(QueryRefused):
            await console.run(sql)
    held = db_target.server.admin("SELECT IS_USED_LOCK('ut_migrations')").strip()
    assert held == "NULL"


async def _outcome(console, sql: str):
    """Return the result, or the failure's message (QueryFailed only; a refusal fails the test)."""
    try:
        return await console.run(sql, timeout_s=3.0)
    except QueryFailed as error:
        return str(error)


async def _write_through(engine, sql: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(sql))
        await conn.commit()


def _error_code(error: DBAPIError) -> int:
    """Return the driver's error code: SQLite's primary result code, MySQL's error number."""
    driver_error = error.orig
    if isinstance(driver_error, sqlite3.Error):
        return driver_error.sqlite_errorcode & 0xFF
    return int(driver_error.args[0])


@pytest.mark.parametrize("sql", DIRECT_WRITES)
async def test_the_read_only_connection_itself_cannot_write(
    readonly_engine, migrated_engine, stored, db_target, sql
):
    """Bypassing the policy, the console's own connection still refuses to write.

    SQLite: the connection's authorizer (SQLITE_AUTH), before mode=ro or query_only are reached.
    MariaDB: the account's grants or the session's READ ONLY transactions; never a syntax error.
    """
    with pytest.raises(DBAPIError) as caught:
        await _write_through(readonly_engine, sql)
    if db_target.kind == "sqlite":
        assert _error_code(caught.value) == sqlite3.SQLITE_AUTH, caught.value
    else:
        assert _error_code(caught.value) in {
            MYSQL_TABLE_ACCESS_DENIED,
            MYSQL_READ_ONLY_TRANSACTION,
        }, caught.value
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
        with pytest.raises(DBAPIError, match="denied") as caught:
            await _write_through(engine, sql)
    finally:
        await engine.dispose()
    assert _error_code(caught.value) in MYSQL_PERMISSION_ERRORS, caught.value
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


async def test_quotes_are_read_as_the_database_reads_them(
    console, migrated_engine, stored, db_target
):
    """MySQL: one string with an escaped quote. SQLite: no escapes, so a second statement."""
    sql = "SELECT 'a\\', 1; DROP TABLE translations; -- '"
    if db_target.kind == "sqlite":
        with pytest.raises(QueryRefused, match="Exactly one"):
            await console.run(sql)
    else:
        result = await console.run(sql)
        assert result.rows == [("a', 1; DROP TABLE translations; -- ",)]
    assert await _fingerprint(migrated_engine) == stored


async def test_double_quotes_cannot_hide_a_statement(console, migrated_engine, stored, db_target):
    """SQLite: "a\\" is a name, so ';' ends the statement. MySQL: one string, run as such."""
    sql = 'SELECT "a\\", 1; DELETE FROM translations; -- "'
    if db_target.kind == "sqlite":
        with pytest.raises(QueryRefused, match="Exactly one"):
            await console.run(sql)
    else:
        result = await console.run(sql)
        assert result.rows == [('a", 1; DELETE FROM translations; -- ',)]
    assert await _fingerprint(migrated_engine) == stored


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select * from translations;",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "SELECT REPLACE(source_text, 'Haus', 'house') FROM translations",
        "SELECT INSERT(model, 1, 2, 'x') FROM translations",
        "SELECT TRUNCATE(duration_ms / 1000, 1) FROM translations",
        "SHOW TABLES",
        "SHOW COLUMNS FROM translations",
        "EXPLAIN SELECT * FROM translations",
        "SELECT 1 AS $$",
    ],
)
def test_the_policy_accepts_plain_reads(sql):
    assert checked_statement(sql, dialect="mysql")


def test_the_policy_removes_comments_from_what_runs():
    assert checked_statement("/* a */ SELECT 1 -- b\n;", dialect="sqlite") == "SELECT 1"


def test_overlong_and_empty_statements_are_refused():
    with pytest.raises(QueryRefused, match="longer"):
        checked_statement("SELECT 1 " + " " * 20_000, dialect="mysql")
    with pytest.raises(QueryRefused, match="Enter one"):
        checked_statement(" ; -- nothing", dialect="mysql")


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(QueryRefused):
        checked_statement("SELECT " + "(" * 5000 + "1" + ")" * 5000, dialect="sqlite")


FRAGMENTS = [
    "SELECT", "sElEcT", "WITH", "EXPLAIN", "SHOW", "TABLES", "DESCRIBE", "*", "1", "id", "FROM",
    "translations", "schema_version", "mysql.user", "WHERE", "'x'", "';'", "'a\\'", '"q;"',
    '"a\\"', "$$", "`t`", ";", "--", "-- c\n", "#", "/*", "*/", "/* c */", "/*!50000", "/*M!1",
    "/*+", "\n", "DROP", "DELETE", "UPDATE", "INSERT", "INTO", "OUTFILE", "LOAD_FILE(",
    "GET_LOCK(", ")", "(", ",", "FOR", "UPDATE", "SHARE", "@@x", "@x", ":=", "?", "SET",
    "SLEEP(1)", "UNION", "ALL", "AS", "a", "REPLACE", "TRUNCATE", "randomblob(9)",
]  # fmt: skip


# Reads the policy accepts, split in words: fragments inserted among them keep many candidates
# valid, so that the property sees acceptances as well as refusals.
PLAIN_READS = [
    "SELECT 1",
    "SELECT * FROM translations",
    "SELECT id , source_text FROM translations WHERE id = 1",
    "WITH a AS ( SELECT 1 ) SELECT * FROM a",
    "SELECT 'x' AS a UNION ALL SELECT 'y'",
    "SHOW TABLES",
    "EXPLAIN SELECT * FROM translations",
]


@st.composite
def candidate_words(draw: st.DrawFn) -> list[str]:
    """Draw a soup of fragments, or a plain read with fragments inserted among its words."""
    fragments = st.sampled_from(FRAGMENTS)
    if draw(st.booleans()):
        return draw(st.lists(fragments, min_size=1, max_size=12))
    words = draw(st.sampled_from(PLAIN_READS)).split()
    for _ in range(draw(st.integers(0, 3))):
        words.insert(draw(st.integers(0, len(words))), draw(fragments))
    return words


def test_whatever_the_policy_accepts_is_one_clean_read():
    """Accepted text parses back to one read with no write, lock, variable or foreign table.

    The property counts what the policy accepted and refused: a policy that refused everything
    would pass the checks vacuously, so both outcomes must have been seen many times.
    """
    outcomes: Counter[str] = Counter()

    @settings(max_examples=400, deadline=None)
    @given(
        parts=candidate_words(),
        separator=st.sampled_from([" ", "\n", ""]),
        dialect=st.sampled_from(["mysql", "sqlite"]),
    )
    def accepted_text_is_a_clean_read(parts, separator, dialect):
        try:
            statement = checked_statement(separator.join(parts), dialect=dialect)
        except QueryRefused:
            outcomes["refused"] += 1
            event("refused")
            return
        outcomes["accepted"] += 1
        event("accepted")
        _assert_one_clean_read(statement, dialect)

    accepted_text_is_a_clean_read()
    assert outcomes["accepted"] >= 20, outcomes
    assert outcomes["refused"] >= 20, outcomes


def _assert_one_clean_read(statement: str, dialect: str) -> None:
    assert checked_statement(statement, dialect=dialect) == statement
    # What EXPLAIN [QUERY PLAN] is followed by must itself be a clean read.
    trees = sqlglot.parse(re.sub(r"^EXPLAIN (QUERY PLAN )?", "", statement), read=dialect)
    assert len(trees) == 1
    tree = trees[0]
    assert isinstance(tree, exp.Select | exp.SetOperation | exp.Describe | exp.Show)
    assert "/*" not in statement
    assert "--" not in statement.replace("'--'", "")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        assert not isinstance(node, exp.SessionParameter | exp.Parameter | exp.Placeholder)
        assert not isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Lock | exp.Set)
        if isinstance(node, exp.Table):
            assert node.name.lower() in ALLOWED_TABLES | ctes
        if isinstance(node, exp.Anonymous):
            assert node.name.upper() not in DENIED_FUNCTIONS
