"""Tests for the GRPO VRAM/time planner and its model-shape presets (pure arithmetic, no GPU)."""

from __future__ import annotations

import json

import pytest

from tucano_commerce.errors import ConfigError, UnknownNameError
from tucano_commerce.train._planner import PlanInputs, plan, plan_to_table
from tucano_commerce.train._shapes import PRESETS, get_shape, shape_from_config_json


def _plan(gpu: str = "l4", **overrides: object):
    base: dict[str, object] = {
        "model": "tucano2-qwen-3.7b",
        "max_prompt_length": 1024,
        "max_completion_length": 3072,
    }
    return plan(PlanInputs(**(base | overrides)), gpu)


def test_presets_match_published_parameter_counts() -> None:
    assert get_shape("qwen3-4b").n_params == pytest.approx(4.02e9, rel=0.01)
    assert get_shape("tucano2-qwen-3.7b").n_params == pytest.approx(3.76e9, rel=0.01)
    moe = get_shape("qwen3-30b-a3b")
    assert moe.n_params == pytest.approx(30.5e9, rel=0.01)
    assert moe.n_active_params == pytest.approx(3.3e9, rel=0.03)


def test_more_completion_tokens_cost_more_kv_and_time() -> None:
    short, long = _plan(max_completion_length=2048), _plan(max_completion_length=3072)
    assert long.terms["kv_cache"] > short.terms["kv_cache"]
    assert long.seconds_per_step > short.seconds_per_step
    assert long.hours > short.hours


def test_4bit_weights_are_smaller_than_bf16() -> None:
    assert _plan(quantization="4bit").terms["weights"] < _plan(quantization="none").terms["weights"]
    assert _plan(model="qwen3-4b", quantization="none").terms["weights"] == pytest.approx(7.49, abs=0.01)
    assert _plan(model="qwen3-4b", quantization="4bit").terms["weights"] == pytest.approx(2.47, abs=0.01)


def test_checkpointing_reduces_activations() -> None:
    on, off = _plan(gradient_checkpointing=True), _plan(gradient_checkpointing=False)
    assert on.terms["activations"] < off.terms["activations"]
    assert on.time_terms["training_s"] > off.time_terms["training_s"]  # recompute costs a forward


def test_fused_head_is_smaller_than_naive_logits() -> None:
    fused, naive = _plan(model="qwen3-4b", fused_lm_head=True), _plan(model="qwen3-4b", fused_lm_head=False)
    assert fused.terms["logits"] == pytest.approx(0.25)
    assert naive.terms["logits"] > 4 * fused.terms["logits"]


def test_note_section_7_2_anchors() -> None:
    a = _plan(
        model="qwen3-4b", max_prompt_length=512, max_completion_length=4096, per_device_train_batch_size=1
    )
    assert a.terms["lora"] == pytest.approx(0.49, abs=0.01)
    assert a.terms["kv_cache"] == pytest.approx(2.53, abs=0.01)  # gen batch bs × GA = 4
    assert a.total_gib == pytest.approx(6.7, abs=0.3)
    e = _plan(model="qwen3-4b", max_prompt_length=512, max_completion_length=4096, per_device_train_batch_size=1,
              use_vllm=True)  # fmt: skip
    assert e.terms["kv_cache"] == 0 and e.terms["vllm_pool"] == pytest.approx(11.25)
    assert e.total_gib == pytest.approx(16.7, abs=0.3)


def test_context_warning_for_tucano_at_4096_completion() -> None:
    result = _plan(max_completion_length=4096)
    assert len(result.context_warnings) == 1
    assert "4096-token context" in result.context_warnings[0]
    assert "lower max_completion_length to 3072" in result.context_warnings[0]
    assert _plan(max_completion_length=3072).context_warnings == []
    assert _plan(model="qwen3-4b", max_completion_length=4096).context_warnings == []


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_config_json_round_trips_to_the_preset(tmp_path, name: str) -> None:
    shape = PRESETS[name]
    cfg = {
        "architectures": ["Qwen3MoeForCausalLM" if shape.is_moe else "Qwen3ForCausalLM"],
        "num_hidden_layers": shape.layers,
        "hidden_size": shape.hidden,
        "num_attention_heads": shape.heads,
        "num_key_value_heads": shape.kv_heads,
        "head_dim": shape.head_dim,
        "intermediate_size": 6144 if shape.is_moe else shape.intermediate,
        "vocab_size": shape.vocab,
        "tie_word_embeddings": shape.tied,
        "max_position_embeddings": shape.context,
    }
    if shape.is_moe:
        cfg |= {"num_experts": shape.n_experts, "num_experts_per_tok": shape.n_active_experts,
                "moe_intermediate_size": shape.intermediate}  # fmt: skip
    path = tmp_path / name / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(cfg))
    assert shape_from_config_json(path) == shape


def test_bad_inputs_raise_actionable_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        shape_from_config_json(tmp_path / "missing.json")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="num_hidden_layers"):
        shape_from_config_json(tmp_path / "config.json")
    with pytest.raises(UnknownNameError, match="qwen3-4b"):
        get_shape("qwen3-3.7b")
    with pytest.raises(UnknownNameError, match="l4"):
        _plan(gpu="t4")


def test_json_and_table_output() -> None:
    result = _plan(max_completion_length=4096)
    dumped = json.loads(json.dumps(result.model_dump()))
    assert {"total_gib", "terms", "seconds_per_step", "hours", "headroom_gib", "fits"} <= dumped.keys()
    assert {"weights", "lora", "activations", "logits", "kv_cache", "vllm_pool", "cuda_context"} <= dumped[
        "terms"
    ].keys()
    assert result.fits and result.headroom_gib == pytest.approx(22.5 - result.total_gib, abs=0.01)
    table = plan_to_table(result)
    assert "| Base weights |" in table and "Seconds per step" in table and "WARNING" in table


def test_bigger_gpu_is_faster_and_moe_reads_only_active_weights() -> None:
    assert _plan(gpu="h100").seconds_per_step < _plan(gpu="a100").seconds_per_step < _plan().seconds_per_step
    moe = _plan(model="qwen3-30b-a3b", max_completion_length=2048)
    assert moe.terms["weights"] > 14  # all experts resident
    assert not _plan(model="qwen3-30b-a3b", quantization="none").fits
