"""The summary model: a T5/Pegasus-family checkpoint, converted to CTranslate2 once, run by it.

It speaks the same small protocol as the translation engines (``engines.base.Engine``:
tokenize, then a blocking batch call), so the same ``BatchScheduler`` batches it. Tokenizing is
the checkpoint's own sentencepiece model (``spiece.model``: T5, mT5, Pegasus); checkpoints
whose tokenizer is byte-level BPE only (BART) are refused with a message saying so.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend import model_store
from backend.config import Settings
from backend.engines.base import EngineError
from backend.engines.ctranslate2 import resolve_compute_type, resolve_device

logger = logging.getLogger(__name__)

SPM_FILE = "spiece.model"
MARKER = "backend_summary_model.json"
EOS = "</s>"
#: Files of a summarisation checkpoint worth downloading.
_HF_PATTERNS = ["*.json", "*.model", "*.safetensors"]


@dataclass(frozen=True)
class SummaryOptions:
    """How each chunk summary is searched for."""

    beam_size: int = 2
    max_output_tokens: int = 96


class SummaryEngine:
    """Summarise batches of token sequences with a converted CTranslate2 model."""

    name = "ctranslate2"

    def __init__(
        self,
        model_dir: Path,
        *,
        model: str,
        device: str = "cpu",
        compute_type: str = "int8",
        options: SummaryOptions | None = None,
    ) -> None:
        import ctranslate2
        import sentencepiece

        marker = json.loads((model_dir / MARKER).read_text())
        self.model = model
        self.workers = 1
        self.device = device
        self.compute_type = compute_type
        self._options = options or SummaryOptions()
        self._spm = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / SPM_FILE))
        #: T5 checkpoints name the task in front of the text ("summarize: "); Pegasus does not.
        self._prefix = self._spm.encode(marker["prefix"], out_type=str) if marker["prefix"] else []
        self.max_input_tokens = int(marker["max_input_tokens"]) - len(self._prefix)
        self._translator = ctranslate2.Translator(
            str(model_dir), device=device, compute_type=compute_type
        )

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Return the sentencepiece pieces of each text (no prefix, no </s>)."""
        return self._spm.encode(texts, out_type=str)

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Summarise each token sequence; return one English text per sequence, in order."""
        work = [i for i, tokens in enumerate(batch) if tokens]
        results = [""] * len(batch)
        if not work:
            return results
        sources = [[*self._prefix, *batch[i][: self.max_input_tokens], EOS] for i in work]
        try:
            outputs = self._translator.translate_batch(
                sources,
                beam_size=self._options.beam_size,
                max_decoding_length=self._options.max_output_tokens,
                # Summaries repeat themselves without this (t5-small's own setting).
                no_repeat_ngram_size=3,
                max_input_length=0,
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"the summary model failed on a batch of {len(sources)}") from error
        for i, output in zip(work, outputs, strict=True):
            results[i] = self._spm.decode_pieces(output.hypotheses[0]).strip()
        return results


def load_summary_engine(settings: Settings) -> SummaryEngine:
    """Resolve SUMMARY_MODEL, convert it once into MODEL_CACHE_DIR, and load it; may take long."""
    path = _resolve(settings.summary_model)
    if not (path / SPM_FILE).is_file():
        raise model_store.not_found(
            settings.summary_model,
            f"no {SPM_FILE}: summaries need a sentencepiece checkpoint (T5, mT5, Pegasus)",
        )
    converted = path if (path / MARKER).is_file() else _converted(path, settings)
    device = resolve_device(settings.device)
    return SummaryEngine(
        converted,
        model=settings.summary_model,
        device=device,
        compute_type=resolve_compute_type(settings.compute_type, device),
        options=SummaryOptions(settings.summary_beam_size, settings.summary_max_tokens),
    )


def _resolve(model: str) -> Path:
    path = Path(model).expanduser()
    if path.exists():
        if (path / "config.json").is_file() or (path / MARKER).is_file():
            return path.resolve()
        raise model_store.not_found(model, "the directory holds no config.json")
    try:
        import huggingface_hub

        return Path(huggingface_hub.snapshot_download(model, allow_patterns=_HF_PATTERNS))
    except Exception as error:  # offline, 404, network: the same fix
        raise model_store.not_found(model, type(error).__name__) from error


def _converted(path: Path, settings: Settings) -> Path:
    """Return the CTranslate2 conversion of `path` in the cache, converting it when missing."""
    quantization = settings.conversion_quantization
    target = settings.model_cache_dir / model_store.cache_key(path, quantization)
    if (target / MARKER).is_file():
        return target
    convert_summary_model(path, target, quantization)
    return target


def prepare_summary_model(model: str, out: Path, quantization: str) -> Path:
    """Resolve `model` (download if needed) and convert it into `out` (image builds)."""
    if out.exists():
        raise FileExistsError(f"{out} exists; remove it first")
    path = _resolve(model)
    if not (path / SPM_FILE).is_file():
        raise model_store.not_found(model, f"no {SPM_FILE} (summaries need T5, mT5 or Pegasus)")
    out.parent.mkdir(parents=True, exist_ok=True)
    convert_summary_model(path, out, quantization)
    return out


def convert_summary_model(path: Path, target: Path, quantization: str) -> None:
    """Convert checkpoint `path` into CTranslate2 directory `target` (atomically)."""
    from ctranslate2.converters import TransformersConverter

    logger.info("converting summary model %s to CTranslate2 (%s)", path, quantization)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and renamed: replicas starting together never see half a model.
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        output = staging / "model"
        TransformersConverter(str(path)).convert(
            str(output), quantization=None if quantization == "none" else quantization
        )
        shutil.copyfile(path / SPM_FILE, output / SPM_FILE)
        (output / MARKER).write_text(json.dumps(_marker(path)) + "\n")
        try:
            os.rename(output, target)
        except OSError:
            if not (target / MARKER).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _marker(path: Path) -> dict[str, object]:
    config = json.loads((path / "config.json").read_text())
    task = (config.get("task_specific_params") or {}).get("summarization") or {}
    window = config.get("max_position_embeddings") or config.get("n_positions") or 512
    return {"source": str(path), "prefix": task.get("prefix", ""), "max_input_tokens": window - 1}
