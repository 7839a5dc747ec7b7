"""TucanoGRPOTrainer: the advantage post-processing on hand-made rewards, and tiny CPU runs (filter, monitor).

The tiny run uses a seeded random Qwen3 (hidden 16, 2 layers) with a locally built word-level tokenizer
(no download), G=4, 1-3 steps, completions of at most 12 tokens; the adaptive-entropy test checks that the
monitor really switches on TRL 1.16's entropy controller mid-run.

    .venv/bin/python -m pytest tests/train/test_trainer.py
"""

from __future__ import annotations

import os
import warnings
import zlib
from pathlib import Path
from typing import Any

import pytest
import torch

from tucano_commerce.train._trainer import NOISE_WARNING, postprocess_advantages

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

nan = float("nan")


def trl_advantages(rewards: torch.Tensor, g: int, scale: str = "group") -> torch.Tensor:
    """TRL 1.16's formula, for comparison."""
    grouped = rewards.view(-1, g)
    adv = grouped - grouped.nanmean(dim=1, keepdim=True)
    if scale == "group":
        adv = adv / (grouped.std(dim=1, keepdim=True) + 1e-4)
    return adv.reshape(-1)


def test_filter_masks_exactly_the_zero_std_groups() -> None:
    rewards = torch.tensor([0.2, 0.5, 1.0, 0.2,  # informative
                            0.7, 0.7, 0.7, 0.7,  # tied
                            0.0, 1.0, 0.0, 0.0,  # informative
                            0.0, 0.0, 0.0, 0.0])  # fmt: skip
    res = postprocess_advantages(rewards, 4, zero_std_strategy="filter")
    assert res.advantages is None  # mean baseline: TRL's advantages are kept
    assert res.zero_std_groups.tolist() == [False, True, False, True]
    assert res.keep.tolist() == [True] * 4 + [False] * 4 + [True] * 4 + [False] * 4
    assert res.filtered_groups == 2 and res.filtered_frac == pytest.approx(0.5)


def test_keep_masks_nothing_and_nan_rows_count_as_unscorable() -> None:
    rewards = torch.tensor([0.7, 0.7, 0.7, 0.7, 0.1, nan, 0.1, 0.1, nan, nan, nan, 0.3])
    keep = postprocess_advantages(rewards, 4, zero_std_strategy="keep")
    assert keep.keep.all() and keep.filtered_groups == 0
    flt = postprocess_advantages(rewards, 4, zero_std_strategy="filter")
    # group 2: the scored values are tied; group 3: a single scored value (std undefined) -> no signal
    assert flt.zero_std_groups.tolist() == [True, True, True]


def test_median_baseline_odd_group_drops_the_pivot() -> None:
    # group 1: median 0.5 (index 2); group 2: tied, filtered, no pivot
    rewards = torch.tensor([0.0, 0.2, 0.5, 1.0, 0.9, 0.3, 0.3, 0.3, 0.3, 0.3])
    res = postprocess_advantages(rewards, 5, advantage_baseline="median", scale_rewards="none")
    assert res.advantages is not None
    assert res.advantages[:5].tolist() == pytest.approx([-0.5, -0.3, 0.0, 0.5, 0.4])
    assert res.advantages[5:].tolist() == [0.0] * 5
    assert res.keep.tolist() == [True, True, False, True, True] + [False] * 5
    assert res.dropped_pivots == 1 and res.filtered_groups == 1


def test_median_baseline_even_group_uses_midpoint_and_group_scaling() -> None:
    rewards = torch.tensor([0.0, 0.2, 0.6, 1.0])
    res = postprocess_advantages(rewards, 4, advantage_baseline="median", zero_std_strategy="keep")
    std = rewards.std().item()
    expected = [(r - 0.4) / (std + 1e-4) for r in rewards.tolist()]
    assert res.advantages.tolist() == pytest.approx(expected, rel=1e-5)
    assert res.keep.all() and res.dropped_pivots == 0


