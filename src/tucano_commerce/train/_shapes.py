"""Model-shape presets for the GRPO planner, and a reader for a local Hugging Face ``config.json``.

A shape is what the memory and time estimates need: layer count, widths, head layout, vocabulary,
whether the embedding is tied, and the usable context. Parameter counts are derived from the shape
(see ``ModelShape.n_params``) so a preset and a ``config.json`` can never disagree about them.

Sources (``docs/sources.md#model-shapes``):

- ``qwen3-4b``: 36 layers, hidden 2560, GQA 32 Q / 8 KV heads, head_dim 128, intermediate 9728,
  vocab 151,936, tied; 32,768 native context (the HF ``config.json`` says 40,960 in
  ``max_position_embeddings``; the card's 32,768 is the number used here).
- ``tucano2-qwen-3.7b``: the Qwen3-4B body with a ~49,152-token Portuguese vocabulary (3.76B params,
  an inference from the parameter count), 4,096-token context.
- ``qwen2-7b``: Qwen2-7B-Instruct (the model of TRL's QLoRA GRPO notebook, a planner anchor): 28 layers,
  hidden 3584, GQA 28 Q / 4 KV heads, head_dim 128, intermediate 18,944, vocab 152,064, untied, 32,768
  context; 7.6B params (its ``config.json`` on the Hub). Its q/k/v biases (~0.01 % of params) are not counted.
- ``qwen3-30b-a3b``: MoE, 48 layers, hidden 2048, 32 Q / 4 KV heads, head_dim 128, 128 experts with
  8 active, expert intermediate 768, vocab 151,936, untied; 30.5B total / 3.3B active.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tucano_commerce.errors import ConfigError, UnknownNameError


class ModelShape(BaseModel):
    """The architecture numbers of a decoder-only (optionally MoE) transformer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Short label used in reports, e.g. 'qwen3-4b'.")
    layers: int = Field(ge=1, description="Number of decoder layers (num_hidden_layers).")
    hidden: int = Field(ge=1, description="Residual-stream width (hidden_size).")
    heads: int = Field(ge=1, description="Query heads (num_attention_heads).")
    kv_heads: int = Field(ge=1, description="Key/value heads under GQA (num_key_value_heads).")
    head_dim: int = Field(ge=1, description="Per-head width (head_dim).")
    intermediate: int = Field(
        ge=1,
        description="MLP width of a dense layer; for MoE, the width of one expert (moe_intermediate_size).",
    )
    vocab: int = Field(ge=1, description="Vocabulary size (vocab_size); sets the embedding and logits terms.")
    tied: bool = Field(description="Whether lm_head shares the input embedding (tie_word_embeddings).")
    context: int = Field(ge=1, description="Usable context in tokens (prompt + completion must fit in it).")
    n_experts: int | None = Field(
        default=None, ge=1, description="Routed experts per MoE layer; None for dense."
    )
    n_active_experts: int | None = Field(
        default=None, ge=1, description="Experts used per token in an MoE layer; None for dense."
    )

    @model_validator(mode="after")
    def _check_moe(self) -> ModelShape:
        if (self.n_experts is None) != (self.n_active_experts is None):
            raise ValueError("set both n_experts and n_active_experts (MoE) or neither (dense)")
        if (
            self.n_experts is not None
            and self.n_active_experts is not None
            and self.n_active_experts > self.n_experts
        ):
            raise ValueError("n_active_experts cannot exceed n_experts")
        return self

    @property
    def is_moe(self) -> bool:
        """Whether the MLP is a mixture of experts."""
        return self.n_experts is not None

    def linear_dims(self) -> dict[str, tuple[int, int]]:
        """(d_in, d_out) of each projection of one layer (one expert for MoE MLPs)."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        h, i = self.hidden, self.intermediate
        return {
            "q": (h, q),
            "k": (h, kv),
            "v": (h, kv),
            "o": (q, h),
            "gate": (h, i),
            "up": (h, i),
            "down": (i, h),
        }

    def module_copies(self, module: str) -> int:
        """How many copies of ``module`` a layer holds (``n_experts`` for MoE MLP projections)."""
        if module in ("gate", "up", "down") and self.n_experts is not None:
            return self.n_experts
        return 1

    def linear_params(self, *, active_only: bool = False) -> int:
        """Parameters in the decoder's linear layers (plus MoE routers); ``active_only`` counts the
        ``n_active_experts`` a token actually uses."""
        per_layer = 0
        for module, (d_in, d_out) in self.linear_dims().items():
            copies = self.module_copies(module)
            if active_only and copies > 1 and self.n_active_experts is not None:
                copies = self.n_active_experts
            per_layer += copies * d_in * d_out
        if self.n_experts is not None:
            per_layer += self.hidden * self.n_experts  # router
        return self.layers * per_layer

    def embedding_params(self) -> int:
        """Input embedding plus lm_head (counted once when tied)."""
        return self.vocab * self.hidden * (1 if self.tied else 2)

    def norm_params(self) -> int:
        """RMSNorm weights: two per layer, Qwen3's q/k norms, and the final norm."""
        return self.layers * (2 * self.hidden + 2 * self.head_dim) + self.hidden

    @property
    def n_params(self) -> int:
        """Total parameters (all experts)."""
        return self.linear_params() + self.embedding_params() + self.norm_params()

    @property
    def n_active_params(self) -> int:
        """Parameters a token touches (equals ``n_params`` for dense models)."""
        return self.linear_params(active_only=True) + self.embedding_params() + self.norm_params()

    def kv_bytes_per_token(self) -> int:
        """bf16 KV-cache bytes per token: 2 (K and V) × layers × kv_heads × head_dim × 2 B."""
        return 2 * self.layers * self.kv_heads * self.head_dim * 2


