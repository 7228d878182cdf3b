"""The transformers engine: MarianMTModel with batched beam search in torch.

Kept working and tested as the fallback to CTranslate2 (and as the reference the benchmark
compares against); torch and transformers are imported only when this engine is built.
"""

from __future__ import annotations

import logging
from pathlib import Path

from backend.engines.base import EngineError
from backend.engines.ctranslate2 import DecodingOptions

logger = logging.getLogger(__name__)


class TransformersEngine:
    """Translate token batches with MarianMTModel.generate."""

    name = "transformers"
    #: One generate call at a time: torch spreads each one over every thread it has.
    workers = 1

    def __init__(
        self,
        model_dir: Path,
        *,
        model: str,
        max_input_tokens: int,
        device: str = "cpu",
        cpu_threads: int = 0,
        decoding: DecodingOptions | None = None,
    ) -> None:
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        self.model = model
        self.max_input_tokens = max_input_tokens
        self.device = device
        self.compute_type = "float16" if device == "cuda" else "float32"
        self._decoding = decoding or DecodingOptions()
        if cpu_threads > 0:
            torch.set_num_threads(cpu_threads)
        self._torch = torch
        self._tokenizer = MarianTokenizer.from_pretrained(model_dir)
        dtype = torch.float16 if device == "cuda" else torch.float32
        self._model = MarianMTModel.from_pretrained(model_dir, dtype=dtype).to(device).eval()
        logger.info("transformers model loaded on %s (%s)", device, self.compute_type)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Return the source sentencepiece pieces of each text, without </s>."""
        return [self._tokenizer.tokenize(text) for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        work = [i for i, tokens in enumerate(batch) if tokens]
        results = [""] * len(batch)
        if not work:
            return results
        try:
            texts = self._generate([batch[i] for i in work])
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"transformers failed on a batch of {len(work)}") from error
        for i, text in zip(work, texts, strict=True):
            results[i] = text
        return results

    def translate_alternatives(self, batch: list[list[str]], count: int) -> list[list[str]]:
        """Return up to count translations per sequence from the beam's n-best list, best first.

        Optional engine capability (LibreTranslate's alternatives); empty sequences get [""].
        """
        results: list[list[str]] = [[""] for _ in batch]
        work = [i for i, tokens in enumerate(batch) if tokens]
        if not work:
            return results
        try:
            texts = self._generate([batch[i] for i in work], count=count)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"transformers failed on a batch of {len(work)}") from error
        for row, i in enumerate(work):
            results[i] = texts[row * count : (row + 1) * count]
        return results

    def _generate(self, sources: list[list[str]], *, count: int = 1) -> list[str]:
        torch = self._torch
        tokenizer = self._tokenizer
        ids = [
            [*tokenizer.convert_tokens_to_ids(tokens), tokenizer.eos_token_id] for tokens in sources
        ]
        longest = max(map(len, ids))
        input_ids = torch.full((len(ids), longest), tokenizer.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(ids), longest), dtype=torch.long)
        for row, sequence in enumerate(ids):
            input_ids[row, : len(sequence)] = torch.tensor(sequence)
            attention_mask[row, : len(sequence)] = 1
        limit = self._decoding.max_output_tokens(longest, self.max_input_tokens)
        with torch.inference_mode():
            output = self._model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention_mask.to(self.device),
                num_beams=max(self._decoding.beam_size, count),
                num_return_sequences=count,
                # +1: generate counts the decoder start token, CTranslate2 does not.
                max_length=limit + 1,
            )
        return [text.strip() for text in tokenizer.batch_decode(output, skip_special_tokens=True)]
