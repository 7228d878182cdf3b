"""The settings of fetching articles: read by the frontend and by the fetcher service alike."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from frontend.articles.addresses import AllowedHost, parse_allow_hosts
from frontend.articles.fetching import FetchPolicy
from frontend.settings_source import EnvironmentSettings


class FetchSettings(EnvironmentSettings):
    """FETCH_*, MAX_ARTICLE_BYTES, LOG_LEVEL: what the fetcher service reads (docs/articles.md)."""

    # NoDecode: the variable is "host, host:port", not the JSON pydantic-settings wants for tuples.
    fetch_allow_hosts: Annotated[tuple[AllowedHost, ...], NoDecode] = Field(
        (), description='Private hosts the fetcher may still reach ("host" or "host:port")'
    )
    fetch_connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to connect to a site")
    fetch_read_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for each read")
    fetch_total_timeout_s: float = Field(30.0, gt=0, description="Seconds for the whole page")
    max_article_bytes: int = Field(
        5_000_000, ge=1, description="Largest page body read, in bytes (after decompression)"
    )
    log_level: str = Field("INFO", description="Log level name for the JSON logs")

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _parse_allow_hosts(cls, value: Any) -> Any:
        return parse_allow_hosts(value) if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _upper_case_level(cls, value: str) -> str:
        return value.upper()

    @property
    def fetch_policy(self) -> FetchPolicy:
        """Return what the fetcher allows, from these settings."""
        return FetchPolicy(
            allow_hosts=self.fetch_allow_hosts,
            connect_timeout_s=self.fetch_connect_timeout_s,
            read_timeout_s=self.fetch_read_timeout_s,
            total_timeout_s=self.fetch_total_timeout_s,
            max_bytes=self.max_article_bytes,
        )
