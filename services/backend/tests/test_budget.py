"""Output budgets: per segment, per budget group, retried up to the model's limit, counted."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from backend.config import Settings
from backend.engines.budget import BudgetedDecoder, DecodingOptions
from backend.engines.loader import load_engine, output_limit
from backend.metrics import Metrics
from prometheus_client import CollectorRegistry, generate_latest

OPTIONS = DecodingOptions(max_output_ratio=1.0, max_output_extra_tokens=2)


class ScriptedDecode:
    """Decode by echoing the tokens; a sequence 'fills' any budget below its `needs` tokens."""

    def __init__(self, needs: dict[str, int]) -> None:
        self.needs = needs
        self.calls: list[tuple[list[str], int]] = []

    def __call__(self, batch: list[list[str]], budget: int) -> list[tuple[str, bool]]:
        self.calls.append(([tokens[0] for tokens in batch], budget))
        return [
            (f"{tokens[0]}@{budget}", self.needs.get(tokens[0], 0) >= budget) for tokens in batch
        ]


def test_each_budget_group_is_decoded_on_its_own() -> None:
    decode = ScriptedDecode({})
    decoder = BudgetedDecoder(OPTIONS, model_max_tokens=511)
    outputs = decoder.translate([["a"] * 3, ["b"] * 5, [], ["c"] * 3], decode)
    assert outputs == ["a@6", "b@8", "", "c@6"]
    assert sorted(decode.calls) == [(["a", "c"], 6), (["b"], 8)]  # </s> counts


def test_a_translation_that_fills_its_budget_is_retried_with_the_models_limit() -> None:
    decode = ScriptedDecode({"a": 100})
    decoder = BudgetedDecoder(OPTIONS, model_max_tokens=511)
    assert decoder.translate([["a"] * 3, ["b"] * 3], decode) == ["a@511", "b@6"]
    assert decode.calls[-1] == (["a"], 511)
    assert decoder.truncated == 0


def test_what_fills_even_the_models_limit_is_counted_and_logged_without_text(caplog) -> None:
    decode = ScriptedDecode({"secret": 10_000})
    decoder = BudgetedDecoder(OPTIONS, model_max_tokens=511)
    with caplog.at_level(logging.WARNING):
        decoder.translate([["secret"] * 3], decode)
    assert decoder.truncated == 1
    assert "3 source tokens" in caplog.text
    assert "secret" not in caplog.text


def test_without_retry_a_full_budget_is_counted_at_once() -> None:
    decode = ScriptedDecode({"a": 100})
    options = DecodingOptions(
        max_output_ratio=1.0, max_output_extra_tokens=2, retry_truncated=False
    )
    decoder = BudgetedDecoder(options, model_max_tokens=511)
    assert decoder.translate([["a"] * 3], decode) == ["a@6"]
    assert len(decode.calls) == 1
    assert decoder.truncated == 1


def test_a_budget_already_at_the_limit_is_not_decoded_twice() -> None:
    decode = ScriptedDecode({"a": 10_000})
    decoder = BudgetedDecoder(OPTIONS, model_max_tokens=8)
    decoder.translate([["a"] * 30], decode)
    assert decode.calls == [(["a"], 8)]
    assert decoder.truncated == 1


def test_the_output_limit_is_the_generation_configs_max_length(tmp_path: Path) -> None:
    (tmp_path / "generation_config.json").write_text(json.dumps({"max_length": 512}))
    assert output_limit(tmp_path, 63) == 511
    assert output_limit(tmp_path / "missing", 63) == 63


def test_max_input_tokens_does_not_cap_the_output(tiny_model: Path, tmp_path: Path) -> None:
    engine = load_engine(
        Settings(model=str(tiny_model), max_input_tokens=64, model_cache_dir=tmp_path, device="cpu")
    )
    assert engine.max_input_tokens == 64
    assert engine.budget(64) == int(65 * 1.5) + 10  # over the input limit, under the model's 511
    assert engine.budget(1000) == 511


@pytest.mark.parametrize("name", ["ctranslate2", "transformers"])
def test_real_engines_report_a_full_budget(name: str, tiny_engines) -> None:
    engine = tiny_engines[name]
    saved = engine._decoder
    options = DecodingOptions(max_output_ratio=0.01, max_output_extra_tokens=3)
    engine._decoder = BudgetedDecoder(options, model_max_tokens=6)  # retry, then count
    try:
        engine.translate_batch(engine.tokenize(["Das ist ein ziemlich langer Satz hier."]))
        assert engine.truncated == 1  # random weights never end within 6 tokens
    finally:
        engine._decoder = saved


def test_truncations_are_a_metric() -> None:
    class Engine:
        truncated = 3

    metrics = Metrics(CollectorRegistry())
    metrics.watch_engine(Engine())
    text = generate_latest(metrics.registry).decode()
    assert "translation_backend_truncated_translations_total 3.0" in text
