"""Decide which statements the SQL console accepts: exactly one read-only statement.

This is the first of several locks, for clear messages; the privileges of the read-only account
(or SQLite's read-only connection and authorizer) are what make writes impossible. The statement
is checked token by token with sqlparse's lexer, and the text that runs is rebuilt from the
checked tokens with every comment removed, so the server executes exactly what was checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

import sqlparse
from sqlparse import tokens as T
from sqlparse.sql import Token

MAX_SQL_CHARS = 20_000
ALLOWED_FIRST_WORDS = frozenset({"SELECT", "WITH", "EXPLAIN", "DESCRIBE", "DESC", "SHOW"})
# SHOW reads only the application's own tables; SHOW VARIABLES, GRANTS, PROCESSLIST... are refused.
ALLOWED_SHOW_WORDS = frozenset(
    {"TABLES", "FULL", "COLUMNS", "FIELDS", "INDEX", "INDEXES", "KEYS", "WARNINGS", "ERRORS"}
)
# fmt: off
# Words that write, lock, change the session or reach outside the database.
DENIED_WORDS = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT", "DROP", "CREATE", "ALTER",
    "TRUNCATE", "RENAME", "GRANT", "REVOKE", "SET", "CALL", "DO", "HANDLER", "LOAD", "LOCK",
    "UNLOCK", "INTO", "OUTFILE", "DUMPFILE", "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX",
    "ANALYZE", "OPTIMIZE", "REPAIR", "SHARE", "PREPARE", "EXECUTE", "DEALLOCATE", "KILL",
    "SHUTDOWN", "FLUSH", "RESET", "PURGE", "INSTALL", "UNINSTALL", "BEGIN", "START", "COMMIT",
    "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "USE",
})
# Functions that read files, hold locks across queries, write sequences or load code.
DENIED_FUNCTIONS = frozenset({
    "LOAD_FILE", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK",
    "SETVAL", "NEXTVAL", "LASTVAL", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT",
    "LOAD_EXTENSION", "READFILE", "WRITEFILE", "SYS_EXEC", "SYS_EVAL",
})
# Schemas, catalogues and tables beyond the translations (the grants cover the rest of the
# application's database, so schema_version is refused here).
PROTECTED_NAMES = frozenset({
    "mysql", "information_schema", "performance_schema", "sys", "schema_version",
    "sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema",
})
# fmt: on
# REPLACE(s, a, b), INSERT(s, pos, len, t) and TRUNCATE(x, d) are functions when a '(' follows.
STRING_FUNCTIONS_NAMED_LIKE_WRITES = frozenset({"REPLACE", "INSERT", "TRUNCATE"})
_EXECUTABLE_COMMENT = re.compile(r"^/\*(M?!|\+)")


class QueryError(Exception):
    """The console could not answer; the message is short, safe to show and has no trace."""


class QueryRefused(QueryError):
    """The statement is not one the console runs (it was never sent to the database)."""


def checked_statement(sql: str, *, dialect: str) -> str:
    """Return the single read-only statement to run, comments removed, or raise QueryRefused."""
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"The statement is longer than {MAX_SQL_CHARS} characters.")
    try:
        statements = [s for s in sqlparse.parse(sql) if _significant(s.flatten())]
    except Exception as error:  # sqlparse's own limits (nesting depth, token count)
        raise QueryRefused("The statement could not be parsed.") from error
    if not statements:
        raise QueryRefused("Enter one SELECT statement.")
    if len(statements) > 1:
        raise QueryRefused("Exactly one statement is allowed (found several separated by ';').")
    tokens = list(statements[0].flatten())
    while tokens and (_is_semicolon(tokens[-1]) or not _significant(tokens[-1:])):
        if _EXECUTABLE_COMMENT.match(tokens[-1].value):
            break  # refused below, with its own message
        tokens.pop()  # the optional terminating ';' and the blanks and comments around it
    if any(_is_semicolon(t) for t in tokens):
        raise QueryRefused("Exactly one statement is allowed.")
    words = [t for t in tokens if _significant([t])]
    _check_first_words(words)
    calls = {id(word) for word, after in pairwise(words) if after.value == "("}
    return "".join(_checked_text(t, dialect, id(t) in calls) for t in tokens).strip()


def _is_semicolon(token: Token) -> bool:
    return token.ttype is T.Punctuation and token.value == ";"


def _significant(tokens: Iterable[Token]) -> bool:
    """Tell whether the tokens hold anything but blanks, comments and ';'."""
    return any(
        not t.is_whitespace and t.ttype not in T.Comment and not _is_semicolon(t) for t in tokens
    )


def _check_first_words(words: list[Token]) -> None:
    first = words[0].value.upper()
    if first not in ALLOWED_FIRST_WORDS:
        raise QueryRefused(
            f"{first[:30]} is not allowed: the console only runs SELECT, WITH … SELECT, "
            "EXPLAIN, SHOW and DESCRIBE."
        )
    if first == "SHOW" and (len(words) < 2 or words[1].value.upper() not in ALLOWED_SHOW_WORDS):
        raise QueryRefused("Only SHOW TABLES, SHOW COLUMNS, SHOW INDEX and SHOW WARNINGS run here.")


def _checked_text(token: Token, dialect: str, is_call: bool) -> str:
    """Return the text of one token to run, or raise QueryRefused if the token is not allowed."""
    value = token.value
    if is_call and value.upper() in STRING_FUNCTIONS_NAMED_LIKE_WRITES:
        return value
    if token.ttype in T.Comment:
        if token.ttype is T.Comment.Multiline.Hint or _EXECUTABLE_COMMENT.match(value):
            raise QueryRefused(
                "Executable comments (/*! … */) and optimizer hints are not allowed."
            )
        return "\n" if token.ttype in T.Comment.Single else " "
    if token.ttype is T.Error:
        raise QueryRefused(f"Unexpected character {value[:10]!r}.")
    if token.ttype in T.Operator and value in ("#", "@@"):
        raise QueryRefused("'#' comments and @@system variables are not allowed.")
    if token.ttype in T.String.Single and dialect == "sqlite" and "\\" in value:
        # SQLite does not treat backslash as an escape, the lexer does: refuse the ambiguity.
        raise QueryRefused("Backslashes in string literals are not allowed here.")
    is_name = token.ttype in T.Name or token.ttype in T.String.Symbol
    if is_name and value.strip('`"[]').lower() in PROTECTED_NAMES:
        raise QueryRefused("Only the application's tables can be read from the console.")
    if token.ttype in T.Keyword or token.ttype is T.Name:
        word = " ".join(value.upper().split())
        if word in DENIED_WORDS or word.split(" ", 1)[0] in DENIED_WORDS:
            raise QueryRefused(f"{word} is not allowed: the console only reads.")
        if word in DENIED_FUNCTIONS:
            raise QueryRefused(f"{word} is not allowed in the console.")
    return value
