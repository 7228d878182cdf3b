"""Decide which statements the SQL console accepts: one read of the application's tables.

The statement is parsed by sqlglot in the dialect of the database in use (MySQL and SQLite
quote differently: `$$` is a name in MySQL, `"a\\"` a name in SQLite) and checked on the syntax
tree: its root, every table, every function, every variable. What runs is not the operator's
text but SQL *generated from the checked tree* without comments, so the server cannot read
the text differently from the check (no lexer tricks: a string that ends elsewhere, an
executable comment, a second statement hidden in a literal).

This is the first of several locks, for clear messages; the read-only account (or SQLite's
read-only connection and authorizer) is what makes writes impossible, and frontend.sqlconsole
bounds time, memory and size.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import ErrorLevel, exp
from sqlglot.dialects import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token

__all__ = [
    "ALLOWED_TABLES",
    "DENIED_FUNCTIONS",
    "MAX_SQL_CHARS",
    "QueryError",
    "QueryRefused",
    "checked_statement",
    "parser_dialect",
]

MAX_SQL_CHARS = 20_000
#: The tables the console reads (besides the statement's own CTEs).
ALLOWED_TABLES = frozenset({"translations"})
# SHOW reads only the application's own tables; SHOW VARIABLES, GRANTS, PROCESSLIST... are refused.
ALLOWED_SHOW_KINDS = frozenset(
    {"TABLES", "COLUMNS", "FIELDS", "INDEX", "INDEXES", "KEYS", "WARNINGS", "ERRORS"}
)
# fmt: off
#: Functions that hold locks beyond the statement, read files, wait on replication, write
#: sequences or load code: none can be bounded by the statement's timeout or the grants.
DENIED_FUNCTIONS = frozenset({
    "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK",
    "LOAD_FILE", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT",
    "WAIT_FOR_EXECUTED_GTID_SET",
    "SETVAL", "NEXTVAL", "LASTVAL", "LOAD_EXTENSION", "READFILE", "WRITEFILE", "EDIT",
    "SYS_EXEC", "SYS_EVAL", "FTS3_TOKENIZER", "NAME_CONST",
})
# fmt: on
# Nodes that change something, or the session, or are sqlglot's "could not parse" fallback.
_DENIED_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "TruncateTable",
        "Command",
        "Set",
        "SetItem",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "Pragma",
        "Kill",
        "Copy",
        "LoadData",
        "Grant",
        "Revoke",
        "Into",
        "Lock",
        "Hint",
        "Cache",
        "Uncache",
        "Refresh",
        "Analyze",
        "Summarize",
        "Execute",
        "Declare",
    )
    if hasattr(exp, name)
)  # fmt: skip
# @@system and @user variables, := assignments and ? placeholders: session state or input.
_VARIABLE_NODES = (exp.SessionParameter, exp.Parameter, exp.Placeholder, exp.PropertyEQ)
_ROOTS = (exp.Select, exp.SetOperation, exp.Describe, exp.Show)
_FORMAT_FUNCTIONS = frozenset({"PRINTF", "FORMAT"})
# A width or precision from an argument (*) or of five digits or more.
_WIDE_FORMAT = re.compile(r"%[-+ 0#,!]*(\*|\d{5,})|%[-+ 0#,!]*\d*\.(\*|\d{5,})")
_QUERY_PLAN = re.compile(r"\s*QUERY\s+PLAN\b", re.IGNORECASE)
# MySQL's /*! … */ and MariaDB's /*M! … */ run their content; /*+ … */ are optimizer hints.
_EXECUTABLE_COMMENT_STARTS = ("!", "M!", "+")


class QueryError(Exception):
    """The console could not answer; the message is short, safe to show and has no trace."""


class QueryRefused(QueryError):
    """The statement is not one the console runs (it was never sent to the database)."""


def parser_dialect(engine_dialect: str) -> str:
    """Return sqlglot's dialect for an SQLAlchemy dialect name (MariaDB parses as MySQL)."""
    return "sqlite" if engine_dialect == "sqlite" else "mysql"


