"""Tests for the GRPO VRAM/time planner, its cost model, the budget search and the model-shape presets (pure
arithmetic, no GPU)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tucano_commerce.errors import ConfigError, UnknownNameError
from tucano_commerce.train import _costs as costs
from tucano_commerce.train._planner import GPUS, PlanInputs, plan, plan_to_table, vllm_sizing
from tucano_commerce.train._shapes import PRESETS, get_shape, shape_from_config_json

REPO = Path(__file__).resolve().parents[2]


def _plan(gpu: str = "l4", **overrides: object):
    base: dict[str, object] = {
        "model": "tucano2-qwen-3.7b",
        "max_prompt_length": 1024,
        "max_completion_length": 3072,
    }
    return plan(PlanInputs(**(base | overrides)), gpu)


# The ADR's v3 settings as the issue describes them (one group per step, eval 50 x G 4 every 10, batch 4).
ADR = {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 1, "eval_steps": 10, "eval_examples": 50,
       "per_device_eval_batch_size": 4}  # fmt: skip
BF16_VLLM = {"quantization": "none", "use_vllm": True, "vllm_enable_sleep_mode": True, "vllm_max_model_length": 4096,
             "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1}  # fmt: skip


def test_presets_match_published_parameter_counts() -> None:
    assert get_shape("qwen3-4b").n_params == pytest.approx(4.02e9, rel=0.01)
    assert get_shape("tucano2-qwen-3.7b").n_params == pytest.approx(3.76e9, rel=0.01)
    assert get_shape("qwen2-7b").n_params == pytest.approx(7.62e9, rel=0.01)
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


def test_batched_hf_decoding_of_a_4bit_base_is_slower_than_bf16() -> None:
    """bitsandbytes dequantizes every weight per decode step at batch > 1: 4-bit saves memory, not time."""
    q4, bf16 = _plan(quantization="4bit", **ADR), _plan(quantization="none", **ADR)
    assert q4.time_terms["generation_s"] > 2 * bf16.time_terms["generation_s"]
    # at batch 1 bitsandbytes' fused GEMV reads only the 4-bit codes, and eager dispatch becomes the bound
    one = {"per_device_train_batch_size": 1, "gradient_accumulation_steps": 1, "num_generations": 1}
    assert costs.bnb_bytes_per_param(1) < 2 < costs.bnb_bytes_per_param(4)
    floor = costs.hf_dispatch_seconds(36, 7, 7, quantized=True) * 3072
    assert _plan(quantization="4bit", eval_examples=0, **one).time_terms["generation_s"] == pytest.approx(
        floor, rel=0.01
    )


def test_hf_decoding_has_a_cpu_floor_that_vllm_does_not() -> None:
    """On a fast GPU eager HF generate is bound by launching kernels from Python; vLLM's CUDA graphs are not."""
    hf, vllm = (
        _plan("h200", quantization="none", **ADR),
        _plan("h200", **(BF16_VLLM | {"vllm_gpu_memory_utilization": 0.3})),
    )
    floor = costs.hf_dispatch_seconds(36, 7, 7, quantized=False) * 3072
    assert hf.time_terms["generation_s"] == pytest.approx(floor, rel=0.02)
    assert vllm.time_terms["generation_s"] < hf.time_terms["generation_s"] / 3


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
              use_vllm=True, vllm_gpu_memory_utilization=0.5)  # fmt: skip
    assert e.terms["kv_cache"] == 0 and e.terms["vllm_pool"] == pytest.approx(11.25)
    assert e.total_gib == pytest.approx(16.7, abs=0.3)


def test_trl_default_vllm_share_cannot_hold_the_weights() -> None:
    """TRL's default 0.3 x 22.5 GiB is less than Tucano2's 7 GiB of bf16 weights: vLLM would not start."""
    result = _plan(**(BF16_VLLM | {"vllm_enable_sleep_mode": False}))
    assert result.vllm is not None and result.vllm["gpu_memory_utilization"] == 0.3
    assert not result.fits and result.vllm["concurrent_sequences"] == 0
    assert (
        "will not start" in result.problems[0]
        and "vllm_gpu_memory_utilization to >= 0.46" in result.problems[0]
    )
    assert "PROBLEM" in plan_to_table(result)