def test_noise_recomputes_trl_advantages_and_randomises_tied_groups() -> None:
    rewards = torch.tensor([0.2, 0.5, 1.0, 0.2, 0.7, 0.7, 0.7, 0.7])
    gen = torch.Generator().manual_seed(0)
    res = postprocess_advantages(rewards, 4, zero_std_strategy="noise", noise_std=0.01, generator=gen)
    assert res.advantages[:4].tolist() == pytest.approx(trl_advantages(rewards, 4)[:4].tolist(), rel=1e-5)
    # the harm: a tied group's noise becomes advantages as large as a real signal's after std scaling
    assert res.advantages[4:].abs().mean() > 0.5
    assert res.keep.all() and res.filtered_groups == 0


def test_boolean_scale_rewards_are_trls_group_and_none() -> None:
    rewards = torch.tensor([0.0, 1.0, 3.0, 0.2, 0.2, 0.5])
    for flag, name in ((True, "group"), (False, "none")):
        as_bool = postprocess_advantages(rewards, 3, advantage_baseline="median", scale_rewards=flag)
        as_name = postprocess_advantages(rewards, 3, advantage_baseline="median", scale_rewards=name)
        assert as_bool.advantages is not None and as_name.advantages is not None
        assert torch.equal(as_bool.advantages, as_name.advantages)
    with pytest.raises(ValueError, match="scale_rewards must be"):
        postprocess_advantages(rewards, 3, advantage_baseline="median", scale_rewards="prompt")


def test_dynamic_sampling_needs_a_train_set_it_can_index() -> None:
    from types import SimpleNamespace

    from torch.utils.data import IterableDataset

    from tucano_commerce.train._trainer import TucanoGRPOTrainer

    class Stream(IterableDataset):
        def __iter__(self):  # noqa: ANN204
            yield {"prompt": "o pedido"}

    rows = [{"prompt": "o pedido"}, {"prompt": "a loja"}]
    trainer = SimpleNamespace(train_dataset=rows, _extra_rng=torch.Generator().manual_seed(0))
    drawn = TucanoGRPOTrainer._draw_prompts(trainer, 2, 3)  # type: ignore[arg-type]
    assert len(drawn) == 6 and all(d in rows for d in drawn)
    assert drawn[0] == drawn[1] == drawn[2] and drawn[3] == drawn[4] == drawn[5]  # each repeated G times
    trainer.train_dataset = Stream()
    with pytest.raises(TypeError, match="dynamic_sampling draws prompts at random.*Stream"):
        TucanoGRPOTrainer._draw_prompts(trainer, 1, 2)  # type: ignore[arg-type]


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="zero_std_strategy"):
        postprocess_advantages(torch.zeros(4), 4, zero_std_strategy="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="advantage_baseline"):
        postprocess_advantages(torch.zeros(4), 4, advantage_baseline="max")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tiny end-to-end run

WORDS = ["o", "pedido", "chegou", "atrasado", "produto", "bom", "ruim", "entrega", "rápida", "loja", "não",
         "sim", "positivo", "negativo", "neutro", "resposta", ":", "{", "}", '"', ",", "0", "1", "2", "3",
         "sentiment", "score"]  # fmt: skip
TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|> ' + message['role'] + ' ' + message['content'] + ' <|im_end|> ' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|> assistant ' -}}{%- endif -%}"
)


def build_tiny(path: Path) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]
    vocab = {w: i for i, w in enumerate(dict.fromkeys([*specials, "system", "user", "assistant", *WORDS]))}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  unk_token="<unk>")  # fmt: skip
    tok.chat_template = TEMPLATE
    torch.manual_seed(0)
    config = Qwen3Config(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=4, tie_word_embeddings=True,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         bos_token_id=None, max_position_embeddings=256)  # fmt: skip
    Qwen3ForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return tok


def text_hash_reward(completions: list[Any], task: list[str], **kwargs: Any) -> list[float | None]:
    """Informative on general rows only (a random model never scores there): distinct texts differ."""
    return [
        zlib.crc32(str(c).encode()) % 97 / 97 if t == "general" else None
        for c, t in zip(completions, task, strict=True)
    ]


