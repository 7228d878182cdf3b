"""MODEL resolution, the one-time CTranslate2 conversion and its cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from backend import model_store
from backend.config import Settings
from backend.engines.loader import load_engine

from testkit.servers import free_port, python_env


def test_local_checkpoint_resolves_to_its_directory(tiny_model: Path) -> None:
    """A local Marian directory is used as it is."""
    assert model_store.resolve(str(tiny_model)) == tiny_model.resolve()


@pytest.mark.parametrize("model", ["/nonexistent/model", "./no/such/dir/here"])
def test_missing_directory_names_the_model_and_the_fix(model: str) -> None:
    """A path that does not exist fails with one message naming it and saying how to fix it."""
    with pytest.raises(model_store.ModelNotFound) as caught:
        model_store.resolve(model)
    message = str(caught.value)
    assert repr(model) in message
    assert "MODEL=/path" in message
    assert "HF_HUB_OFFLINE" in message


def test_directory_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    """An existing directory with no config.json or model.bin is not a model."""
    with pytest.raises(model_store.ModelNotFound, match=r"no config\.json"):
        model_store.resolve(str(tmp_path))


def test_conversion_happens_once_and_is_reused(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first call converts into the cache; the second finds it and converts nothing."""
    first = model_store.converted(tiny_model, tmp_path, "int8")
    assert model_store.is_converted(first)
    assert first.parent == tmp_path
    assert (first / "source.spm").read_bytes() == (tiny_model / "source.spm").read_bytes()

    def refuse(*args: object) -> None:
        raise AssertionError("converted twice")

    monkeypatch.setattr(model_store, "convert", refuse)
    assert model_store.converted(tiny_model, tmp_path, "int8") == first
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no staging left behind


def test_cache_key_changes_with_the_checkpoint_and_quantization(
    tiny_model: Path, tmp_path: Path
) -> None:
    """Rebuilding the checkpoint or asking another quantization never reuses a stale conversion."""
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    key = model_store.cache_key(copy, "int8")
    assert model_store.cache_key(copy, "float16") != key
    weights = copy / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert model_store.cache_key(copy, "int8") != key


def test_converted_directory_loads_without_conversion(tiny_model: Path, tmp_path: Path) -> None:
    """MODEL may point at a conversion (what the Docker image ships); its window is kept."""
    converted = model_store.converted(tiny_model, tmp_path, "int8")
    assert model_store.resolve(str(converted)) == converted
    engine = load_engine(
        Settings(
            model=str(converted), device="cpu", model_cache_dir=tmp_path, retry_truncated=False
        )
    )
    assert engine.max_input_tokens == 511
    assert engine.translate_batch(engine.tokenize(["Guten Tag."]))[0]


def test_transformers_engine_refuses_a_conversion(tiny_model: Path, tmp_path: Path) -> None:
    """ENGINE=transformers needs the original checkpoint and says so."""
    converted = model_store.converted(tiny_model, tmp_path, "int8")
    settings = Settings(model=str(converted), engine="transformers", model_cache_dir=tmp_path)
    with pytest.raises(model_store.ModelNotFound, match="ENGINE=transformers"):
        load_engine(settings)


def test_max_input_tokens_setting_bounds_the_window(tiny_model: Path, tmp_path: Path) -> None:
    """MAX_INPUT_TOKENS lowers the window the segmenter cuts long sentences to."""
    settings = Settings(model=str(tiny_model), max_input_tokens=64, model_cache_dir=tmp_path)
    assert load_engine(settings).max_input_tokens == 64


def test_unknown_model_fails_start_up_with_one_clear_message(tmp_path: Path) -> None:
    """python -m backend exits 1 with one message naming the model and the fix; no traceback."""
    env = python_env(
        {
            "MODEL": "nobody-here/no-such-model",
            "HF_HUB_OFFLINE": "1",
            "HF_HOME": str(tmp_path / "hf"),
            "MODEL_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    argv = [sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", str(free_port())]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert output.count("'nobody-here/no-such-model' could not be found") == 1
    assert "MODEL=/path" in output
    assert "HF_HUB_OFFLINE" in output
    assert "Traceback" not in output


def test_prepared_model_reports_its_original_name(tiny_model: Path, tmp_path: Path) -> None:
    """tools.prepare_model (the image build) writes a conversion that names its source model."""
    from backend.tools import prepare_model

    out = prepare_model.prepare(str(tiny_model), tmp_path / "prepared", "int8")
    assert model_store.is_converted(out)
    engine = load_engine(Settings(model=str(out), device="cpu", model_cache_dir=tmp_path))
    assert engine.model == str(tiny_model)
    assert prepare_model.main(["--model", str(tiny_model), "--out", str(out)]) == 1  # exists


def test_conversion_quantization_decides_how_the_weights_are_stored(
    tiny_model: Path, tmp_path: Path
) -> None:
    """CONVERSION_QUANTIZATION=none keeps float32 weights: twice float16's bytes on disk."""

    def stored_bytes(quantization: str) -> int:
        cache_dir = tmp_path / quantization
        engine = load_engine(
            Settings(
                model=str(tiny_model),
                device="cpu",
                model_cache_dir=cache_dir,
                conversion_quantization=quantization,
                retry_truncated=False,
            )
        )
        assert engine.translate_batch(engine.tokenize(["Hallo."]))
        (weights,) = cache_dir.rglob("model.bin")
        assert quantization in weights.parent.name
        return weights.stat().st_size

    assert stored_bytes("none") > 1.8 * stored_bytes("float16")