def test_vllm_pool_is_sized_for_the_weights_and_a_group_and_fits_an_l4_only_with_sleep_mode() -> None:
    inputs = PlanInputs(
        model="tucano2-qwen-3.7b", max_prompt_length=1024, max_completion_length=3072, **BF16_VLLM
    )
    sizing = vllm_sizing(inputs, "l4")
    need = sizing["weights_gib"] + costs.VLLM_WORKSPACE_GIB + 4 * 4096 * 147_456 / 2**30
    assert need <= sizing["min_gpu_memory_utilization"] * 22.5 < need + 0.01 * 22.5
    assert sizing["recommended_gpu_memory_utilization"] >= sizing["min_gpu_memory_utilization"]
    sized = inputs.model_copy(
        update={"vllm_gpu_memory_utilization": sizing["recommended_gpu_memory_utilization"]}
    )
    asleep = plan(sized, "l4")
    awake = plan(sized.model_copy(update={"vllm_enable_sleep_mode": False}), "l4")
    assert asleep.fits and asleep.vllm and asleep.vllm["concurrent_sequences"] >= 4
    assert (
        not awake.fits and awake.total_gib > asleep.total_gib
    )  # pool and training phase add up without sleep
    assert asleep.time_terms["vllm_overhead_s"] > awake.time_terms["vllm_overhead_s"]  # wake/sleep per call


def test_vllm_server_mode_charges_nothing_to_the_training_gpu() -> None:
    server = _plan(**(BF16_VLLM | {"vllm_mode": "server", "vllm_enable_sleep_mode": False}))
    assert server.terms["vllm_pool"] == 0 and server.fits
    assert server.vllm and not server.vllm["charged_to_training_gpu"]
    assert server.vllm["gpu_memory_utilization"] == 0.9  # trl vllm-serve's default, on its own GPU
    colocated = _plan(**(BF16_VLLM | {"vllm_enable_sleep_mode": False, "vllm_gpu_memory_utilization": 0.5}))
    assert colocated.total_gib - server.total_gib == pytest.approx(0.5 * 22.5, abs=0.02)


def test_vllm_changes_time_and_decodes_in_waves_when_its_kv_is_short() -> None:
    hf = _plan(quantization="none", **ADR)
    roomy = _plan(**(BF16_VLLM | {"vllm_gpu_memory_utilization": 0.58}))
    tight = _plan(**(BF16_VLLM | {"vllm_gpu_memory_utilization": 0.4}))
    assert roomy.time_terms["generation_s"] != hf.time_terms["generation_s"]
    assert roomy.time_terms["old_logprob_s"] > 0  # TRL's importance-sampling correction forward
    assert tight.vllm and tight.vllm["concurrent_sequences"] < 4 and tight.notes
    assert tight.time_terms["generation_s"] > roomy.time_terms["generation_s"]


def test_ranges_bracket_typical_and_capped_completions() -> None:
    result = _plan(**ADR)
    lo, hi = result.seconds_per_step_range
    assert lo < hi == result.seconds_per_step
    assert result.hours_range[1] == result.hours and result.hours_range[0] < result.hours
    assert result.eval_seconds_range[0] < result.eval_seconds_range[1] == result.eval_seconds
    flat = _plan(typical_completion_share=1.0, **ADR)
    assert flat.seconds_per_step_range[0] == flat.seconds_per_step_range[1]


def test_the_adr_eval_dominates_and_batching_and_a_subset_fix_it() -> None:
    adr = _plan(**ADR)
    assert adr.eval_share > 0.8  # the 83 % of the tokens are eval
    assert adr.batches["eval_generate_calls"] == 50 and adr.evals == 50
    batched = _plan(**(ADR | {"per_device_eval_batch_size": 16}))
    assert batched.eval_seconds < adr.eval_seconds / 2.5  # 4 prompts per call instead of 1
    fewer = _plan(**(ADR | {"per_device_eval_batch_size": 16, "num_generations_eval": 2, "eval_examples": 32,
                            "eval_steps": 25}))  # fmt: skip
    assert fewer.eval_share <= 0.20 and fewer.batches["eval_generate_calls"] == 4
    assert fewer.terms["kv_cache"] > adr.terms["kv_cache"]  # the eval batch's KV is planned
    assert _plan(**(ADR | {"eval_examples": 0})).eval_share == 0


def test_generation_batch_is_global_across_processes() -> None:
    two = _plan(
        per_device_train_batch_size=2, gradient_accumulation_steps=1, num_processes=2, num_generations=4
    )
    assert two.batches["generation_batch_global"] == 4 and two.batches["generation_batch_per_process"] == 2
    assert two.batches["prompts_per_generation"] == 1
    one = _plan(per_device_train_batch_size=4, gradient_accumulation_steps=1, num_generations=4)
    assert two.terms["kv_cache"] == one.terms["kv_cache"]  # the eval batch (4) sets it in both
    assert two.batches["eval_completions_per_process"] == one.batches["eval_completions_per_process"] / 2
    with pytest.raises(ValueError, match="not a multiple"):
        PlanInputs(model="qwen3-4b", per_device_train_batch_size=4, num_processes=2, generation_batch_size=12)
    explicit = _plan(per_device_train_batch_size=2, num_processes=2, generation_batch_size=8)
    assert (
        explicit.batches["steps_per_generation"] == 2
        and explicit.batches["generation_batch_per_process"] == 4
    )


