"""A console result bounded in rows and bytes, the notices saying what was cut, and its CSV.

Cells are rendered to text as they arrive and cut at `max_cell_bytes` (UTF-8); rows stop at
`max_rows` or once the result holds `max_result_bytes`, whichever comes first. The page and the
CSV both carry the same notices, so an export never silently looks complete.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

__all__ = ["BoundedRows", "QueryResult", "format_cell", "notices", "to_csv"]

# OWASP "CSV injection": cells a spreadsheet would run as a formula, also after blanks.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# A spreadsheet that ignores the quotes and splits on ';' (German Excel), ',' or tabs would
# start a new cell after the separator: neutralise a formula there too.
_FORMULA_AFTER_SEPARATOR = re.compile(r"(?<=[\s\S])([;,\t|][ \u00a0]*)(?=[=+\-@\r\n])")
CUT_MARK = "…"


@dataclass(frozen=True)
class QueryResult:
    """Column names and rendered rows, what was cut and why, and the time it took."""

    columns: list[str]
    rows: list[tuple[str, ...]]
    truncated: bool
    elapsed_ms: int
    max_rows: int = 0
    cells_cut: int = 0
    max_cell_bytes: int = 0
    size_cut: bool = False
    max_result_bytes: int = 0


@dataclass
class BoundedRows:
    """Collect rendered rows until a bound is reached; `add` says whether to go on."""

    max_rows: int
    max_cell_bytes: int
    max_result_bytes: int
    rows: list[tuple[str, ...]] = field(default_factory=list)
    size_bytes: int = 0
    cells_cut: int = 0
    rows_cut: bool = False
    size_cut: bool = False

    def add(self, row: tuple[Any, ...]) -> bool:
        """Add one row (rendered, cells cut), or return False: the result is full, stop reading."""
        if len(self.rows) >= self.max_rows:
            self.rows_cut = True
            return False
        cells = tuple(self._cell(value) for value in row)
        row_bytes = sum(len(cell.encode("utf-8", "surrogatepass")) for cell in cells)
        if self.rows and self.size_bytes + row_bytes > self.max_result_bytes:
            self.size_cut = True
            return False
        self.rows.append(cells)
        self.size_bytes += row_bytes
        return True

    def result(self, columns: list[str], elapsed_ms: int) -> QueryResult:
        """Return the collected rows as a QueryResult."""
        return QueryResult(
            columns=columns,
            rows=self.rows,
            truncated=self.rows_cut,
            elapsed_ms=elapsed_ms,
            max_rows=self.max_rows,
            cells_cut=self.cells_cut,
            max_cell_bytes=self.max_cell_bytes,
            size_cut=self.size_cut,
            max_result_bytes=self.max_result_bytes,
        )

    def _cell(self, value: Any) -> str:
        text = format_cell(value)
        if len(text) * 4 <= self.max_cell_bytes:  # short enough whatever the encoding
            return text
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded) <= self.max_cell_bytes:
            return text
        self.cells_cut += 1
        kept = encoded[: self.max_cell_bytes].decode("utf-8", "ignore")
        return f"{kept}{CUT_MARK} [cut: {len(encoded):,} bytes]"


def format_cell(value: Any) -> str:
    """Render one result value as text (NULL as an empty string, bytes as UTF-8 or hex)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + data.hex()
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def notices(result: QueryResult) -> list[str]:
    """Say in plain words what the result leaves out (empty when it is complete)."""
    said = []
    if result.truncated:
        said.append(
            f"Results were cut at {result.max_rows:,} rows. Add a LIMIT or narrow the query."
        )
    if result.size_cut:
        said.append(
            f"Results were cut after {len(result.rows):,} rows: the answer reached the "
            f"{result.max_result_bytes:,}-byte limit."
        )
    if result.cells_cut:
        plural = "s were" if result.cells_cut != 1 else " was"
        said.append(
            f"{result.cells_cut:,} value{plural} cut at {result.max_cell_bytes:,} bytes "
            f"(marked {CUT_MARK} [cut: …]). Use SUBSTR() to read a part."
        )
    return said


def to_csv(result: QueryResult) -> str:
    """Render a result as CSV: every field quoted, formulas neutralised, cuts stated at the end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([_csv_safe(name) for name in result.columns])
    for row in result.rows:
        writer.writerow([_csv_safe(cell) for cell in row])
    for notice in notices(result):
        writer.writerow([_csv_safe(f"[notice] {notice}")])
    return buffer.getvalue()


def _csv_safe(cell: str) -> str:
    # A leading ' makes spreadsheets show the cell as text; checked after leading blanks too,
    # since some spreadsheets trim them before deciding.
    cell = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", cell)
    return "'" + cell if cell.lstrip(" \u00a0").startswith(_FORMULA_PREFIXES) else cell
