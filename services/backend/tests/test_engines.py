"""Both engines translate the tiny random model behind the Engine protocol."""

from __future__ import annotations

from typing import Any

import pytest
from backend.engines.base import Engine
from backend.engines.ctranslate2 import DecodingOptions, resolve_compute_type

SENTENCES = ["Das Haus ist alt.", "Wir planen die Reise, z. B. am 3. Oktober 2026.", "Ja!"]


def test_engine_implements_the_protocol(tiny_engine: Engine) -> None:
    """Each engine is an Engine with a name, its model and the model's input window."""
    assert isinstance(tiny_engine, Engine)
    assert tiny_engine.name in {"ctranslate2", "transformers"}
    assert tiny_engine.model.endswith("tiny")
    assert tiny_engine.max_input_tokens == 511  # 512 positions, minus </s>


def test_tokenize_gives_source_pieces_without_eos(tiny_engine: Engine) -> None:
    """Tokens are sentencepiece pieces, one list per text, with no end-of-sentence token."""
    tokens = tiny_engine.tokenize(SENTENCES)
    assert len(tokens) == 3
    assert all(seq and "</s>" not in seq for seq in tokens)
    assert "".join(tokens[0]).replace("▁", " ").strip() == SENTENCES[0]


def test_both_engines_tokenize_alike(tiny_engines: dict[str, Engine]) -> None:
    """CTranslate2 (sentencepiece directly) and MarianTokenizer produce the same pieces."""
    ct2, hf = tiny_engines["ctranslate2"], tiny_engines["transformers"]
    assert ct2.tokenize(SENTENCES) == hf.tokenize(SENTENCES)


def test_translate_batch_returns_one_text_per_input_in_order(tiny_engine: Engine) -> None:
    """A batch gives one non-empty string per sequence; reversing the batch reverses it."""
    tokens = tiny_engine.tokenize(SENTENCES)
    forward = tiny_engine.translate_batch(tokens)
    backward = tiny_engine.translate_batch(tokens[::-1])
    assert len(forward) == 3
    assert all(isinstance(text, str) and text.strip() for text in forward)
    assert forward == backward[::-1]
    assert all("▁" not in text and "</s>" not in text for text in forward)


def test_empty_sequences_translate_to_empty_strings(tiny_engine: Engine) -> None:
    """An empty token sequence costs nothing and comes back empty, in its place."""
    tokens = tiny_engine.tokenize(["Hallo Welt."])[0]
    result = tiny_engine.translate_batch([[], tokens, []])
    assert result[0] == result[2] == ""
    assert result[1]
    assert tiny_engine.translate_batch([]) == []


def test_output_length_follows_the_input_budget() -> None:
    """The decoding budget is ratio x the input's tokens + extra tokens, capped by the model."""
    options = DecodingOptions(beam_size=4, max_output_ratio=1.0, max_output_extra_tokens=2)
    assert options.max_output_tokens(30, 511) == 32
    assert options.max_output_tokens(600, 511) == 511
    assert (
        DecodingOptions(max_output_ratio=0.01, max_output_extra_tokens=0).max_output_tokens(5, 511)
        == 1
    )


def test_compute_type_defaults_to_int8_on_cpu_and_float16_on_gpu() -> None:
    """COMPUTE_TYPE=auto maps to int8 on CPU and float16 on CUDA; anything else is kept."""
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("int8_float32", "cpu") == "int8_float32"


def _load(name: str, tiny_model, cache_dir, **settings: Any) -> Engine:
    """Load engine `name` on the tiny model the way the service does, from Settings."""
    from backend.config import Settings
    from backend.engines.loader import load_engine

    return load_engine(
        Settings(
            model=str(tiny_model),
            engine=name,
            device="cpu",
            model_cache_dir=cache_dir,
            retry_truncated=False,  # random weights seldom end a sentence
            **settings,
        )
    )


@pytest.mark.parametrize("name", ["ctranslate2", "transformers"])
def test_max_output_settings_bound_what_the_engine_generates(
    name: str, tiny_model, tmp_path, tiny_engines: dict[str, Engine]
) -> None:
    """MAX_OUTPUT_RATIO and MAX_OUTPUT_EXTRA_TOKENS set the loaded engine's decoding budget."""
    from backend.engines.ctranslate2 import CTranslate2Engine

    engine = _load(name, tiny_model, tmp_path, max_output_ratio=0.01, max_output_extra_tokens=2)
    # 30 tokens + </s>: int(31 x 0.01) + 2; the default engine: int(31 x 1.5) + 10.
    assert engine.budget(30) == 2
    assert tiny_engines[name].budget(30) == 56
    tokens = engine.tokenize(SENTENCES[1:2])
    short_text = engine.translate_batch(tokens)[0]
    assert len(short_text) < len(tiny_engines[name].translate_batch(tokens)[0])
    if isinstance(engine, CTranslate2Engine):
        assert len(short_text.split()) <= 3