def tiny_trainer(
    tmp_path: Path,
    *,
    max_steps: int,
    callbacks: list[Any],
    rewards: list[Any] | None = None,
    args_overrides: dict[str, Any] | None = None,
    **trainer_kwargs: Any,
) -> Any:
    """The four reward functions (three staged + text hash) on one sentiment and one general row."""
    from datasets import Dataset
    from trl import GRPOConfig

    from tucano_commerce.data import to_row
    from tucano_commerce.data._records import TrainingExample
    from tucano_commerce.train._rewards import DEFAULT_REWARD_WEIGHTS, build_reward_functions
    from tucano_commerce.train._trainer import TucanoGRPOTrainer

    tok = build_tiny(tmp_path / "model")
    rows = [to_row(TrainingExample(
        id="train-sen-00001", task="sentiment", label_source="synthetic",
        prompt=[{"role": "user", "content": "o pedido chegou atrasado"}],
        ground_truth={"sentiment": "negativo", "sentiment_score": -0.6}, source={"dataset": "test"},
    )), to_row(TrainingExample(
        id="train-gen-00001", task="general", label_source="synthetic",
        prompt=[{"role": "user", "content": "resposta 1 2"}], ground_truth={"answer": 3.0}, source={},
    ))]  # fmt: skip
    settings = dict(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, num_generations=4,
        max_completion_length=12, max_steps=max_steps, learning_rate=0.1, logging_steps=1, use_cpu=True,
        bf16=False, report_to="none", save_strategy="no", reward_weights=[*DEFAULT_REWARD_WEIGHTS, 1.0],
        gradient_checkpointing=False, seed=0, dataloader_num_workers=0,
    )  # fmt: skip
    args = GRPOConfig(**{**settings, **(args_overrides or {})})
    if rewards is not None:
        args.reward_weights = [1.0] * len(rewards)
    return TucanoGRPOTrainer(
        model=str(tmp_path / "model"), args=args, processing_class=tok,
        reward_funcs=rewards or [*build_reward_functions(), text_hash_reward],
        train_dataset=Dataset.from_list(rows), callbacks=callbacks, **trainer_kwargs,
    )  # fmt: skip


@pytest.mark.slow
def test_tiny_end_to_end_run(tmp_path: Path) -> None:
    from tucano_commerce.train._callbacks import HealthMonitor

    trainer = tiny_trainer(tmp_path, max_steps=2, callbacks=[HealthMonitor()])
    assert trainer.zero_std_strategy == "filter"
    assert trainer.reward_weights.tolist() == pytest.approx([0.2, 0.3, 0.5, 1.0])
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    logs = [h for h in trainer.state.log_history if "zero_std/filtered_frac" in h]
    assert len(logs) == 2
    for key in ("zero_std/filtered_groups", "frac_reward_zero_std", "entropy", "reward", "reward_std",
                "completions/mean_length", "completions/clipped_ratio", "rewards/format_reward/mean",
                "rewards/task_reward/mean", "clip_ratio/region_mean"):  # fmt: skip
        assert key in logs[0], key
    # a random tiny model writes no valid JSON: the sentiment group is all 0 -> zero-std, filtered; the
    # general group is informative (text hash) and trains
    for h in logs:
        assert h["zero_std/filtered_groups"] == 1 and h["zero_std/filtered_frac"] == pytest.approx(0.5)
        assert h["frac_reward_zero_std"] == pytest.approx(0.5)
        assert h["entropy"] is not None and h["entropy"] > 0
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(p, before[n])]
    assert changed, "no parameter moved: the informative group did not reach the loss"


