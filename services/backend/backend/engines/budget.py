"""Output budgets: each sequence decoded within a budget of its own, retried when it runs out.

A sequence's first budget is a function of its own length only, and the engines decode each batch
in groups of one budget, so a translation never depends on what else is in the batch (issue #11:
with the batch's longest input setting the budget, 46 of 50 sentences changed when batched). A
hypothesis that fills its budget without ending is decoded again with the model's maximum (the
generation config's ``max_length``); what fills even that is counted and logged, never its text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

#: Decode sequences with one budget: per sequence its text and whether it filled the budget.
Decode = Callable[[list[list[str]], int], list[tuple[str, bool]]]
#: Like Decode with n hypotheses per sequence, best first; the flag is the best one's.
DecodeN = Callable[[list[list[str]], int, int], list[tuple[list[str], bool]]]


@dataclass(frozen=True)
class DecodingOptions:
    """How long and how wide the search for each translation is."""

    beam_size: int = 4
    #: First output budget per sequence: ratio x its input tokens, plus extra tokens.
    max_output_ratio: float = 1.5
    max_output_extra_tokens: int = 10
    #: Decode a hypothesis that filled its budget again with the model's maximum.
    retry_truncated: bool = True

    def max_output_tokens(self, input_tokens: int, model_limit: int) -> int:
        """Return the first output budget of a sequence of input_tokens, capped by the model."""
        budget = int(input_tokens * self.max_output_ratio) + self.max_output_extra_tokens
        return max(1, min(model_limit, budget))


class BudgetedDecoder:
    """Decode batches budget group by budget group, retrying and counting truncations."""

    def __init__(self, options: DecodingOptions, model_max_tokens: int) -> None:
        self.options = options
        self.model_max_tokens = model_max_tokens
        #: Translations that filled even the model's maximum (or their first budget, without retry).
        self.truncated = 0
        self._lock = threading.Lock()  # translate runs in several engine worker threads

    def budget(self, input_tokens: int) -> int:
        """Return the budget a sequence of input_tokens is first decoded with."""
        # + 1: the end-of-sentence token the engines append counts, as it always did.
        return self.options.max_output_tokens(input_tokens + 1, self.model_max_tokens)

    def translate(self, batch: list[list[str]], decode: Decode) -> list[str]:
        """Translate non-empty sequences, each within its own budget; empty ones give ""."""
        results = [""] * len(batch)
        groups: dict[int, list[int]] = {}
        for i, tokens in enumerate(batch):
            if tokens:
                groups.setdefault(self.budget(len(tokens)), []).append(i)
        retry: list[int] = []
        for budget, indices in sorted(groups.items()):
            outputs = decode([batch[i] for i in indices], budget)
            for i, (text, full) in zip(indices, outputs, strict=True):
                results[i] = text
                if full:
                    retry.append(i)
        if retry and self.options.retry_truncated:
            budget = self.model_max_tokens
            again = [i for i in retry if self.budget(len(batch[i])) < budget]
            still = [i for i in retry if i not in set(again)]
            if again:
                outputs = decode([batch[i] for i in again], budget)
                for i, (text, full) in zip(again, outputs, strict=True):
                    results[i] = text
                    if full:
                        still.append(i)
            retry = still
        self._count(batch, retry)
        return results

    def translate_nbest(
        self, batch: list[list[str]], decode: DecodeN, count: int
    ) -> list[list[str]]:
        """Like translate, with up to count hypotheses per sequence, best first; empty: [""].

        Same budgets and retry as translate, so the first hypothesis is the translation itself.
        Not counted in ``truncated``: the translation it repeats was counted already.
        """
        results: list[list[str]] = [[""] for _ in batch]
        groups: dict[int, list[int]] = {}
        for i, tokens in enumerate(batch):
            if tokens:
                groups.setdefault(self.budget(len(tokens)), []).append(i)
        retry: list[int] = []
        for budget, indices in sorted(groups.items()):
            outputs = decode([batch[i] for i in indices], budget, count)
            for i, (texts, full) in zip(indices, outputs, strict=True):
                results[i] = texts
                if full:
                    retry.append(i)
        again = [i for i in retry if self.budget(len(batch[i])) < self.model_max_tokens]
        if again and self.options.retry_truncated:
            outputs = decode([batch[i] for i in again], self.model_max_tokens, count)
            for i, (texts, _full) in zip(again, outputs, strict=True):
                results[i] = texts
        return results

    def _count(self, batch: list[list[str]], truncated: list[int]) -> None:
        if not truncated:
            return
        with self._lock:
            self.truncated += len(truncated)
        logger.warning(
            "%d translations (of %s source tokens) filled the output limit and may be cut short",
            len(truncated),
            ", ".join(str(len(batch[i])) for i in truncated),
        )
