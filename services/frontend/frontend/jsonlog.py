"""One JSON object per log line: the contract both services log by.

The same file is in each image (services/backend/backend/jsonlog.py and
services/frontend/frontend/jsonlog.py; tests/test_json_logs.py keeps them identical). Every line
has the keys time, level, logger, message and request_id, then the record's extras, then
exception when there is one. Text stays UTF-8 (German logs as German, not \\u escapes).
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar

#: The id of the request being handled, for lines logged while it runs; "-" outside requests.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

#: Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged.
#: (uvicorn adds "color_message", a copy of the message with terminal colours.)
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
#: Characters that str.splitlines() and some log shippers take for line ends although JSON
#: allows them raw in strings: escaped, so that one record is always one line.
_LINE_SEPARATORS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: the fixed keys, then its extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one JSON line, non-ASCII text as it is."""
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        line = json.dumps(entry, default=str, ensure_ascii=False)
        for separator, escape in _LINE_SEPARATORS.items():
            line = line.replace(separator, escape)
        return line