@pytest.mark.slow
def test_monitor_turns_on_trl_adaptive_entropy_in_a_real_run(tmp_path: Path) -> None:
    """action='adaptive_entropy': after the alert, TRL 1.16 really runs its entropy controller (it logs
    entropy_coef and policy_loss only then) with the early entropy as its target."""
    from tucano_commerce.train._callbacks import HealthMonitor, run_before_trackers

    # a floor above 1x the early level makes the second entropy log "collapse" for sure
    monitor = HealthMonitor(warmup_logs=1, window=1, entropy_floor_frac=1.5, action="adaptive_entropy")
    trainer = tiny_trainer(tmp_path, max_steps=3, callbacks=[monitor])
    run_before_trackers(trainer, monitor.attach(trainer))
    assert trainer.callback_handler.callbacks[0] is monitor
    assert not trainer._entropy_bonus_enabled
    trainer.train()
    logs = [h for h in trainer.state.log_history if "entropy" in h]
    assert monitor.alerts[0]["alert"] == "entropy_collapse" and monitor.alerts[0]["step"] == 2
    assert logs[1]["health/entropy_collapse"] == 1
    assert "entropy_coef" not in logs[0] and "entropy_coef" in logs[2] and "policy_loss" in logs[2]
    assert trainer.use_adaptive_entropy and trainer.args.entropy_target == pytest.approx(logs[0]["entropy"])


def test_run_before_trackers_needs_an_added_callback(tmp_path: Path) -> None:
    from tucano_commerce.train._callbacks import HealthMonitor, run_before_trackers

    trainer = tiny_trainer(tmp_path, max_steps=1, callbacks=[])
    with pytest.raises(ValueError, match="HealthMonitor is not one of the trainer's callbacks"):
        run_before_trackers(trainer, HealthMonitor())


def test_noise_strategy_warns(tmp_path: Path) -> None:
    from trl import GRPOConfig

    from tucano_commerce.train._trainer import TucanoGRPOTrainer

    tok = build_tiny(tmp_path / "model")
    args = GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4,
                      max_steps=1, use_cpu=True, bf16=False, report_to="none")  # fmt: skip
    from datasets import Dataset

    ds = Dataset.from_list([{"prompt": [{"role": "user", "content": "o pedido"}]}])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = TucanoGRPOTrainer(model=str(tmp_path / "model"), args=args, processing_class=tok,
                                    reward_funcs=[lambda completions, **kw: [0.0] * len(completions)],
                                    train_dataset=ds, zero_std_strategy="noise")  # fmt: skip
    assert any(str(w.message) == NOISE_WARNING for w in caught)
    assert trainer.zero_std_strategy == "noise"


# ------------------------------------------------------------------ issue 10: signals, steps, adapters

