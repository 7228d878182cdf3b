"""The backend reads its settings as the frontend does: only `Settings.from_env()` reads an
environment, and `python -m backend` refuses a bad setting at once with status 2 and one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from backend.config import Settings
from backend.settings_source import ConfigError
from hypothesis import given
from hypothesis import strategies as st

from testkit.servers import free_port, python_env

#: Far below what loading a model takes: the refusal must come before any model or socket.
REFUSAL_S = 60


def test_keyword_arguments_never_pick_up_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build as many Settings as they like; the developer's shell must not leak in."""
    monkeypatch.setenv("BEAM_SIZE", "7")
    monkeypatch.setenv("MODEL", "from-the-shell")
    assert Settings().beam_size == Settings.model_fields["beam_size"].default
    assert Settings(model="given").model == "given"
    assert Settings.from_env().beam_size == 7
    assert Settings.from_env().model == "from-the-shell"


@given(beam=st.integers(min_value=1, max_value=16), case=st.sampled_from([str.upper, str.lower]))
def test_from_env_reads_each_variable_in_either_case(beam: int, case) -> None:
    settings = Settings.from_env({case("BEAM_SIZE"): str(beam), case("ENGINE"): "transformers"})
    assert (settings.beam_size, settings.engine) == (beam, "transformers")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BEAM_SIZE": "wide"}, "BEAM_SIZE must be an integer, got 'wide'"),
        ({"BEAM_SIZE": "17"}, "BEAM_SIZE must be at most 16"),
        ({"MAX_OUTPUT_EXTRA_TOKENS": "-1"}, "MAX_OUTPUT_EXTRA_TOKENS must not be negative"),
        ({"ENGINE": "onnx"}, "ENGINE: Input should be 'ctranslate2' or 'transformers'"),
    ],
)
def test_a_bad_setting_is_one_sentence_naming_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert named in str(raised.value)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BEAM_SIZE": "0"}, "BEAM_SIZE must be at least 1"),
        ({"DEVICE": "tpu"}, "DEVICE: Input should be 'auto', 'cpu' or 'cuda'"),
    ],
)
def test_python_m_backend_exits_with_status_2_on_a_bad_setting(
    env: dict[str, str], named: str
) -> None:
    argv = [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(free_port())]
    result = subprocess.run(
        argv,
        env=python_env({"MODEL": "never-loaded", **env}),
        capture_output=True,
        text=True,
        timeout=REFUSAL_S,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("backend: configuration error: ")
    assert named in line