def test_expected_extra_rounds_of_dynamic_sampling() -> None:
    assert costs.expected_extra_rounds(1, 1.0, 1, 2) == 0  # every group informative
    assert costs.expected_extra_rounds(1, 0.0, 1, 2) == 2  # never: the cap is spent
    # one group per batch, p = 0.5, k = 1: P(first tied) + P(first two tied) = 0.5 + 0.25
    assert costs.expected_extra_rounds(1, 0.5, 1, 2) == pytest.approx(0.75)
    assert costs.expected_extra_rounds(4, 0.5, 2, 3) < costs.expected_extra_rounds(1, 0.5, 2, 3)


def test_planner_charges_dynamic_sampling_typical_and_worst_case() -> None:
    off, on = _plan(**ADR), _plan(dynamic_sampling=True, max_extra_batches=2, zero_std_share=0.5, **ADR)
    assert on.dynamic_sampling == {"groups_per_batch": 1, "expected_extra_rounds": 0.75, "max_extra_rounds": 2.0,
                                   "zero_std_share": 0.5}  # fmt: skip
    one_call = off.time_terms["generation_s"] + off.time_terms["prefill_s"]
    assert on.time_terms["dynamic_sampling_s"] == pytest.approx(2 * one_call, rel=0.01)  # cap: all rounds
    assert on.seconds_per_step_range[0] > off.seconds_per_step_range[0]
    assert "Dynamic sampling" in plan_to_table(on)


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
    with pytest.raises(UnknownNameError, match="h200"):
        _plan(gpu="v100")
    with pytest.raises(ValueError, match="lora_target_modules must be a module name or a list"):
        _plan(lora_target_modules=4)  # not a name nor a list: a validation error, not a TypeError
    assert PlanInputs(model="qwen3-4b", lora_target_modules="q_proj").lora_target_modules == ("q",)


def test_json_and_table_output() -> None:
    result = _plan(max_completion_length=4096)
    dumped = json.loads(json.dumps(result.model_dump()))
    assert {"total_gib", "terms", "seconds_per_step", "hours", "headroom_gib", "fits", "seconds_per_step_range",
            "hours_range", "eval_share"} <= dumped.keys()  # fmt: skip
    assert {"weights", "lora", "activations", "logits", "kv_cache", "vllm_pool", "cuda_context"} <= dumped[
        "terms"
    ].keys()
    assert result.fits and result.headroom_gib == pytest.approx(22.5 - result.total_gib, abs=0.01)
    table = plan_to_table(result)
    assert "| Base weights |" in table and "Seconds per step (typical – cap)" in table and "WARNING" in table
    lo, hi = result.hours_range
    assert f"{lo:.1f}–{hi:.1f} h" in table
    assert "ADR author's estimate (not a measurement) | ~300 s/step, ~42 h" in table
    assert "ADR author's estimate" not in plan_to_table(_plan("h100"))


def test_gpu_presets_and_moe() -> None:
    assert {"t4", "l4", "a100", "h100", "h200"} <= set(GPUS)
    assert _plan("h200").seconds_per_step < _plan("l4").seconds_per_step
    assert _plan(gpu="h100").seconds_per_step < _plan(gpu="a100").seconds_per_step < _plan().seconds_per_step
    assert not _plan("t4", model="qwen3-4b", quantization="none", per_device_eval_batch_size=16).fits
    moe = _plan(model="qwen3-30b-a3b", max_completion_length=2048)
    assert moe.terms["weights"] > 14  # all experts resident
    assert not _plan(model="qwen3-30b-a3b", quantization="none").fits


def test_published_anchors_are_within_one_and_a_half_x() -> None:
    spec = importlib.util.spec_from_file_location(
        "planner_anchors", REPO / "benchmarks" / "planner_anchors.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run()
    assert len(rows) >= 2 and {r["gpu"] for r in rows} == {"t4"}
    assert any("grpo_trl_lora_qlora" in r["source"] for r in rows)
    assert any("Qwen3_(4B)-GRPO" in r["source"] for r in rows)
    for row in rows:
        assert {"name", "source", "published_s_per_step", "predicted_s_per_step"} <= row.keys()
        assert 1 / 1.5 <= row["predicted_s_per_step"] / row["published_s_per_step"] <= 1.5, row["name"]
