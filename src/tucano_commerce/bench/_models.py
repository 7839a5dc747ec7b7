"""The model registry (``configs/models.yaml``): named models with backend spec, price and privacy.

``resolve_model("gpt-4o")`` returns the registry entry; anything that is not a registered name is taken
as a raw backend spec (``hf:/path``, ``openai:MODEL``, ``gguf:FILE``, ``demo``) with no price model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tucano_commerce.bench._results import PriceModel
from tucano_commerce.errors import ConfigError
from tucano_commerce.paths import bundled

MODELS_ENV = "TUCANO_MODELS"


class ModelEntry(BaseModel):
    """One registered model."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = Field("", description="What the model is, in one line.")
    spec: str = Field(description="Backend spec: hf:PATH, gguf:FILE, openai:MODEL or demo.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Backend options (adapter, base_url, ...)."
    )
    privacy: Literal["on-prem", "api"] | None = Field(None, description="None: as the backend reports it.")
    price: PriceModel | None = None
    memory: str = Field("", description="Memory footprint and whether it fits a 24 GB L4.")
    context_tokens: int | None = Field(
        None, ge=1, description="Context window; prompts + max_new_tokens must fit."
    )


def default_models_path() -> Path:
    """``$TUCANO_MODELS`` or the shipped ``configs/models.yaml`` (in a checkout: the repository's file)."""
    raw = os.environ.get(MODELS_ENV)
    return Path(raw) if raw else bundled("configs", "models.yaml")


def load_models(path: Path | None = None) -> dict[str, ModelEntry]:
    """Read and validate the registry; errors name the file, the model and the field."""
    path = path or default_models_path()
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    models = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(models, dict):
        raise ConfigError(f"{path}: expected a top-level 'models:' mapping")
    out = {}
    for name, body in models.items():
        try:
            out[name] = ModelEntry.model_validate({**(body or {}), "name": name})
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: model '{name}': field '{field}': {first['msg']}") from err
    return out


def resolve_model(name_or_spec: str, *, path: Path | None = None) -> ModelEntry:
    """A registered model by name, or an ad-hoc entry for a raw backend spec."""
    models = load_models(path)
    if name_or_spec in models:
        return models[name_or_spec]
    if ":" in name_or_spec or name_or_spec == "demo":
        return ModelEntry(name=name_or_spec, spec=name_or_spec)
    raise ConfigError(
        f"unknown model '{name_or_spec}': not in {path or default_models_path()} "
        f"(registered: {', '.join(sorted(models)) or 'none'}) and not a backend spec like hf:PATH or openai:MODEL"
    )
