"""Build a random-weight T5 summarisation checkpoint with a trained sentencepiece tokenizer.

The `summary` preset of ``backend.tools.random_model``: the same architecture family as t5-small
(and the converter path CTranslate2 takes for it), tiny and seeded, so the backend's summary
model loads, converts and runs offline in tests. It writes what a Hugging Face T5 checkpoint
has: `spiece.model` (T5's ids: <pad> 0, </s> 1, <unk> 2), `tokenizer_config.json`,
`config.json` with the summarisation prefix under task_specific_params, and the weights.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from backend.tools.corpus import corpus
from backend.tools.sentencepiece_models import T5_IDS, train_unigram

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class T5Preset:
    """The shape of a random T5."""

    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ffn_dim: int = 128
    spm_vocab_size: int = 2000
    corpus_sentences: int = 4000
    max_positions: int = 512


SUMMARY = T5Preset()
#: What t5-small's config asks to put before a text to summarise.
SUMMARY_PREFIX = "summarize: "


def write_tokenizer_json(model_bytes: bytes, path: Path) -> None:
    """Write the `tokenizers` form of the sentencepiece model (same pieces, same ids).

    transformers 5 loads T5 tokenizers only in this form; converting spiece.model itself would
    need protobuf. The CTranslate2 converter reads the vocabulary through it; the backend
    tokenizes with spiece.model.
    """
    import sentencepiece as spm
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    processor = spm.SentencePieceProcessor(model_proto=model_bytes)
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(len(processor))]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=processor.unk_id()))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", processor.eos_id())]
    )
    tokenizer.save(str(path))


def build_t5(out: Path, seed: int = 0, preset: T5Preset = SUMMARY) -> Path:
    """Write a seeded random T5ForConditionalGeneration with its tokenizer into `out`."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    out.mkdir(parents=True, exist_ok=True)
    lines = corpus("en", preset.corpus_sentences, seed)
    model_bytes = train_unigram(lines, preset.spm_vocab_size, T5_IDS)
    (out / "spiece.model").write_bytes(model_bytes)
    vocab_size = spm.SentencePieceProcessor(model_proto=model_bytes).get_piece_size()
    tokenizer_config = {
        "tokenizer_class": "T5Tokenizer",
        "extra_ids": 0,
        "model_max_length": preset.max_positions,
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    write_tokenizer_json(model_bytes, out / "tokenizer.json")
    config = T5Config(
        vocab_size=vocab_size,
        d_model=preset.d_model,
        d_kv=preset.d_model // preset.heads,
        d_ff=preset.ffn_dim,
        num_layers=preset.layers,
        num_decoder_layers=preset.layers,
        num_heads=preset.heads,
        feed_forward_proj="relu",
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        n_positions=preset.max_positions,
        task_specific_params={"summarization": {"prefix": SUMMARY_PREFIX}},
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, num_beams=2, max_length=128
    )
    model.save_pretrained(out)
    logger.info("wrote random T5 summary model (vocabulary %d) to %s", vocab_size, out)
    return out
