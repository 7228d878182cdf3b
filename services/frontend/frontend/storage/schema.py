"""The current shape of the tables, as the repository queries them (migrations create them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects import mysql

# MySQL TEXT stops at 64 KiB; translations have no length limit but the configured maximum.
LONG_TEXT = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# SQLite only auto-increments an INTEGER PRIMARY KEY.
ID = BigInteger().with_variant(Integer(), "sqlite")
# Microseconds keep "newest first" stable for translations saved within the same second.
UTC_DATETIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# utf8mb4: German text and pasted emoji need 4-byte UTF-8 (MySQL's "utf8" is 3-byte).
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mariadb_engine": "InnoDB",
    "mariadb_charset": "utf8mb4",
}

metadata = MetaData()

translations = Table(
    "translations",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source_text", LONG_TEXT, nullable=False),
    Column("translated_text", LONG_TEXT, nullable=False),
    Column("source_lang", String(16), nullable=False),
    Column("target_lang", String(16), nullable=False),
    Column("model", String(255), nullable=False),
    Column("engine", String(32), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("characters", Integer, nullable=False),
    Column("words", Integer, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False, index=True),
    # JSON [[source_chars, translated_chars], ...] per segment (migration 2; NULL before it).
    Column("segment_lengths", LONG_TEXT, nullable=True),
    # Migration 3: where an article by URL came from (NULL for pasted text).
    Column("source_url", String(2048), nullable=True),
    Column("title", String(500), nullable=True),
    **MYSQL_TABLE_OPTIONS,
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", UTC_DATETIME, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)
