"""The article settings read from the environment."""

from __future__ import annotations

import pytest
from frontend.articles.addresses import AllowedHost
from frontend.config import ConfigError, Settings


def test_fetching_defaults_allow_no_private_host():
    settings = Settings.from_env({})
    assert settings.fetch_allow_hosts == ()
    assert settings.max_article_bytes == 5_000_000
    assert settings.articles_per_minute == 10


def test_fetch_allow_hosts_and_limits_come_from_the_environment():
    settings = Settings.from_env(
        {
            "FETCH_ALLOW_HOSTS": "wiki.intranet, 127.0.0.1:8123",
            "MAX_ARTICLE_BYTES": "1_000",
            "FETCH_READ_TIMEOUT_S": "2.5",
            "ARTICLES_PER_MINUTE": "3",
        }
    )
    assert settings.fetch_allow_hosts == (
        AllowedHost("wiki.intranet"),
        AllowedHost("127.0.0.1", 8123),
    )
    assert (settings.max_article_bytes, settings.fetch_read_timeout_s) == (1000, 2.5)
    assert settings.articles_per_minute == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("FETCH_ALLOW_HOSTS", "host:port"), ("MAX_ARTICLE_BYTES", "0"), ("ARTICLES_PER_MINUTE", "0")],
)
def test_unusable_article_settings_are_refused(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