def checked_statement(sql: str, *, dialect: str) -> str:
    """Return the SQL to run for `sql`'s single read, generated from its checked tree."""
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"The statement is longer than {MAX_SQL_CHARS} characters.")
    read = parser_dialect(dialect)
    tokens = _tokens(sql, read)
    prefix, sql = _sqlite_explain(sql, tokens) if read == "sqlite" else ("", sql)
    try:
        statements = [
            tree
            for tree in sqlglot.parse(sql, read=read)
            if tree is not None and not isinstance(tree, exp.Semicolon)
        ]
    except SqlglotError as error:
        raise QueryRefused(f"The statement could not be parsed: {_first_line(error)}") from None
    except RecursionError:
        raise QueryRefused("The statement is nested too deeply.") from None
    if not statements:
        raise QueryRefused("Enter one SELECT statement.")
    if len(statements) > 1:
        raise QueryRefused("Exactly one statement is allowed (found several separated by ';').")
    tree = statements[0]
    if prefix and not isinstance(tree, exp.Query):
        raise QueryRefused("EXPLAIN is followed by one SELECT here.")
    _check_root(tree)
    _check_nodes(tree)
    try:
        return prefix + tree.sql(dialect=read, comments=False, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as error:
        raise QueryRefused(f"Not supported here: {_first_line(error)}") from None
    except RecursionError:
        raise QueryRefused("The statement is nested too deeply.") from None


def _tokens(sql: str, read: str) -> list[Token]:
    """Tokenize in the dialect and refuse executable comments and hints (they are not dropped
    silently: the operator should know the statement is not what it seems)."""
    try:
        tokens: list[Token] = Dialect.get_or_raise(read).tokenize(sql)
    except SqlglotError as error:
        raise QueryRefused(f"The statement could not be read: {_first_line(error)}") from None
    for token in tokens:
        if token.token_type == sqlglot.TokenType.HINT:
            raise QueryRefused("Optimizer hints (/*+ … */) are not allowed.")
        for comment in token.comments:
            if comment.lstrip().startswith(_EXECUTABLE_COMMENT_STARTS):
                raise QueryRefused(
                    "Executable comments (/*! … */) and optimizer hints are not allowed."
                )
    return tokens


def _sqlite_explain(sql: str, tokens: list[Token]) -> tuple[str, str]:
    """Split SQLite's EXPLAIN [QUERY PLAN] off the statement (sqlglot cannot parse it)."""
    if not tokens or tokens[0].text.upper() != "EXPLAIN":
        return "", sql
    rest = sql[tokens[0].end + 1 :]
    query_plan = _QUERY_PLAN.match(rest)
    if query_plan:
        return "EXPLAIN QUERY PLAN ", rest[query_plan.end() :]
    return "EXPLAIN ", rest


def _check_root(tree: exp.Expr) -> None:
    if not isinstance(tree, _ROOTS) or isinstance(tree, _DENIED_NODES):
        # sqlglot's Command keeps the statement's first word: say SHOW, not COMMAND.
        word = str(tree.this if isinstance(tree, exp.Command) else tree.key).upper()
        raise QueryRefused(
            f"{word[:30]} is not allowed: the console only runs SELECT, WITH … SELECT, "
            "EXPLAIN, SHOW and DESCRIBE."
        )
    if isinstance(tree, exp.Describe) and tree.args.get("style"):
        raise QueryRefused("EXPLAIN ANALYZE runs the statement; use plain EXPLAIN.")
    if isinstance(tree, exp.Show):
        _check_show(tree)


def _check_show(show: exp.Show) -> None:
    kind = str(show.this or "").upper()
    if kind not in ALLOWED_SHOW_KINDS:
        raise QueryRefused("Only SHOW TABLES, SHOW COLUMNS, SHOW INDEX and SHOW WARNINGS run here.")
    extras = {k for k, v in show.args.items() if v not in (None, False)}
    extras -= {"this", "target", "full", "like"}
    target = show.args.get("target")
    if extras or (target is not None and target.name.lower() not in ALLOWED_TABLES):
        raise QueryRefused("Only the application's tables can be read from the console.")


def _check_nodes(tree: exp.Expr) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if node is not tree and isinstance(node, _DENIED_NODES):
            raise QueryRefused(f"{node.key.upper()[:30]} is not allowed: the console only reads.")
        if isinstance(node, _VARIABLE_NODES):
            raise QueryRefused("Variables (@@system, @user, :=) and placeholders are not allowed.")
        if isinstance(node, exp.Table):
            _check_table(node, ctes)
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
            if name in DENIED_FUNCTIONS:
                raise QueryRefused(f"{name[:40]} is not allowed in the console.")
            if name in _FORMAT_FUNCTIONS:
                _check_format(node)


def _check_format(call: exp.Func) -> None:
    """Refuse printf/format widths that SQLite would loop over for seconds in one opcode.

    SQLite's printf('%.*c', 999999999, 'x') fails the length limit only after writing every
    character (about 15 s), and no interrupt stops one function call: the format must be a
    literal with widths and precisions of at most four digits.
    """
    fmt = call.this if isinstance(call, exp.Format) else (call.expressions or [None])[0]
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise QueryRefused("printf() and format() need a literal format string here.")
    if _WIDE_FORMAT.search(fmt.this):
        raise QueryRefused("printf() widths and precisions must be literal and below 10,000.")


def _check_table(table: exp.Table, ctes: set[str]) -> None:
    qualified = table.args.get("db") is not None or table.args.get("catalog") is not None
    named = isinstance(table.this, exp.Identifier)
    name = table.name.lower()
    if qualified or not named or name not in ALLOWED_TABLES | ctes:
        raise QueryRefused("Only the application's tables can be read from the console.")


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
