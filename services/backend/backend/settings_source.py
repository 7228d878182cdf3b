"""Read a pydantic-settings class from one environment mapping: NAME, and NAME_FILE for secrets.

Both services' settings are built directly by the tests (as many as they like, never picking up
the developer's shell), so only ``from_env`` reads an environment, and it takes the mapping to
read: the process's by default. Each image is built from its own folder, so this module is copied
into both (tests/test_copied_modules.py keeps the copies equal).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import GetCoreSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, ErrorDetails, core_schema
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class ConfigError(ValueError):
    """The environment does not describe a usable configuration."""


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """Return the secret value (only where it is actually needed)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: object, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Accept a Secret as it is, and wrap a plain string (from the environment) in one."""
        from_text = core_schema.no_info_after_validator_function(cls, core_schema.str_schema())
        return core_schema.union_schema([core_schema.is_instance_schema(cls), from_text])


class EnvironmentSettings(BaseSettings):
    """Settings built from keyword arguments only; `from_env` reads them from an environment."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Take only what the caller passes: `from_env` is the one door from the environment."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Build the settings from `environ` (default: the process's); raise ConfigError."""
        env = os.environ if environ is None else environ
        # A NAME_FILE secret wins over NAME, as the Docker images' entrypoints have it.
        values = {**_Environment(cls, env)(), **_SecretFiles(cls, env)()}
        try:
            return cls(**values)
        except ValidationError as error:
            raise ConfigError(describe(error)) from None


class _Environment(EnvSettingsSource):
    """pydantic-settings' own environment source, over the given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The hook pydantic-settings' dotenv source overrides too; names match in any case.
        return {name.lower(): value for name, value in self._environ.items()}


class _SecretFiles(PydanticBaseSettingsSource):
    """Each Secret field from the file NAME_FILE names, one trailing newline stripped."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Return the secret read from NAME_FILE, or None when that variable is not set."""
        variable = f"{field_name.upper()}_FILE"
        path = self._environ.get(variable)
        if not path:
            return None, field_name, False
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"{variable} cannot be read: {error.strerror}") from None
        return text.removesuffix("\n").removesuffix("\r"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            if field.annotation is Secret:
                value, _, _ = self.get_field_value(field, name)
                if value is not None:
                    values[name] = value
        return values


def describe(error: ValidationError) -> str:
    """Return one sentence per problem, each naming its environment variable (never a secret)."""
    return "; ".join(_sentence(problem) for problem in error.errors(include_url=False))


_PARSING = {
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
}


def _sentence(problem: ErrorDetails) -> str:
    """Say one problem as the old hand-written reader did: the variable, then what it must be."""
    name = "_".join(str(part) for part in problem["loc"]).upper()
    kind, bounds = problem["type"], problem.get("ctx", {})
    if kind in _PARSING:
        return f"{name} {_PARSING[kind]}, got {problem['input']!r}"
    if kind == "greater_than_equal" and bounds["ge"] == 0:
        return f"{name} must not be negative"
    if kind == "greater_than_equal":
        return f"{name} must be at least {bounds['ge']}"
    if kind == "greater_than" and bounds["gt"] == 0:
        return f"{name} must be positive"
    if kind == "less_than_equal":
        return f"{name} must be at most {bounds['le']}"
    if kind == "value_error":
        # The validators' messages name what they check; a field's gets its variable's name.
        message = str(bounds["error"])
        return message if not name or message.startswith(name) else f"{name} {message}"
    return f"{name}: {problem['msg']}" if name else problem["msg"]
