"""The CTranslate2 engine: sentencepiece in, beam search in C++, sentencepiece out.

It needs neither torch nor transformers at run time: the checkpoint is converted once (see
backend.model_store) and the tokenizers are the checkpoint's own sentencepiece models.
"""

from __future__ import annotations

import logging
from pathlib import Path

from backend.engines.base import EngineError
from backend.engines.budget import BudgetedDecoder, DecodingOptions

__all__ = ["CTranslate2Engine", "DecodingOptions", "resolve_compute_type", "resolve_device"]

logger = logging.getLogger(__name__)

EOS = "</s>"
#: Pieces that are control symbols, not text: dropped from output like transformers'
#: skip_special_tokens does, so both engines render a translation alike (no " ⁇ " for <unk>).
CONTROL_PIECES = frozenset({"</s>", "<unk>", "<pad>"})
#: Compute types used when COMPUTE_TYPE is "auto": int8 on CPU, float16 on GPU.
DEFAULT_COMPUTE_TYPES = {"cpu": "int8", "cuda": "float16"}


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
        max_output_tokens: int | None = None,
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
        self._decoder = BudgetedDecoder(self._decoding, max_output_tokens or max_input_tokens + 1)
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

    @property
    def truncated(self) -> int:
        """Return how many translations filled the model's output limit so far."""
        return self._decoder.truncated

    def budget(self, input_tokens: int) -> int:
        """Return the output budget a sequence of input_tokens is first decoded with."""
        return self._decoder.budget(input_tokens)

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        return self._decoder.translate(batch, self._decode)

    def _decode(self, batch: list[list[str]], budget: int) -> list[tuple[str, bool]]:
        """Decode sequences within budget tokens: each one's text and whether it filled it."""
        try:
            outputs = self._translator.translate_batch(
                [[*tokens, EOS] for tokens in batch],
                beam_size=self._decoding.beam_size,
                max_decoding_length=budget,
                max_input_length=0,  # the segmenter already bounds inputs; never cut silently
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"CTranslate2 failed on a batch of {len(batch)}") from error
        # The hypotheses exclude </s>: one that ended before the budget is shorter than it.
        return [
            (self.detokenize(output.hypotheses[0]), len(output.hypotheses[0]) >= budget)
            for output in outputs
        ]

    def translate_alternatives(self, batch: list[list[str]], count: int) -> list[list[str]]:
        """Return up to count translations per sequence from the beam's n-best list, best first.

        Optional engine capability (LibreTranslate's alternatives); empty sequences get [""].
        """
        return self._decoder.translate_nbest(batch, self._decode_nbest, count)

    def _decode_nbest(
        self, batch: list[list[str]], budget: int, count: int
    ) -> list[tuple[list[str], bool]]:
        try:
            outputs = self._translator.translate_batch(
                [[*tokens, EOS] for tokens in batch],
                beam_size=max(self._decoding.beam_size, count),
                num_hypotheses=count,
                max_decoding_length=budget,
                max_input_length=0,
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"CTranslate2 failed on a batch of {len(batch)}") from error
        return [
            (
                [self.detokenize(hypothesis) for hypothesis in output.hypotheses],
                len(output.hypotheses[0]) >= budget,
            )
            for output in outputs
        ]

    def detokenize(self, pieces: list[str]) -> str:
        """Join target pieces into text with the target sentencepiece model."""
        # Like MarianTokenizer: pieces sentencepiece does not know pass through verbatim, and
        # their word-boundary marks still become spaces.
        text = [piece for piece in pieces if piece not in CONTROL_PIECES]
        return self._target.decode_pieces(text).replace("▁", " ").strip()
