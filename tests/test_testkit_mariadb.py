"""The MariaDB fixture fails, not skips, wherever the MySQL dialect was meant to be tested."""

from __future__ import annotations

import pytest

from testkit.mariadb import required


@pytest.mark.parametrize("environ", [{"CI": "true"}, {"REQUIRE_MARIADB": "1"}])
def test_ci_or_an_explicit_request_makes_a_missing_server_a_failure(environ):
    assert required("", environ)
    assert required("not mysql", environ)


@pytest.mark.parametrize("markexpr", ["mysql", "mysql and not slow", "not browser and mysql"])
def test_selecting_the_mysql_marker_asks_for_the_server(markexpr):
    assert required(markexpr, {})


@pytest.mark.parametrize("markexpr", ["", "not mysql", "not browser and not swarm"])
def test_a_plain_local_run_may_skip_it(markexpr):
    assert not required(markexpr, {})
