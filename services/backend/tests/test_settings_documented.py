"""Every setting the backend reads is documented in its README's settings table."""

from __future__ import annotations

from pathlib import Path

from backend.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_a_row_in_the_readme() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in row.split("|")[1].replace("`", "").split(", ")}
    assert {name.upper() for name in Settings.model_fields} - {
        n.strip() for n in documented
    } == set()