_QWEN3_4B_BODY = {
    "layers": 36,
    "hidden": 2560,
    "heads": 32,
    "kv_heads": 8,
    "head_dim": 128,
    "intermediate": 9728,
}

PRESETS: dict[str, ModelShape] = {
    "qwen3-4b": ModelShape(name="qwen3-4b", vocab=151_936, tied=True, context=32_768, **_QWEN3_4B_BODY),
    "tucano2-qwen-3.7b": ModelShape(
        name="tucano2-qwen-3.7b", vocab=49_152, tied=True, context=4_096, **_QWEN3_4B_BODY
    ),
    "qwen2-7b": ModelShape(
        name="qwen2-7b",
        layers=28,
        hidden=3584,
        heads=28,
        kv_heads=4,
        head_dim=128,
        intermediate=18_944,
        vocab=152_064,
        tied=False,
        context=32_768,
    ),
    "qwen3-30b-a3b": ModelShape(
        name="qwen3-30b-a3b",
        layers=48,
        hidden=2048,
        heads=32,
        kv_heads=4,
        head_dim=128,
        intermediate=768,
        vocab=151_936,
        tied=False,
        context=32_768,
        n_experts=128,
        n_active_experts=8,
    ),
}


def get_shape(name: str) -> ModelShape:
    """Return the bundled shape called ``name``; an unknown name lists the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown model shape {name!r}; choose one of {sorted(PRESETS)} or load a config.json "
            "with shape_from_config_json(path)"
        ) from None


def shape_from_config_json(path: str | Path, *, name: str | None = None) -> ModelShape:
    """Read a local Hugging Face ``config.json`` (Qwen3/Qwen3-MoE/Llama-style keys) into a shape.

    ``context`` comes from ``max_position_embeddings``; ``head_dim`` defaults to hidden / heads;
    an MoE config (``num_experts``) uses ``moe_intermediate_size`` as the expert width.
    ``name`` defaults to the folder holding the file.
    """
    path = Path(path)
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"model config not found: {path}; pass the path of a local config.json") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); pass a Hugging Face config.json") from None
    required = (
        "num_hidden_layers",
        "hidden_size",
        "num_attention_heads",
        "vocab_size",
        "max_position_embeddings",
    )
    missing = [key for key in required if key not in cfg]
    if missing:
        raise ConfigError(f"{path} lacks {missing}; it does not look like a decoder config.json")
    heads = cfg["num_attention_heads"]
    n_experts = cfg.get("num_experts") or cfg.get("num_local_experts")
    if n_experts:
        intermediate = cfg.get("moe_intermediate_size") or cfg["intermediate_size"]
        active = cfg.get("num_experts_per_tok")
    else:
        intermediate, n_experts, active = cfg["intermediate_size"], None, None
    return ModelShape(
        name=name or path.parent.name or "custom",
        layers=cfg["num_hidden_layers"],
        hidden=cfg["hidden_size"],
        heads=heads,
        kv_heads=cfg.get("num_key_value_heads") or heads,
        head_dim=cfg.get("head_dim") or cfg["hidden_size"] // heads,
        intermediate=intermediate,
        vocab=cfg["vocab_size"],
        tied=bool(cfg.get("tie_word_embeddings", False)),
        context=cfg["max_position_embeddings"],
        n_experts=n_experts,
        n_active_experts=active,
    )
