"""Every setting the frontend reads has a row in its README's settings table, and vice versa."""

from __future__ import annotations

import re
from pathlib import Path

from frontend.config import Secret, Settings

README = Path(__file__).resolve().parents[2] / "README.md"
#: A name in a row's first cell: `NAME`, or `_FILE` after a secret's name (`NAME` / `_FILE`).
NAME = re.compile(r"`([A-Z_][A-Z0-9_]*)`")


def documented_names() -> list[str]:
    """Return the variables of the rows of the README's "## Settings" section, as written."""
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names: list[str] = []
    for row in rows:
        for name in NAME.findall(row.split("|")[1]):
            # "`DATABASE_PASSWORD` / `_FILE`": the file variant of the name before it.
            names.append(names[-1] + name if name == "_FILE" else name)
    return names


SECRETS = {
    name.upper() for name, field in Settings.model_fields.items() if field.annotation is Secret
}


def file_variants(names: set[str]) -> set[str]:
    """Return the names that are a secret's NAME_FILE (ADMIN_USERS_FILE is a setting itself)."""
    return {name for name in names if name.removesuffix("_FILE") in SECRETS - {name}}


def test_every_setting_has_a_row_and_every_row_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    names = set(documented_names())
    documented = names - file_variants(names)
    assert fields - documented == set(), "settings missing from the README's table"
    assert documented - fields == set(), "rows in the README's table that no setting reads"


def test_every_secret_is_documented_with_its_file_variant() -> None:
    assert file_variants(set(documented_names())) == {f"{name}_FILE" for name in SECRETS}
