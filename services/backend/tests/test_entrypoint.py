"""`python -m backend`: LOG_JSON=false writes plain-text lines instead of JSON objects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from testkit.servers import free_port, python_env

PLAIN_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+ ")


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_log_json_false_logs_plain_text_lines(tmp_path: Path) -> None:
    """A model that cannot be found still logs why, as `time LEVEL logger message` lines."""
    env = python_env(
        {
            "LOG_JSON": "false",
            "MODEL": str(tmp_path / "no-such-model"),
            "MODEL_CACHE_DIR": str(tmp_path / "cache"),
            "HF_HUB_OFFLINE": "1",
        }
    )
    argv = [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(free_port())]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0
    assert lines
    assert not any(_is_json(line) for line in lines)
    critical = [line for line in lines if " CRITICAL backend." in line]
    assert critical, done.stderr
    assert PLAIN_LINE.match(critical[0])
    assert "no-such-model" in critical[0]
