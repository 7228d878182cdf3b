"""Build a random-weight Marian checkpoint with a real, trained sentencepiece tokenizer.

No machine here can download model weights, so tests and benchmarks run on these. The output
directory loads with `MarianMTModel.from_pretrained` and `MarianTokenizer.from_pretrained`, and
converts with CTranslate2, exactly like a Helsinki-NLP/opus-mt checkpoint:

- `source.spm` / `target.spm`: unigram sentencepiece models trained on backend.tools.corpus;
- `vocab.json`: the shared vocabulary, laid out like opus-mt's: "</s>" = 0, "<unk>" = 1, then the
  union of both models' pieces, padded (preset opus-mt) with filler pieces "▁" + syllables up to
  the preset's size, and "<pad>" last (Marian starts decoding from <pad>);
- `config.json`, `generation_config.json`, `model.safetensors`: MarianMTModel, seeded weights.

Fillers exist only so the `opus-mt` preset has opus-mt-de-en's exact vocabulary (58,101) and
therefore its embedding and output-projection cost. A random model generates them freely; they
detokenize literally (sentencepiece passes unknown pieces through, "▁" becomes a space), so the
output reads as nonsense words, which is all a random model can produce anyway.

Preset `summary` builds a random T5 summarisation checkpoint instead (backend.tools.random_t5),
for SUMMARY_MODEL.

Usage: python -m backend.tools.random_model --preset tiny|opus-mt|summary --out DIR [--seed N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backend.tools.corpus import corpus
from backend.tools.random_t5 import build_t5
from backend.tools.sentencepiece_models import MARIAN_IDS, train_unigram

logger = logging.getLogger(__name__)

SPECIAL_FIRST = ("</s>", "<unk>")
#: The preset that builds a T5 summarisation model (SUMMARY_MODEL) rather than a Marian one.
SUMMARY_PRESET = "summary"
PAD = "<pad>"
#: Candidate pieces the Marian tokenizers' training starts from (kept from the first presets, so
#: the models built before stay the models built now).
MARIAN_SEED_PIECES = 200000


@dataclass(frozen=True)
class Preset:
    """The shape of one random model."""

    d_model: int
    layers: int
    heads: int
    ffn_dim: int
    max_positions: int
    spm_vocab_size: int
    corpus_sentences: int
    # Total vocabulary including fillers; None keeps exactly the trained pieces.
    vocab_size: int | None


PRESETS = {
    "tiny": Preset(64, 2, 4, 128, 512, 2000, 4000, None),
    # Helsinki-NLP/opus-mt-de-en: d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 58,101.
    "opus-mt": Preset(512, 6, 8, 2048, 512, 8000, 12000, 58101),
}


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    return train_unigram(lines, vocab_size, MARIAN_IDS, seed_pieces=MARIAN_SEED_PIECES)


def pieces_of(model: bytes) -> list[str]:
    """Return the ordinary pieces of a sentencepiece model (no control or unknown pieces)."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=model)
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


def fillers() -> Iterator[str]:
    """Yield distinct pronounceable filler pieces: "▁ba", "▁be", ..., "▁baba", ..."""
    syllables = [c + v for c in "bdfgklmnprstvwz" for v in "aeiou"]
    for length in itertools.count(1):
        for combo in itertools.product(syllables, repeat=length):
            yield "▁" + "".join(combo)


def build_vocab(source: bytes, target: bytes, size: int | None) -> dict[str, int]:
    """Return the shared Marian vocabulary: specials, both models' pieces, fillers, <pad> last."""
    tokens = list(SPECIAL_FIRST)
    seen = set(tokens)
    for piece in [*pieces_of(source), *pieces_of(target)]:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
    if size is not None:
        if len(tokens) + 1 > size:
            raise ValueError(f"trained pieces ({len(tokens)}) exceed the vocabulary size {size}")
        extra = (piece for piece in fillers() if piece not in seen)
        tokens.extend(itertools.islice(extra, size - 1 - len(tokens)))
    tokens.append(PAD)
    return {token: index for index, token in enumerate(tokens)}


def marian_config(preset: Preset, vocab_size: int):  # -> transformers.MarianConfig
    """Return the MarianConfig of `preset` with `vocab_size` tokens (<pad> the last one)."""
    from transformers import MarianConfig

    pad_id = vocab_size - 1
    return MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=preset.d_model,
        encoder_layers=preset.layers,
        decoder_layers=preset.layers,
        encoder_attention_heads=preset.heads,
        decoder_attention_heads=preset.heads,
        encoder_ffn_dim=preset.ffn_dim,
        decoder_ffn_dim=preset.ffn_dim,
        max_position_embeddings=preset.max_positions,
        activation_function="swish",
        scale_embedding=True,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
    )


def build_model(preset: Preset, vocab_size: int, seed: int, out: Path) -> None:
    """Create a seeded random MarianMTModel of `preset`'s shape and save it into `out`."""
    import torch
    from transformers import GenerationConfig, MarianMTModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    pad_id = vocab_size - 1
    torch.manual_seed(seed)
    model = MarianMTModel(marian_config(preset, vocab_size)).eval()
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad_id]],
        decoder_start_token_id=pad_id,
        pad_token_id=pad_id,
        eos_token_id=0,
        forced_eos_token_id=0,
        max_length=preset.max_positions,
        num_beams=4,
    )
    model.save_pretrained(out)


def build(preset_name: str, out: Path, seed: int = 0) -> Path:
    """Write a random-weight Marian checkpoint with trained tokenizers into `out`; return it."""
    if preset_name == SUMMARY_PRESET:
        return build_t5(out, seed)
    preset = PRESETS[preset_name]
    out.mkdir(parents=True, exist_ok=True)
    source = _train_spm(corpus("de", preset.corpus_sentences, seed), preset.spm_vocab_size)
    target = _train_spm(corpus("en", preset.corpus_sentences, seed + 1), preset.spm_vocab_size)
    vocab = build_vocab(source, target, preset.vocab_size)
    (out / "source.spm").write_bytes(source)
    (out / "target.spm").write_bytes(target)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=0) + "\n")
    tokenizer_config = {
        "tokenizer_class": "MarianTokenizer",
        "source_lang": "de",
        "target_lang": "en",
        "model_max_length": preset.max_positions,
        "separate_vocabs": False,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    (out / "special_tokens_map.json").write_text(
        json.dumps({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": PAD}, indent=2) + "\n"
    )
    build_model(preset, len(vocab), seed, out)
    logger.info("wrote %s random model (vocabulary %d) to %s", preset_name, len(vocab), out)
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and build the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted([*PRESETS, SUMMARY_PRESET]), default="tiny")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and corpus")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.preset, args.out, args.seed)


if __name__ == "__main__":
    main()
