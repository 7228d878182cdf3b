"""Find the model MODEL names, and convert it to CTranslate2 once, caching the result.

MODEL is a Hugging Face id (downloaded through huggingface_hub, which honours HF_HUB_OFFLINE and
HF_HOME), a local Marian checkpoint directory (config.json, vocab.json, source.spm, target.spm and
weights), or a directory already converted by ``backend.tools.prepare_model`` (model.bin plus the
two sentencepiece models): the Docker image ships the latter, so its runtime needs no torch.

Conversion needs torch and transformers; they are imported only inside ``convert``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

#: Written into every converted directory: what it was converted from, and the model's window.
MARKER = "backend_model.json"
SPM_FILES = ("source.spm", "target.spm")
_HF_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
#: Files of a Marian checkpoint worth downloading (not the TensorFlow or Rust weights).
_HF_PATTERNS = ["*.json", "*.spm", "*.safetensors"]


class ModelNotFound(RuntimeError):
    """MODEL names nothing that can be loaded; the message says which model and how to fix it."""


def not_found(model: str, reason: str) -> ModelNotFound:
    """Return the one start-up error for a model that cannot be found or downloaded."""
    return ModelNotFound(
        f"Model {model!r} could not be found or downloaded ({reason}). Fix: set MODEL to a local "
        "Marian checkpoint directory (MODEL=/path/to/model, e.g. one written by "
        "`make random-model`), or make the Hugging Face hub reachable; with HF_HUB_OFFLINE=1 "
        "only models already in the Hugging Face cache (HF_HOME) can be used."
    )


def is_converted(path: Path) -> bool:
    """Tell whether `path` is a CTranslate2 model directory with its sentencepiece models."""
    return (path / "model.bin").is_file() and all((path / f).is_file() for f in SPM_FILES)


def resolve(model: str) -> Path:
    """Return the local directory of `model`, downloading a Hugging Face id when needed."""
    path = Path(model).expanduser()
    if path.exists():
        if is_converted(path) or (path / "config.json").is_file():
            return path.resolve()
        raise not_found(model, "the directory holds no config.json or model.bin")
    if not _HF_ID.match(model):
        raise not_found(model, "no such directory")
    return _download(model)


def _download(repo_id: str) -> Path:
    import huggingface_hub

    try:
        path = Path(huggingface_hub.snapshot_download(repo_id, allow_patterns=_HF_PATTERNS))
        if not any(path.glob("*.safetensors")):
            # Older checkpoints ship only PyTorch pickles.
            path = Path(
                huggingface_hub.snapshot_download(
                    repo_id, allow_patterns=[*_HF_PATTERNS, "pytorch_model.bin"]
                )
            )
    except Exception as error:  # every hub failure (offline, 404, network) means the same fix
        raise not_found(repo_id, type(error).__name__) from error
    if not (path / "config.json").is_file():
        raise not_found(repo_id, "the repository has no config.json")
    return path


def max_input_tokens(path: Path) -> int:
    """Return the longest source sequence the model accepts, end-of-sentence token excluded."""
    if (path / MARKER).is_file():
        return int(json.loads((path / MARKER).read_text())["max_input_tokens"])
    config = json.loads((path / "config.json").read_text())
    return int(config.get("max_position_embeddings", 512)) - 1


def _max_output_tokens(path: Path) -> int:
    """Return the generation config's max_length without the decoder start token."""
    try:
        config = json.loads((path / "generation_config.json").read_text())
    except (OSError, ValueError):
        return max_input_tokens(path)
    return int(config.get("max_length", max_input_tokens(path) + 1)) - 1


def model_name(path: Path, default: str) -> str:
    """Return the name a converted model was built from (for clients), else `default`."""
    if (path / MARKER).is_file():
        return str(json.loads((path / MARKER).read_text()).get("model", default))
    return default


def cache_key(path: Path, quantization: str) -> str:
    """Return a name that changes whenever the checkpoint, CTranslate2 or quantization does."""
    import ctranslate2

    digest = hashlib.sha256(f"{path}|{ctranslate2.__version__}|{quantization}".encode())
    for file in sorted(path.iterdir()):
        if file.is_file():
            stat = file.stat()
            digest.update(f"|{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{path.name}-ct2-{ctranslate2.__version__}-{quantization}-{digest.hexdigest()[:12]}"


def converted(path: Path, cache_dir: Path, quantization: str) -> Path:
    """Return a CTranslate2 conversion of checkpoint `path`, converting it once into cache_dir."""
    if is_converted(path):
        return path
    target = cache_dir / cache_key(path, quantization)
    if is_converted(target):
        logger.info("using cached CTranslate2 model %s", target)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    convert(path, target, quantization)
    return target


def convert(path: Path, target: Path, quantization: str, *, name: str | None = None) -> None:
    """Convert Marian checkpoint `path` into CTranslate2 directory `target` (atomically).

    `name` (default: the path) is what the converted model reports itself as to clients.
    """
    from ctranslate2.converters import TransformersConverter

    logger.info("converting %s to CTranslate2 (%s)", path, quantization)
    # Build beside the target and rename: replicas starting together never see half a model.
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        output = staging / "model"
        TransformersConverter(str(path)).convert(
            str(output), quantization=None if quantization == "none" else quantization
        )
        for spm_file in SPM_FILES:
            shutil.copyfile(path / spm_file, output / spm_file)
        marker = {
            "model": name or str(path),
            "source": str(path),
            "max_input_tokens": max_input_tokens(path),
            "max_output_tokens": _max_output_tokens(path),
        }
        (output / MARKER).write_text(json.dumps(marker) + "\n")
        try:
            os.rename(output, target)
        except OSError:
            if not is_converted(target):
                raise
            # Another process finished the same conversion first; theirs is as good as ours.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
