"""Local transformers models (``hf:PATH_OR_ID``), optionally with a PEFT LoRA adapter or in 4-bit.

What this backend does, and why (the pitfalls other harnesses have, ``docs/sources.md#hf-eval-pitfalls``):

* **Local only.** Model and tokenizer load with ``local_files_only=True``: a folder, or a hub id that is
  already in the local HF cache. Nothing is downloaded.
* **Adapters stay separate.** ``adapter=DIR`` wraps the base in ``peft.PeftModel`` (not merged, nothing
  written to disk); the adapter's own tokenizer is used when the adapter folder has one.
* **Chat template always.** Each conversation is rendered with the tokenizer's chat template,
  ``add_generation_prompt=True`` and ``enable_thinking`` passed as a template variable (templates that do
  not use it ignore it). A tokenizer without a template (a base model) gets a plain-text fallback
  (``_plain_prompt``), recorded as ``prompt_format="plain"`` in ``describe()``.
* **Batched, left-padded.** ``padding_side="left"`` (the pad token falls back to EOS), so every row's
  prompt ends where generation starts. A call is sorted by prompt length and cut into chunks of
  ``batch_size`` to keep padding low; results come back in input order. Each Completion carries its
  chunk's wall time as ``latency_s`` and the chunk size as ``batch_size``.
* **Same sampling for every model.** A fresh ``transformers.GenerationConfig`` is built from ours: greedy
  when ``temperature == 0``, else sampling with ``temperature``/``top_p`` after ``torch.manual_seed(seed)``
  (reproducible for the same chunk composition). Model-card sampling defaults (``top_k``,
  ``repetition_penalty``, ``min_p`` ...) are set to neutral values so they cannot leak in.
* **Honest counts.** ``input_tokens`` counts the attention mask (no padding); ``output_tokens`` counts
  generated tokens up to and including the first EOS (or up to the end of a stop string), never padding.
  ``finish_reason`` is ``"length"`` when the cap was hit without EOS or stop string, else ``"stop"``.
  Stop strings are cut from the text (OpenAI semantics); only the new tokens are decoded.
* **Errors.** A generation exception becomes Completions with ``error`` set for that chunk (the runner
  records them as data). Out-of-memory is different: the chunk is split in half and retried, and the
  smaller size is kept for later chunks; OOM at batch size 1 raises ``BackendError`` (the settings
  cannot work, so every item would fail).

Example::

    backend = get_backend("hf:/models/tucano2-qwen-3.7b", adapter="runs/grpo-v3/adapter", batch_size=8)
    [c] = backend.generate_batch([[{"role": "user", "content": "Olá"}]], GenerationConfig(temperature=0))
"""

from __future__ import annotations

import importlib.metadata
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce._memory import free_accelerator_memory, is_out_of_memory
from tucano_commerce.backends._base import (
    Backend,
    BackendError,
    BackendUnavailable,
    Completion,
    GenerationConfig,
    Message,
)
from tucano_commerce.backends._fingerprint import adapter_files, fingerprint_files, text_sha256, weight_files
from tucano_commerce.backends._registry import backend

if TYPE_CHECKING:
    import torch

HF_EXTRA_HINT = "pip install 'tucano-commerce[hf]'  (torch, transformers, peft, accelerate, gguf)"
_PLAIN_ROLES = {"system": "Instruções", "user": "Usuário", "assistant": "Assistente"}


class HFOptions(BaseModel):
    """Options of the ``hf:`` backend (also the base of ``gguf:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: str | None = Field(None, description="PEFT LoRA adapter folder, applied on top (not merged).")
    quantize: Literal["4bit"] | None = Field(
        None, description="'4bit' = bitsandbytes NF4 (CUDA GPU only); None = full precision."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weights dtype; 'auto' = bfloat16 on CUDA, float32 on CPU."
    )
    batch_size: int = Field(8, ge=1, le=512, description="Conversations generated together (left-padded).")
    device: str = Field(
        "auto", description="'auto' (CUDA when available, else CPU), 'cpu', 'cuda', 'cuda:1' ..."
    )
    max_new_tokens_cap: int | None = Field(
        None,
        ge=1,
        description="Upper bound on GenerationConfig.max_new_tokens (the demo sets one); None = none.",
    )


def require_hf() -> tuple[Any, Any]:
    """Import torch and transformers, or raise ``BackendUnavailable`` naming the extra."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BackendUnavailable(
            f"Local models need torch and transformers ({exc.name} is missing): {HF_EXTRA_HINT}."
        ) from exc
    return torch, transformers


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def resolve_model_dir(target: str) -> Path:
    """A local model folder from a path or a hub id that is already in the local HF cache."""
    path = Path(target).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.is_file():
        hint = f" Use gguf:{target} for a GGUF file." if path.suffix == ".gguf" else ""
        raise BackendError(f"{target} is a file; hf: needs a model folder (config.json + weights).{hint}")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(target, local_files_only=True))
    except Exception as exc:  # not a repo id, or not in the cache: both mean "not here"
        raise BackendError(
            f"Model {target!r} is neither a local folder nor in the local Hugging Face cache "
            f"({type(exc).__name__}). Nothing is downloaded at run time: fetch it first (e.g. "
            f"`hf download {target}`) or pass the folder path."
        ) from None


