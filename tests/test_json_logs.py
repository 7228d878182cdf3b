"""Both services log by one contract: one UTF-8 JSON object per line, with the same keys."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from types import ModuleType

import pytest
from backend import jsonlog as backend_jsonlog
from frontend import jsonlog as frontend_jsonlog
from hypothesis import given
from hypothesis import strategies as st

from testkit.servers import python_env

SERVICES = {"backend": backend_jsonlog, "frontend": frontend_jsonlog}
#: The keys every line has, in this order, before the record's extras.
KEYS = ["time", "level", "logger", "message", "request_id"]
GERMAN = "Größenänderung der Straße übernommen"
#: Where each service's configure_logging lives.
CONFIGURE = {"backend": "backend.logs", "frontend": "frontend.logging_setup"}


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("svc.module", logging.INFO, __file__, 1, "%s", (message,), None)
    made.__dict__.update(extra)
    return made


@pytest.mark.parametrize("jsonlog", SERVICES.values(), ids=SERVICES.keys())
@given(message=st.text(), extra=st.dictionaries(st.from_regex(r"\Ax_[a-z]{1,8}\Z"), st.text()))
def test_any_text_is_one_json_line_with_the_fixed_keys_then_the_extras(
    jsonlog: ModuleType, message: str, extra: dict[str, str]
) -> None:
    line = jsonlog.JsonFormatter().format(record(message, **extra))
    assert len(line.splitlines()) == 1
    entry = json.loads(line)
    assert list(entry) == KEYS + list(extra)
    assert (entry["message"], entry["level"], entry["logger"]) == (message, "INFO", "svc.module")
    assert {key: entry[key] for key in extra} == extra


@pytest.mark.parametrize("jsonlog", SERVICES.values(), ids=SERVICES.keys())
def test_german_text_stays_german(jsonlog: ModuleType) -> None:
    line = jsonlog.JsonFormatter().format(record(GERMAN))
    assert GERMAN in line
    assert "\\u00" not in line


@pytest.mark.parametrize("jsonlog", SERVICES.values(), ids=SERVICES.keys())
def test_the_request_id_is_the_current_requests_or_a_dash(jsonlog: ModuleType) -> None:
    formatter = jsonlog.JsonFormatter()
    assert json.loads(formatter.format(record("x")))["request_id"] == "-"
    token = jsonlog.request_id_var.set("req-7")
    try:
        assert json.loads(formatter.format(record("x")))["request_id"] == "req-7"
    finally:
        jsonlog.request_id_var.reset(token)
    # A record that carries its own id (the backend's request line) keeps it.
    assert json.loads(formatter.format(record("x", request_id="r1")))["request_id"] == "r1"


@pytest.mark.parametrize("jsonlog", SERVICES.values(), ids=SERVICES.keys())
def test_an_exception_is_logged_on_the_same_line(jsonlog: ModuleType) -> None:
    try:
        raise ValueError("kaputt")
    except ValueError:
        failed = logging.LogRecord("svc", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    line = jsonlog.JsonFormatter().format(failed)
    assert len(line.splitlines()) == 1
    assert "ValueError: kaputt" in json.loads(line)["exception"]


@pytest.mark.parametrize("service", CONFIGURE)
def test_configured_logging_writes_utf8_bytes_to_stderr(service: str) -> None:
    """What reaches the container's log is UTF-8, even under the C locale the images may run."""
    code = (
        f"import logging; from {CONFIGURE[service]} import configure_logging; "
        f"configure_logging(); logging.getLogger('svc').warning({GERMAN!r})"
    )
    env = {k: v for k, v in python_env().items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**env, "LC_ALL": "C"}, capture_output=True, check=True
    )
    [line] = result.stderr.splitlines()
    assert GERMAN.encode("utf-8") in line
    assert json.loads(line)["message"] == GERMAN
