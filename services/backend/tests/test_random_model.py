"""The random-model builder writes checkpoints that load and run like real opus-mt ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from backend.tools import random_model, sentencepiece_models
from transformers import MarianMTModel, MarianTokenizer


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build one tiny model for the whole module (a few seconds)."""
    return random_model.build("tiny", tmp_path_factory.mktemp("tiny"), seed=0)


def test_tiny_loads_with_marian_classes_in_the_tiny_shape(tiny_dir: Path) -> None:
    """MarianMTModel and MarianTokenizer load the output; the model has the preset's shape."""
    tokenizer = MarianTokenizer.from_pretrained(tiny_dir)
    model = MarianMTModel.from_pretrained(tiny_dir)
    preset = random_model.PRESETS["tiny"]
    config = model.config
    assert (config.d_model, config.encoder_layers, config.decoder_layers) == (64, 2, 2)
    assert config.encoder_attention_heads == preset.heads
    assert config.encoder_ffn_dim == preset.ffn_dim
    assert config.max_position_embeddings == 512
    assert config.vocab_size == len(tokenizer) == tokenizer.vocab_size
    # A real trained tokenizer, not characters only: a vocabulary of several hundred pieces.
    assert tokenizer.vocab_size > 1000


def test_vocab_is_laid_out_like_opus_mt(tiny_dir: Path) -> None:
    """</s> is 0, <unk> is 1, <pad> is last and is the decoder start token."""
    vocab = json.loads((tiny_dir / "vocab.json").read_text())
    config = json.loads((tiny_dir / "config.json").read_text())
    assert vocab["</s>"] == 0
    assert vocab["<unk>"] == 1
    assert vocab["<pad>"] == len(vocab) - 1 == config["pad_token_id"]
    assert config["decoder_start_token_id"] == vocab["<pad>"]
    assert sorted(vocab.values()) == list(range(len(vocab)))


def test_tokenizer_splits_german_into_known_pieces(tiny_dir: Path) -> None:
    """German text (umlauts, ß, abbreviations) tokenizes without unknown pieces and ends in </s>."""
    tokenizer = MarianTokenizer.from_pretrained(tiny_dir)
    ids = tokenizer("Die Größe der Brücke, z. B. am 3. Oktober 2026: süß!")["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id
    assert tokenizer.unk_token_id not in ids


def test_generate_runs_in_a_batch(tiny_dir: Path) -> None:
    """Beam-search generation runs on a padded batch and decodes to one string per input."""
    tokenizer = MarianTokenizer.from_pretrained(tiny_dir)
    model = MarianMTModel.from_pretrained(tiny_dir)
    texts = ["Das Haus ist alt.", "Wir planen die Reise."]
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        output = model.generate(**batch, num_beams=2, max_length=12)
    texts = tokenizer.batch_decode(output, skip_special_tokens=True)
    assert len(texts) == 2
    assert all(isinstance(text, str) and text.strip() for text in texts)
    assert output.shape[1] <= 12


def test_same_seed_gives_the_same_model(tiny_dir: Path, tmp_path: Path) -> None:
    """The build is deterministic: same seed, byte-identical weights and tokenizers."""
    again = random_model.build("tiny", tmp_path, seed=0)
    for name in ("model.safetensors", "source.spm", "target.spm", "vocab.json"):
        assert (again / name).read_bytes() == (tiny_dir / name).read_bytes(), name


def test_opus_mt_vocab_is_padded_to_58101_distinct_tokens(tiny_dir: Path) -> None:
    """Filler pieces pad the shared vocabulary to opus-mt-de-en's exact size."""
    source = (tiny_dir / "source.spm").read_bytes()
    target = (tiny_dir / "target.spm").read_bytes()
    vocab = random_model.build_vocab(source, target, 58101)
    assert len(vocab) == 58101
    assert vocab["<pad>"] == 58100
    assert sorted(vocab.values()) == list(range(58101))


def test_opus_mt_preset_has_opus_mt_de_en_shape() -> None:
    """d_model 512, 6+6 layers, 8 heads, FFN 2048, vocabulary 58,101, about 74M parameters."""
    config = random_model.marian_config(random_model.PRESETS["opus-mt"], 58101)
    assert (config.d_model, config.encoder_layers, config.decoder_layers) == (512, 6, 6)
    assert (config.encoder_attention_heads, config.decoder_attention_heads) == (8, 8)
    assert (config.encoder_ffn_dim, config.decoder_ffn_dim) == (2048, 2048)
    with torch.device("meta"):
        model = MarianMTModel(config)
    parameters = sum(p.numel() for p in model.parameters())
    assert 73_000_000 < parameters < 75_000_000


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (sentencepiece_models.MARIAN_IDS, {"unk": 0, "bos": 1, "eos": 2, "pad": -1}),
        (sentencepiece_models.T5_IDS, {"pad": 0, "eos": 1, "unk": 2, "bos": -1}),
    ],
)
def test_each_family_gets_its_special_pieces_where_it_expects_them(ids, expected) -> None:
    """Marian (opus-mt) and T5 number their special pieces differently; both tokenizers agree."""
    import sentencepiece as spm
    from backend.tools.corpus import corpus

    model = sentencepiece_models.train_unigram(corpus("en", 300, 0), 200, ids)
    processor = spm.SentencePieceProcessor(model_proto=model)
    found = {
        "unk": processor.unk_id(),
        "bos": processor.bos_id(),
        "eos": processor.eos_id(),
        "pad": processor.pad_id(),
    }
    assert found == expected