def _plain_prompt(conversation: list[Message]) -> str:
    """Prompt for a tokenizer without a chat template (base models): labelled turns, then the answer cue."""
    turns = [f"{_PLAIN_ROLES.get(m['role'], m['role'])}:\n{m['content'].strip()}" for m in conversation]
    return "\n\n".join([*turns, f"{_PLAIN_ROLES['assistant']}:\n"])


class HFBackend(Backend):
    """A transformers causal LM (+ optional LoRA adapter) with batched, left-padded generation."""

    name = "hf"
    privacy = "on-prem"
    default_batch_size = 8

    def __init__(
        self, model_dir: Path, options: HFOptions, *, spec: str, extra: dict[str, Any] | None = None
    ):
        """Load tokenizer and model from ``model_dir`` (local files only).

        Raises:
            BackendError: 4-bit without CUDA, unreadable model/adapter folder, tokenizer without EOS.
            BackendUnavailable: torch/transformers/peft/bitsandbytes missing (the message names the extra).
        """
        torch, transformers = require_hf()
        self.options = options
        self.spec = spec
        self.model_dir = model_dir
        self._extra = dict(extra or {})
        self.device = self._resolve_device(torch, options.device)
        if options.quantize == "4bit" and self.device.type != "cuda":
            raise BackendError(
                "quantize='4bit' needs a CUDA GPU and bitsandbytes (it is a GPU-only format); this run "
                f"is on {self.device}. Run without --quantize (full precision works on CPU, just slower)."
            )
        self.dtype = self._resolve_dtype(torch, options.dtype)
        self.tokenizer = self._load_tokenizer(transformers)
        self.model = self._load_model(torch, transformers)
        self.chat_template: str | None = getattr(self.tokenizer, "chat_template", None) or None
        self.eos_ids = self._eos_ids()
        self.batch_size = options.batch_size
        self._oom_cap = options.batch_size
        self._describe_cache: dict[str, Any] | None = None

    # -- loading -------------------------------------------------------------------------------------

    @staticmethod
    def _resolve_device(torch: Any, device: str) -> torch.device:
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            resolved = torch.device(device)
        except RuntimeError as exc:
            raise BackendError(
                f"Invalid device {device!r}: {exc}. Use 'auto', 'cpu' or 'cuda[:N]'."
            ) from None
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise BackendError(f"device={device!r} but torch sees no CUDA GPU; use device='cpu' or 'auto'.")
        return resolved

    def _resolve_dtype(self, torch: Any, dtype: str) -> torch.dtype:
        if dtype == "auto":
            return torch.bfloat16 if self.device.type == "cuda" else torch.float32
        return getattr(torch, dtype)

    def _load_tokenizer(self, transformers: Any) -> Any:
        adapter = Path(self.options.adapter).expanduser() if self.options.adapter else None
        source = adapter if adapter and (adapter / "tokenizer_config.json").is_file() else self.model_dir
        try:
            tok = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendError(f"Cannot load the tokenizer from {source}: {exc}") from exc
        tok.padding_side = "left"
        if tok.pad_token is None:
            if tok.eos_token is None:
                raise BackendError(f"The tokenizer in {source} has neither a pad nor an EOS token.")
            tok.pad_token = tok.eos_token
        return tok

    def _load_model(self, torch: Any, transformers: Any) -> Any:
        kwargs: dict[str, Any] = {"local_files_only": True, "dtype": self.dtype}
        if self.options.quantize == "4bit":
            try:
                import bitsandbytes  # noqa: F401
            except ImportError:
                raise BackendUnavailable(
                    "quantize='4bit' needs bitsandbytes on a CUDA machine: pip install bitsandbytes"
                ) from None
            kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16,
            )
            kwargs["device_map"] = {"": self.device.index or 0}
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(self.model_dir, **kwargs)
        except (OSError, ValueError) as exc:
            raise BackendError(f"Cannot load a causal LM from {self.model_dir}: {exc}") from exc
        if self.options.quantize is None:
            model.to(self.device)
        if self.options.adapter:
            model = self._apply_adapter(model)
        model.eval()
        return model

    def _apply_adapter(self, model: Any) -> Any:
        adapter = Path(self.options.adapter or "").expanduser()
        if not (adapter / "adapter_config.json").is_file():
            raise BackendError(f"adapter={adapter} is not a PEFT adapter folder (no adapter_config.json).")
        try:
            from peft import PeftModel
        except ImportError as exc:
            raise BackendUnavailable(f"adapter= needs peft: {HF_EXTRA_HINT}.") from exc
        try:
            return PeftModel.from_pretrained(model, adapter, is_trainable=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"Cannot apply the adapter in {adapter} to {self.model_dir}: {exc}") from exc

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        configured = self.model.generation_config.eos_token_id
        if configured is not None:
            ids.update(configured if isinstance(configured, list) else [configured])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    # -- generation ----------------------------------------------------------------------------------

    def render(self, conversation: list[Message], config: GenerationConfig) -> str:
        """The exact prompt text the model sees for one conversation."""
        if self.chat_template is None:
            return _plain_prompt(conversation)
        try:
            return self.tokenizer.apply_chat_template(
                conversation,
                add_generation_prompt=True,
                tokenize=False,
                enable_thinking=config.enable_thinking,
            )
        except Exception as exc:  # jinja2 errors (e.g. a template that rejects system messages)
            roles = [m.get("role") for m in conversation]
            raise BackendError(
                f"The chat template of {self.model_dir} failed on a conversation with roles {roles}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def max_new_tokens(self, config: GenerationConfig) -> int:
        """``config.max_new_tokens``, bounded by the ``max_new_tokens_cap`` option."""
        cap = self.options.max_new_tokens_cap
        return min(config.max_new_tokens, cap) if cap else config.max_new_tokens

    def _generation_config(self, config: GenerationConfig) -> Any:
        from transformers import GenerationConfig as HFGenerationConfig

        sample = config.temperature > 0
        # Explicit neutral values, else the model card's generation_config fills in what is left unset.
        sampling = {"temperature": config.temperature, "top_p": config.top_p, "top_k": 0, "min_p": 0.0}
        return HFGenerationConfig(
            max_new_tokens=self.max_new_tokens(config),
            do_sample=sample,
            **(sampling if sample else {"temperature": 1.0, "top_p": 1.0}),
            typical_p=1.0,
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            num_beams=1,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.tokenizer.pad_token_id,
            stop_strings=list(config.stop) or None,
        )

    def generate_batch(
        self, conversations: list[list[Message]], config: GenerationConfig
    ) -> list[Completion]:
        """Generate for all conversations, ``batch_size`` at a time, shortest-padding order; input order out."""
        if not conversations:
            return []
        texts = [self.render(c, config) for c in conversations]
        lengths = [
            len(ids) for ids in self.tokenizer(texts, add_special_tokens=self._add_special)["input_ids"]
        ]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        results: list[Completion | None] = [None] * len(texts)
        start = 0
        while start < len(order):
            chunk = order[start : start + min(self.batch_size, self._oom_cap)]
            for i, completion in zip(
                chunk, self._generate_with_oom_split([texts[i] for i in chunk], config), strict=True
            ):
                results[i] = completion
            start += len(chunk)
        return [r for r in results if r is not None]

    @property
    def _add_special(self) -> bool:
        # Chat templates write BOS themselves; a plain prompt needs the tokenizer to add it.
        return self.chat_template is None

    def _generate_with_oom_split(self, texts: list[str], config: GenerationConfig) -> list[Completion]:
        try:
            return self._generate_chunk(texts, config)
        except Exception as exc:
            if not is_out_of_memory(exc):
                message = f"{type(exc).__name__}: {exc}"
                return [Completion(error=message, batch_size=len(texts)) for _ in texts]
            free_accelerator_memory()
            if len(texts) == 1:
                raise BackendError(
                    f"Out of memory generating one conversation on {self.device} ({exc}). Use a smaller "
                    "model, --quantize 4bit on a GPU, or a lower max_new_tokens."
                ) from exc
            half = len(texts) // 2
            self._oom_cap = min(self._oom_cap, half)
            return self._generate_with_oom_split(texts[:half], config) + self._generate_with_oom_split(
                texts[half:], config
            )

    def _generate_chunk(self, texts: list[str], config: GenerationConfig) -> list[Completion]:
        import torch

        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=self._add_special)
        enc = enc.to(self.device)
        gen_config = self._generation_config(config)
        if gen_config.do_sample:
            torch.manual_seed(config.seed)
        start = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=enc["input_ids"],
                attention_mask=enc["attention_mask"],
                generation_config=gen_config,
                tokenizer=self.tokenizer if config.stop else None,
            )
        latency = time.perf_counter() - start
        new_tokens = out[:, enc["input_ids"].shape[1] :].tolist()
        input_tokens = enc["attention_mask"].sum(dim=1).tolist()
        return [
            self._completion(ids, int(n_in), config, gen_config.max_new_tokens, latency, len(texts))
            for ids, n_in in zip(new_tokens, input_tokens, strict=True)
        ]

    def _completion(
        self, ids: list[int], n_in: int, config: GenerationConfig, cap: int, latency: float, batch: int
    ) -> Completion:
        eos_at = next((j for j, t in enumerate(ids) if t in self.eos_ids), None)
        gen = ids if eos_at is None else ids[:eos_at]
        n_out = len(ids) if eos_at is None else eos_at + 1
        finish: str | None = None if eos_at is None else "stop"
        text = self.tokenizer.decode(gen, skip_special_tokens=True)
        hits = [(text.find(s), s) for s in config.stop if s and s in text]
        if hits:
            cut, stop = min(hits)
            text = text[:cut]
            n_out = self._tokens_through(gen, stop)
            finish = "stop"
        if finish is None:
            finish = "length" if n_out >= cap else "stop"
        return Completion(
            text=text,
            input_tokens=n_in,
            output_tokens=n_out,
            latency_s=round(latency, 4),
            batch_size=batch,
            finish_reason=finish,
        )

    def _tokens_through(self, ids: list[int], stop: str) -> int:
        """How many of ``ids`` it takes for the decoded text to contain ``stop`` (binary search)."""
        lo, hi = 1, len(ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if stop in self.tokenizer.decode(ids[:mid], skip_special_tokens=True):
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- identity ------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Spec, resolved paths, weight/adapter fingerprints, dtype, device, versions, template hash."""
        if self._describe_cache is None:
            weights = fingerprint_files(weight_files(self.model_dir), self.model_dir)
            info: dict[str, Any] = {
                "backend": self.name,
                "spec": self.spec,
                "model_path": str(self.model_dir),
                "model_sha256": weights["sha256"],
                "model_sha256_method": weights["method"],
                "weight_files": weights["files"],
                "adapter": None,
                "adapter_sha256": None,
                "adapter_files": None,
                "quantize": self.options.quantize,
                "dtype": str(self.dtype).removeprefix("torch."),
                "device": str(self.device),
                "batch_size": self.batch_size,
                "max_new_tokens_cap": self.options.max_new_tokens_cap,
                "prompt_format": "plain" if self.chat_template is None else "chat_template",
                "chat_template_sha256": text_sha256(self.chat_template),
                "eos_token_ids": sorted(self.eos_ids),
                "torch": _version("torch"),
                "transformers": _version("transformers"),
                "peft": _version("peft") if self.options.adapter else None,
            }
            if self.options.adapter:
                adapter = Path(self.options.adapter).expanduser().resolve()
                fp = fingerprint_files(adapter_files(adapter), adapter, full=True)
                info.update(adapter=str(adapter), adapter_sha256=fp["sha256"], adapter_files=fp["files"])
            info.update(self._extra)
            self._describe_cache = info
        return dict(self._describe_cache)

    def close(self) -> None:
        """Drop the model and free accelerator memory."""
        self.model = None
        free_accelerator_memory()


@backend("hf", options=HFOptions, target="PATH_OR_ID", summary="Local transformers model (+ LoRA adapter).")
def _make_hf(target: str | None, options: HFOptions) -> Backend:
    require_hf()
    return HFBackend(resolve_model_dir(target or ""), options, spec=f"hf:{target}")