def test_beam_size_reaches_ctranslate2(tiny_model, tmp_path, monkeypatch) -> None:
    """BEAM_SIZE is the beam CTranslate2's translate_batch is called with."""
    import ctranslate2

    beams: list[int] = []
    real_translator = ctranslate2.Translator

    class RecordingTranslator:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._translator = real_translator(*args, **kwargs)

        def translate_batch(self, *args: Any, **kwargs: Any) -> Any:
            beams.append(kwargs["beam_size"])
            return self._translator.translate_batch(*args, **kwargs)

    monkeypatch.setattr(ctranslate2, "Translator", RecordingTranslator)
    engine = _load("ctranslate2", tiny_model, tmp_path, beam_size=3)
    assert engine.translate_batch(engine.tokenize(SENTENCES))
    assert set(beams) == {3}


def test_beam_size_reaches_transformers_generate(tiny_model, tmp_path, monkeypatch) -> None:
    """BEAM_SIZE is the num_beams MarianMTModel.generate is called with."""
    from transformers import MarianMTModel

    beams: list[int] = []
    real_generate = MarianMTModel.generate

    def recording_generate(self: Any, *args: Any, **kwargs: Any) -> Any:
        beams.append(kwargs["num_beams"])
        return real_generate(self, *args, **kwargs)

    monkeypatch.setattr(MarianMTModel, "generate", recording_generate)
    engine = _load("transformers", tiny_model, tmp_path, beam_size=2)
    assert engine.translate_batch(engine.tokenize(SENTENCES))
    assert set(beams) == {2}


def test_concurrent_batches_on_two_workers_match_one_at_a_time(tiny_model, tmp_path) -> None:
    """Two threads translating at once on a two-worker CTranslate2 engine get what one gets."""
    from concurrent.futures import ThreadPoolExecutor

    from backend.config import Settings
    from backend.engines.loader import load_engine

    engine = load_engine(
        Settings(
            model=str(tiny_model),
            device="cpu",
            model_cache_dir=tmp_path,
            engine_workers=2,
            retry_truncated=False,
        )
    )
    assert engine.workers == 2
    batches = [engine.tokenize(SENTENCES), engine.tokenize(SENTENCES[::-1])]
    alone = [engine.translate_batch(batch) for batch in batches]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(engine.translate_batch, batches * 3))
    assert together == alone * 3


CONTROL_LOOKALIKES = ">>de<< Hallo </s> Welt <unk> und <pad> hier."


def test_literal_control_tokens_in_the_text_are_text(tiny_engines: dict[str, Engine]) -> None:
    """ "</s>", "<unk>", "<pad>" and ">>de<<" typed by a user never become control tokens."""
    ct2, hf = tiny_engines["ctranslate2"], tiny_engines["transformers"]
    tokens = hf.tokenize([CONTROL_LOOKALIKES])[0]
    assert tokens == ct2.tokenize([CONTROL_LOOKALIKES])[0]
    assert not {"</s>", "<unk>", "<pad>", ">>de<<"} & set(tokens)
    assert "".join(tokens).replace("▁", " ").strip() == CONTROL_LOOKALIKES
    tokenizer = hf._tokenizer
    ids = tokenizer.convert_tokens_to_ids(tokens)
    assert tokenizer.eos_token_id not in ids
    assert tokenizer.pad_token_id not in ids


def test_unknown_pieces_render_alike_on_both_engines(tiny_engines: dict[str, Engine]) -> None:
    """An <unk> in the output is dropped by both engines: no " ⁇ " and no doubled space."""
    ct2, hf = tiny_engines["ctranslate2"], tiny_engines["transformers"]
    house, old = (ct2._target.encode(word, out_type=str) for word in ("house", "old"))
    pieces = [*house, "<unk>", *old, "</s>"]
    tokenizer = hf._tokenizer
    ids = tokenizer.convert_tokens_to_ids(pieces)
    assert tokenizer.unk_token_id not in tokenizer.convert_tokens_to_ids([*house, *old])
    assert ct2.detokenize(pieces) == "house old"
    assert tokenizer.decode(ids, skip_special_tokens=True).strip() == "house old"
