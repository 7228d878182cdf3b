"""The CTranslate2 engine: sentencepiece in, beam search in C++, sentencepiece out.

It needs neither torch nor transformers at run time: the checkpoint is converted once (see
backend.model_store) and the tokenizers are the checkpoint's own sentencepiece models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from backend.engines.base import EngineError

logger = logging.getLogger(__name__)

EOS = "</s>"
#: Compute types used when COMPUTE_TYPE is "auto": int8 on CPU, float16 on GPU.
DEFAULT_COMPUTE_TYPES = {"cpu": "int8", "cuda": "float16"}


@dataclass(frozen=True)
class DecodingOptions:
    """How long and how wide the search for each translation is."""

    beam_size: int = 4
    #: Output budget per batch: ratio x the longest input, plus extra tokens, capped by the model.
    max_output_ratio: float = 1.5
    max_output_extra_tokens: int = 10

    def max_output_tokens(self, longest_input: int, model_limit: int) -> int:
        """Return the decoding length limit for a batch whose longest input has that many tokens."""
        budget = int(longest_input * self.max_output_ratio) + self.max_output_extra_tokens
        return max(1, min(model_limit, budget))


def resolve_device(device: str) -> str:
    """Return "cuda" or "cpu" for DEVICE=auto|cpu|cuda (auto: cuda when CTranslate2 sees a GPU)."""
    import ctranslate2

    if device == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """Return the compute type for COMPUTE_TYPE on a resolved device ("auto" picks the default)."""
    return DEFAULT_COMPUTE_TYPES[device] if compute_type == "auto" else compute_type


class CTranslate2Engine:
    """Translate token batches with a converted CTranslate2 model."""

    name = "ctranslate2"

    def __init__(
        self,
        model_dir: Path,
        *,
        model: str,
        max_input_tokens: int,
        device: str = "cpu",
        compute_type: str = "int8",
        workers: int = 1,
        threads_per_worker: int = 0,
        decoding: DecodingOptions | None = None,
    ) -> None:
        import ctranslate2
        import sentencepiece

        self.model = model
        self.max_input_tokens = max_input_tokens
        self.device = device
        self.compute_type = compute_type
        self.workers = workers
        self._decoding = decoding or DecodingOptions()
        self._source = sentencepiece.SentencePieceProcessor(
            model_file=str(model_dir / "source.spm")
        )
        self._target = sentencepiece.SentencePieceProcessor(
            model_file=str(model_dir / "target.spm")
        )
        # Each worker is a model replica sharing the weights; concurrent translate_batch calls run
        # on different workers (see backend.engines.parallelism for the split).
        self._translator = ctranslate2.Translator(
            str(model_dir),
            device=device,
            compute_type=compute_type,
            inter_threads=workers,
            intra_threads=threads_per_worker,
        )
        logger.info(
            "CTranslate2 model loaded on %s (%s): %d workers x %d threads",
            device,
            compute_type,
            workers,
            threads_per_worker,
        )

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Return the source sentencepiece pieces of each text, without </s>."""
        return self._source.encode(texts, out_type=str)

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        work = [i for i, tokens in enumerate(batch) if tokens]
        results = [""] * len(batch)
        if not work:
            return results
        sources = [[*batch[i], EOS] for i in work]
        limit = self._decoding.max_output_tokens(max(map(len, sources)), self.max_input_tokens)
        try:
            outputs = self._translator.translate_batch(
                sources,
                beam_size=self._decoding.beam_size,
                max_decoding_length=limit,
                max_input_length=0,  # the segmenter already bounds inputs; never cut silently
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"CTranslate2 failed on a batch of {len(sources)}") from error
        for i, output in zip(work, outputs, strict=True):
            results[i] = self.detokenize(output.hypotheses[0])
        return results

    def translate_alternatives(self, batch: list[list[str]], count: int) -> list[list[str]]:
        """Return up to count translations per sequence from the beam's n-best list, best first.

        Optional engine capability (LibreTranslate's alternatives); empty sequences get [""].
        """
        results: list[list[str]] = [[""] for _ in batch]
        work = [i for i, tokens in enumerate(batch) if tokens]
        if not work:
            return results
        sources = [[*batch[i], EOS] for i in work]
        limit = self._decoding.max_output_tokens(max(map(len, sources)), self.max_input_tokens)
        try:
            outputs = self._translator.translate_batch(
                sources,
                beam_size=max(self._decoding.beam_size, count),
                num_hypotheses=count,
                max_decoding_length=limit,
                max_input_length=0,
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"CTranslate2 failed on a batch of {len(sources)}") from error
        for i, output in zip(work, outputs, strict=True):
            results[i] = [self.detokenize(hypothesis) for hypothesis in output.hypotheses]
        return results

    def detokenize(self, pieces: list[str]) -> str:
        """Join target pieces into text with the target sentencepiece model."""
        # Like MarianTokenizer: pieces sentencepiece does not know pass through verbatim, and
        # their word-boundary marks still become spaces.
        return self._target.decode_pieces(pieces).replace("▁", " ").strip()