LORA = {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj", "up_proj"], "task_type": "CAUSAL_LM"}


def _lora(dropout: float = 0.0) -> Any:
    from peft import LoraConfig

    return LoraConfig(lora_dropout=dropout, **LORA)


@pytest.mark.slow
def test_on_policy_clip_ratio_is_zero_and_two_iterations_make_it_move(tmp_path: Path) -> None:
    """num_iterations 1 (the ADR's): TRL uses old = new.detach(), the clip ratio is 0 at every trained step;
    num_iterations 2: a second pass over the same samples after an update, the ratio moves."""
    from tucano_commerce.train._regime import training_regime

    on = tiny_trainer(tmp_path / "on", max_steps=2, callbacks=[])
    on.train()
    clips = [h["clip_ratio/region_mean"] for h in on.state.log_history if "clip_ratio/region_mean" in h]
    assert clips and all(c == 0 for c in clips)
    assert training_regime({"num_iterations": 1}).policy == "on-policy"

    grpo = {"num_iterations": 2, "epsilon": 0.01}
    off = tiny_trainer(tmp_path / "off", max_steps=2, callbacks=[], args_overrides=grpo)
    off.train()
    clips = [h.get("clip_ratio/region_mean") for h in off.state.log_history if "loss" in h]
    assert any(c for c in clips), clips
    assert training_regime(grpo).off_policy


def _steady_then_tied(completions: list[Any], task: list[str], trainer_state: Any = None, **kw: Any) -> list:
    """Informative on general rows in the first step only; every group ties afterwards."""
    first = trainer_state is None or trainer_state.global_step == 0
    return [text_hash_reward([c], [t])[0] if first else 0.0 for c, t in zip(completions, task, strict=True)]


@pytest.mark.slow
@pytest.mark.parametrize("skip", [True, False])
def test_a_step_where_every_group_tied_leaves_weights_and_optimizer_alone(tmp_path: Path, skip: bool) -> None:
    from transformers import TrainerCallback

    snapshots: list[dict[str, torch.Tensor]] = []

    class Snap(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            snapshots.append({n: p.detach().clone() for n, p in trainer.model.named_parameters()})
            opt = trainer.optimizer.optimizer
            snapshots[-1]["__adam_steps__"] = torch.tensor(
                [float(st["step"]) for st in opt.state.values() if "step" in st] or [0.0]
            )

    trainer = tiny_trainer(tmp_path, max_steps=3, callbacks=[Snap()], rewards=[_steady_then_tied],
                           skip_tied_steps=skip)  # fmt: skip
    trainer.train()
    step1, step2, step3 = snapshots
    moved = [n for n in step1 if n != "__adam_steps__" and not torch.equal(step1[n], step3[n])]
    logs = [h for h in trainer.state.log_history if "loss" in h]
    if skip:
        assert not moved, "a step with no informative group moved the weights"
        assert torch.equal(step1["__adam_steps__"], step3["__adam_steps__"])  # AdamW's state untouched
        assert [h["zero_std/skipped_steps"] for h in logs] == [0, 1, 2]
    else:  # TRL's behaviour: zero gradients, yet AdamW's momentum still moves the weights
        assert moved
        assert all(h["zero_std/skipped_steps"] == 0 for h in logs)


@pytest.mark.slow
def test_generation_samples_without_dropout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trl import GRPOTrainer

    seen: list[list[bool]] = []
    real = GRPOTrainer._generate_single_turn

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append([m.training for m in self.model.modules() if isinstance(m, torch.nn.Dropout)])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(GRPOTrainer, "_generate_single_turn", spy)
    trainer = tiny_trainer(tmp_path, max_steps=1, callbacks=[], peft_config=_lora(dropout=0.5))
    trainer.train()
    assert seen and all(flags and not any(flags) for flags in seen)  # every LoRA dropout off while sampling
    dropouts = [m for m in trainer.model.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(m.training for m in dropouts)  # and back on for the loss


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_bf16_adapters_lose_lora_a_updates_at_the_adr_lr(tmp_path: Path, dtype: str) -> None:
    """TRL 1.16 casts LoRA weights to bf16 on a 4-bit base; at lr 3e-6 an Adam step (~lr) is below half a
    bf16 ulp for almost all of LoRA-A, which then never changes. trainable_dtype float32 (the fix) moves A."""
    from tucano_commerce.train._callbacks import AdapterChangeMonitor, run_before_trackers
    from tucano_commerce.train._recipe import check_trainable_precision

    watch = AdapterChangeMonitor()
    trainer = tiny_trainer(tmp_path, max_steps=3, callbacks=[watch], peft_config=_lora(),
                           args_overrides={"learning_rate": 3e-6}, trainable_dtype=dtype)  # fmt: skip
    run_before_trackers(trainer, watch.attach(trainer))
    lora = [p for n, p in trainer.model.named_parameters() if "lora_" in n]
    assert lora and all(p.dtype == getattr(torch, dtype) for p in lora)
    problems = check_trainable_precision(trainer.model, 3e-6, threshold=0.05)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "adapter/lora_A_changed_frac" in h]
    assert logs[0]["adapter/lora_A_changed_frac"] == 0  # step 1: B = 0, so A's gradient is 0
    a_moved = max(h["adapter/lora_A_changed_frac"] for h in logs[1:])
    b_moved = max(h["adapter/lora_B_changed_frac"] for h in logs)
    if dtype == "bfloat16":
        assert a_moved < 0.05 and b_moved > 0.5  # the run silently trains B only
        assert problems and "lora.trainable_dtype: float32" in problems[0]
    else:
        assert a_moved > 0.95 and b_moved > 0.5
        assert problems == []


def test_trainable_parameters_are_restored_to_float32(tmp_path: Path) -> None:
    from tucano_commerce.train._trainer import cast_trainable, lost_update_shares

    trainer = tiny_trainer(
        tmp_path, max_steps=1, callbacks=[], peft_config=_lora(), trainable_dtype="bfloat16"
    )
    assert cast_trainable(trainer.model, torch.float32) > 0  # what __init__ does by default after TRL's cast
    shares = lost_update_shares(trainer.model, 3e-6)
    assert shares and all(dtype == "float32" and share == 0 for dtype, share in shares.values())


@pytest.mark.slow
def test_dynamic_sampling_replaces_tied_groups(tmp_path: Path) -> None:
    """The sentiment group ties (a random model writes no JSON); extra rounds draw prompts until the batch
    has 2 informative groups (general rows draw distinct text-hash rewards)."""
    trainer = tiny_trainer(tmp_path, max_steps=2, callbacks=[], rewards=[text_hash_reward],
                           dynamic_sampling=(2, 4))  # fmt: skip
    trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert all(h["dynamic_sampling/informative_groups"] == 2 for h in logs)
    assert all(1 <= h["dynamic_sampling/extra_batches"] <= 4 for h in logs)


def test_replace_tied_groups_pads_and_swaps_rows() -> None:
    from tucano_commerce.train._trainer import replace_tied_groups

    out = {"prompt_ids": torch.tensor([[0, 5], [0, 5], [6, 7], [6, 7]]),
           "completion_ids": torch.tensor([[1, 2], [1, 3], [4, 4], [4, 4]]),
           "completion_mask": torch.ones(4, 2), "advantages": torch.tensor([0.5, -0.5, 0.0, 0.0]),
           "num_items_in_batch": torch.tensor(8.0)}  # fmt: skip
    extra = {"prompt_ids": torch.tensor([[9, 9, 9], [9, 9, 9], [8, 8, 8], [8, 8, 8]]),
             "completion_ids": torch.tensor([[1], [1], [2, ], [3]]).view(4, 1),
             "completion_mask": torch.ones(4, 1), "advantages": torch.tensor([0.0, 0.0, 0.2, -0.2]),
             "num_items_in_batch": torch.tensor(4.0)}  # fmt: skip
    merged, zero = replace_tied_groups(
        out, torch.tensor([False, True]), extra, torch.tensor([True, False]), 2, 0
    )
    assert zero.tolist() == [False, False]
    assert merged["prompt_ids"].tolist() == [[0, 0, 5], [0, 0, 5], [8, 8, 8], [8, 8, 8]]  # left-padded
    assert merged["completion_ids"].tolist() == [[1, 2], [1, 3], [2, 0], [3, 0]]  # right-padded
    assert merged["completion_mask"].tolist() == [[1, 1], [1, 1], [1, 0], [1, 0]]
    assert merged["advantages"].tolist() == pytest.approx([0.5, -0.5, 0.2, -0.2])
    assert merged["num_items_in_batch"] is out["num_items_in_batch"]  # the caller recounts


@pytest.mark.slow
def test_eval_reward_fixed_ignores_the_weight_schedule(tmp_path: Path) -> None:
    from datasets import Dataset

    from tucano_commerce.train._callbacks import RewardWeightSchedule

    sched = RewardWeightSchedule(1.0, 0.0, index=3)  # the text-hash reward's weight falls to 0
    from tucano_commerce.data import to_row
    from tucano_commerce.data._records import TrainingExample

    general = to_row(TrainingExample(id="ev-gen", task="general", label_source="synthetic",
                                     prompt=[{"role": "user", "content": "resposta 2 2"}],
                                     ground_truth={"answer": 4.0}, source={}))  # fmt: skip
    trainer = tiny_trainer(tmp_path, max_steps=2, callbacks=[sched],
                           args_overrides={"eval_strategy": "steps", "eval_steps": 2,
                                           "per_device_eval_batch_size": 8},
                           eval_dataset=Dataset.from_list([general] * 2))  # fmt: skip
    sched.attach(trainer)
    trainer.train()
    (ev,) = [h for h in trainer.state.log_history if "eval_reward_fixed" in h]
    assert ev["eval_reward_fixed"] > ev["eval_reward"]  # the live weights dropped the text-hash reward
    assert ev["eval_reward_fixed_se"] >= 0
