"""The transformers engine: MarianMTModel with batched beam search in torch.

Kept working and tested as the fallback to CTranslate2 (and as the reference the benchmark
compares against); torch and transformers are imported only when this engine is built.
"""

from __future__ import annotations

import logging
from pathlib import Path

from backend.engines.base import EngineError
from backend.engines.budget import BudgetedDecoder, DecodingOptions

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
        max_output_tokens: int | None = None,
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
        self._decoder = BudgetedDecoder(self._decoding, max_output_tokens or max_input_tokens + 1)
        if cpu_threads > 0:
            torch.set_num_threads(cpu_threads)
        self._torch = torch
        self._tokenizer = MarianTokenizer.from_pretrained(model_dir)
        dtype = torch.float16 if device == "cuda" else torch.float32
        self._model = MarianMTModel.from_pretrained(model_dir, dtype=dtype).to(device).eval()
        logger.info("transformers model loaded on %s (%s)", device, self.compute_type)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Return the source sentencepiece pieces of each text, without </s>.

        With the sentencepiece model itself, like CTranslate2: MarianTokenizer.tokenize would turn
        a literal "</s>", "<unk>" or "<pad>" in the user's text into control tokens and drop a
        leading ">>de<<" as a language code; here they are text like any other.
        """
        return self._tokenizer.spm_source.encode(texts, out_type=str)

    @property
    def truncated(self) -> int:
        """Return how many translations filled the model's output limit so far."""
        return self._decoder.truncated

    def budget(self, input_tokens: int) -> int:
        """Return the output budget a sequence of input_tokens is first decoded with."""
        return self._decoder.budget(input_tokens)

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        """Translate token sequences and return one detokenized string per sequence, in order."""
        try:
            return self._decoder.translate(batch, self._generate)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"transformers failed on a batch of {len(batch)}") from error

    def translate_alternatives(self, batch: list[list[str]], count: int) -> list[list[str]]:
        """Return up to count translations per sequence from the beam's n-best list, best first.

        Optional engine capability (LibreTranslate's alternatives); empty sequences get [""].
        """
        try:
            return self._decoder.translate_nbest(batch, self._generate_nbest, count)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"transformers failed on a batch of {len(batch)}") from error

    def _generate_nbest(
        self, sources: list[list[str]], budget: int, count: int
    ) -> list[tuple[list[str], bool]]:
        rows = self._generate(sources, budget, count=count)
        return [
            ([text for text, _ in rows[i * count : (i + 1) * count]], rows[i * count][1])
            for i in range(len(sources))
        ]

    def _generate(
        self, sources: list[list[str]], budget: int, *, count: int = 1
    ) -> list[tuple[str, bool]]:
        """Decode sequences within budget tokens: each one's text and whether it filled it.

        count > 1: that many hypotheses per sequence, best first, one after the other.
        """
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
        with torch.inference_mode():
            output = self._model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention_mask.to(self.device),
                num_beams=max(self._decoding.beam_size, count),
                num_return_sequences=count,
                # +1: generate counts the decoder start token, CTranslate2 does not.
                max_length=budget + 1,
            )
        texts = tokenizer.batch_decode(output, skip_special_tokens=True)
        eos = tokenizer.eos_token_id
        # Row = start token + budget positions; an </s> before the last one ended by itself (the
        # model's forced_eos_token_id puts one in the last position when the budget runs out).
        return [
            (text.strip(), eos not in row[1:budget].tolist())
            for text, row in zip(texts, output, strict=True)
        ]
