"""Each image is built from its own service folder, so the few modules both services need are
copied into each: the copies must stay equal, or the two services drift apart silently."""

from __future__ import annotations

import pytest

from testkit.servers import REPO_ROOT

#: The log line contract (one JSON object per line) and the one way to read settings.
COPIED = ("jsonlog.py", "settings_source.py")


@pytest.mark.parametrize("module", COPIED)
def test_both_images_carry_the_same_module(module: str) -> None:
    backend = REPO_ROOT / "services" / "backend" / "backend" / module
    frontend = REPO_ROOT / "services" / "frontend" / "frontend" / module
    assert backend.read_text() == frontend.read_text()
