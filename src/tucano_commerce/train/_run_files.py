"""Reading a TRL GRPO run folder without torch: the trainer state, the recipe or TRL's args, LoRA weights.

A run folder is what ``transformers.Trainer`` writes: ``checkpoint-N/`` folders, each with
``trainer_state.json`` (``log_history``: one dict per logging step and per evaluation), an adapter
(``adapter_model.safetensors`` + ``adapter_config.json`` for PEFT) and ``training_args.bin`` (the
pickled ``GRPOConfig``); a finished run may also have ``trainer_state.json`` at the top. This project's
recipe adds ``recipe_config.yaml``/``.json``. Nothing here imports torch, except the opt-in fallback that
unpickles ``training_args.bin``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from tucano_commerce.errors import DataError
from tucano_commerce.train._precision import bfloat16_bits_to_float32

RECIPE_FILES = ("recipe_config.yaml", "recipe_config.json")
ARGS_PICKLE = "training_args.bin"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


@dataclass
class RunConfig:
    """What the doctor knows about how a run was configured (all optional: any TRL run folder works).

    Attributes:
        source: the file the settings came from (None: nothing found, GRPOConfig defaults assumed).
        kind: ``"recipe"`` (this project's recipe_config), ``"trl-args"`` (a GRPOConfig mapping) or None.
        grpo: GRPOConfig-like keys (the recipe's ``grpo:`` section, or TRL's args).
        quantize: ``"4bit"``, ``"8bit"``, ``"none"`` or None (unknown).
        model_path: the base model (recipe ``model.path`` or the adapter's ``base_model_name_or_path``).
        lora_targets: LoRA target modules (``"all-linear"`` or names), when known.
        trainable_dtype: the recipe's ``lora.trainable_dtype`` (the dtype the trainer keeps the adapters in,
            whatever the base), when the recipe has one.
        reward_weights: weight per reward function name (recipe) or in order (TRL's list).
        format_weight_schedule: the recipe's ``rewards.format_weight_schedule`` ({start, end}).
        monitor: the recipe's ``monitor:`` thresholds.
    """

    source: str | None = None
    kind: str | None = None
    grpo: dict[str, Any] = field(default_factory=dict)
    quantize: str | None = None
    model_path: str | None = None
    lora_targets: Any = None
    trainable_dtype: str | None = None
    reward_weights: Any = None
    format_weight_schedule: dict[str, Any] | None = None
    monitor: dict[str, Any] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        """Whether any config was found."""
        return self.source is not None


@dataclass
class RunFolder:
    """A run folder as read from disk."""

    run_dir: Path
    state_path: Path
    state: dict[str, Any]
    checkpoints: list[Path]
    config: RunConfig
    notes: list[str] = field(default_factory=list)

    @property
    def log_history(self) -> list[dict[str, Any]]:
        """``trainer_state.json``'s ``log_history``."""
        return self.state["log_history"]


def checkpoints(run_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders, oldest first."""
    found = []
    for path in run_dir.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if path.is_dir() and suffix.isdigit():
            found.append((int(suffix), path))
    return [p for _, p in sorted(found)]


def read_json(path: Path) -> Any:
    """A JSON file; a syntax error names the file, line and column."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}"
        ) from None


def read_mapping(path: Path) -> dict[str, Any]:
    """A JSON or YAML file holding a mapping; errors name the file (and line)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        data = read_json(path)
    else:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise DataError(f"{path}: not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def read_trainer_state(path: Path) -> dict[str, Any]:
    """A ``trainer_state.json``, checked to have a ``log_history`` list of dicts."""
    state = read_json(path)
    if not isinstance(state, dict):
        raise DataError(
            f"{path}: expected a JSON object (a transformers TrainerState), got {type(state).__name__}"
        )
    history = state.get("log_history")
    if not isinstance(history, list):
        raise DataError(
            f"{path}: field 'log_history' is missing or not a list: not a transformers TrainerState"
        )
    for i, entry in enumerate(history):
        if not isinstance(entry, dict):
            raise DataError(f"{path}: log_history[{i}] is a {type(entry).__name__}, expected an object")
    return state


def find_trainer_state(run: Path) -> Path:
    """The newest ``trainer_state.json`` of a run: the run dir's own or its newest checkpoint's.

    Raises:
        DataError: ``run`` does not exist or holds no trainer state (the message names what was looked for).
    """
    if run.is_file():
        if run.name == "trainer_state.json":
            return run
        raise DataError(f"{run}: is a file; pass a run folder (with checkpoint-*/trainer_state.json)")
    if not run.is_dir():
        raise DataError(f"{run}: no such folder")
    candidates = [p for p in [run / "trainer_state.json"] if p.is_file()]
    ckpts = [c / "trainer_state.json" for c in checkpoints(run) if (c / "trainer_state.json").is_file()]
    if ckpts:
        candidates.append(ckpts[-1])
    if not candidates:
        raise DataError(
            f"{run}: not a training run: no {run / 'trainer_state.json'} and no checkpoint-*/trainer_state.json "
            "(point at the folder a TRL/transformers Trainer wrote, e.g. 'tucano train grpo's --output-dir)"
        )
    if len(candidates) == 1:
        return candidates[0]

    def step(path: Path) -> int:
        value = read_json(path).get("global_step") if path.is_file() else None
        return int(value) if isinstance(value, int | float) else -1

    return max(candidates, key=step)  # ties: the run dir's own (first)


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is a mapping, else an empty one (a hand-written file may hold anything)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _from_recipe(data: dict[str, Any], source: str) -> RunConfig:
    model = _section(data, "model")
    lora = _section(data, "lora")
    rewards = _section(data, "rewards")
    monitor = _section(data, "monitor")
    grpo = _section(data, "grpo")
    schedule = rewards.get("format_weight_schedule")
    return RunConfig(
        source=source,
        kind="recipe",
        grpo=dict(grpo),
        quantize=str(model.get("quantize", "none")),
        model_path=model.get("path"),
        lora_targets=lora.get("target_modules", "all-linear"),
        trainable_dtype=lora.get("trainable_dtype"),
        reward_weights=rewards.get("weights"),
        format_weight_schedule=schedule if isinstance(schedule, dict) else None,
        monitor=dict(monitor),
    )


def _quantization_of(args: dict[str, Any]) -> str | None:
    """4bit/8bit/none from TRL-style args (``model_init_kwargs.quantization_config``) or a plain key."""
    if args.get("quantize") is not None:
        return str(args["quantize"])
    init = _section(args, "model_init_kwargs")
    for holder in (init.get("quantization_config"), init, args.get("quantization_config"), args):
        if isinstance(holder, dict):
            if holder.get("load_in_4bit"):
                return "4bit"
            if holder.get("load_in_8bit"):
                return "8bit"
    if "model_init_kwargs" in args or "quantization_config" in args:
        return "none"
    return None


def _from_trl_args(args: dict[str, Any], source: str) -> RunConfig:
    return RunConfig(
        source=source,
        kind="trl-args",
        grpo=dict(args),
        quantize=_quantization_of(args),
        model_path=args.get("model_name_or_path"),
        reward_weights=args.get("reward_weights"),
    )


def config_from_mapping(data: dict[str, Any], source: str) -> RunConfig:
    """A recipe (has a ``grpo:`` mapping) or a flat mapping of GRPOConfig args."""
    if isinstance(data.get("grpo"), dict):
        return _from_recipe(data, source)
    return _from_trl_args(data, source)


def read_training_args_bin(path: Path) -> dict[str, Any]:
    """Unpickle ``training_args.bin`` (a ``GRPOConfig``) into a dict. Runs code from the file: trust it.

    Needs torch and the TRL that wrote it (the pickle names ``trl.GRPOConfig``).
    """
    import torch  # only here: the rest of the doctor is torch-free

    obj = torch.load(path, map_location="cpu", weights_only=False)
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    if isinstance(obj, dict):
        return obj
    return dict(vars(obj))


def load_run_config(
    run_dir: Path, state_dir: Path, *, args_file: Path | None, allow_pickle: bool, notes: list[str]
) -> RunConfig:
    """The run's settings: ``args_file`` if given, else the saved recipe, else ``training_args.bin``.

    Notes about where the settings came from (and what could not be read) are appended to ``notes``.
    """
    if args_file is not None:
        return config_from_mapping(read_mapping(args_file), str(args_file))
    ckpts = checkpoints(run_dir)
    places = list(dict.fromkeys([run_dir, state_dir, *ckpts[::-1]]))
    for place in places:
        for name in RECIPE_FILES:
            if (place / name).is_file():
                return config_from_mapping(read_mapping(place / name), str(place / name))
    pickled = next((p / ARGS_PICKLE for p in places if (p / ARGS_PICKLE).is_file()), None)
    if pickled is None:
        notes.append(
            "no recipe_config.yaml/.json and no training_args.bin: GRPOConfig defaults assumed where "
            "a check needs a setting (pass --args FILE with the run's arguments)"
        )
        return RunConfig()
    if not allow_pickle:
        notes.append(f"{pickled} not read (--no-pickle): GRPOConfig defaults assumed; pass --args FILE")
        return RunConfig()
    try:
        args = read_training_args_bin(pickled)
    except Exception as err:  # any unpickling failure is data, not a crash: say what happened
        notes.append(f"could not unpickle {pickled} ({type(err).__name__}: {err}); pass --args FILE")
        return RunConfig()
    notes.append(
        f"settings read from {pickled} with torch.load(weights_only=False), which runs code from the "
        "file: only for runs you trust (--no-pickle skips it)"
    )
    return _from_trl_args(args, str(pickled))


def load_run(run: Path, *, args_file: Path | None = None, allow_pickle: bool = True) -> RunFolder:
    """Read a run folder: trainer state, checkpoints, settings; adapter config fills what the settings lack."""
    state_path = find_trainer_state(run)
    run_dir = run if run.is_dir() else state_path.parent
    if state_path.parent.name.startswith("checkpoint-") and run.is_file():
        run_dir = state_path.parent.parent
    state = read_trainer_state(state_path)
    notes: list[str] = []
    config = load_run_config(
        run_dir, state_path.parent, args_file=args_file, allow_pickle=allow_pickle, notes=notes
    )
    ckpts = checkpoints(run_dir)
    adapter_cfg = next((c / ADAPTER_CONFIG for c in ckpts[::-1] if (c / ADAPTER_CONFIG).is_file()), None)
    if adapter_cfg is not None:
        peft = read_json(adapter_cfg)
        if isinstance(peft, dict):
            if config.lora_targets is None:
                config.lora_targets = peft.get("target_modules")
            if config.model_path is None:
                config.model_path = peft.get("base_model_name_or_path")
    return RunFolder(
        run_dir=run_dir, state_path=state_path, state=state, checkpoints=ckpts, config=config, notes=notes
    )


# --- safetensors (the format is an 8-byte header length, a JSON header, then raw little-endian data)

_NUMPY_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
SAFETENSORS_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}


def safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a ``.safetensors`` file: ``{name: {dtype, shape, data_offsets}}``."""
    with path.open("rb") as fh:
        raw = fh.read(8)
        if len(raw) < 8:
            raise DataError(f"{path}: truncated safetensors file")
        (size,) = struct.unpack("<Q", raw)
        try:
            header = json.loads(fh.read(size))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DataError(f"{path}: not a safetensors file ({err})") from None
    header.pop("__metadata__", None)
    return header


def safetensors_arrays(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """Named tensors of a ``.safetensors`` file as float32 numpy arrays (bf16 converted exactly)."""
    header = safetensors_header(path)
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        base = 8 + size
        out = {}
        for name in names:
            meta = header[name]
            start, end = meta["data_offsets"]
            fh.seek(base + start)
            buf = fh.read(end - start)
            if meta["dtype"] == "BF16":
                arr = bfloat16_bits_to_float32(np.frombuffer(buf, dtype="<u2"))
            elif meta["dtype"] in _NUMPY_DTYPES:
                arr = np.frombuffer(buf, dtype=np.dtype(_NUMPY_DTYPES[meta["dtype"]]).newbyteorder("<"))
            else:
                raise DataError(f"{path}: tensor {name} has dtype {meta['dtype']}, not a float type")
            out[name] = arr.astype(np.float32).reshape(meta["shape"])
    return out


def lora_names(header: dict[str, Any], part: str) -> list[str]:
    """Tensor names of LoRA ``part`` (``"lora_A"`` or ``"lora_B"``) in an adapter's header."""
    return sorted(n for n in header if f".{part}." in n and n.endswith(".weight"))
