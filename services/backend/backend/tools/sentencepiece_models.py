"""Train the small unigram sentencepiece models that the random test checkpoints tokenize with."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SpecialIds:
    """Where a model family expects its special pieces; -1 leaves one out."""

    unk: int
    bos: int
    eos: int
    pad: int


#: opus-mt's models: <unk> 0, <s> 1, </s> 2, no padding piece.
MARIAN_IDS = SpecialIds(unk=0, bos=1, eos=2, pad=-1)
#: T5's spiece.model: <pad> 0, </s> 1, <unk> 2, no <s>.
T5_IDS = SpecialIds(unk=2, bos=-1, eos=1, pad=0)


def train_unigram(
    lines: list[str], vocab_size: int, ids: SpecialIds, *, seed_pieces: int | None = None
) -> bytes:
    """Train a unigram sentencepiece model on lines with ids' special pieces; return its bytes.

    seed_pieces caps the candidate pieces the trainer starts from (sentencepiece's own default
    when None).
    """
    import sentencepiece as spm

    options: dict[str, Any] = {}
    if seed_pieces is not None:
        options["seed_sentencepiece_size"] = seed_pieces
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buffer,
        vocab_size=vocab_size,
        # The corpus is small: accept fewer pieces than asked rather than fail.
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        unk_id=ids.unk,
        bos_id=ids.bos,
        eos_id=ids.eos,
        pad_id=ids.pad,
        minloglevel=2,
        num_threads=1,
        **options,
    )
    return buffer.getvalue()
