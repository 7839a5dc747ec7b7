"""A task is one object: ``TaskSpec`` holds everything the code knows about one task, and the registry holds
the specs by name.

Modelled on lighteval's ``LightevalTaskConfig`` and inspect_ai's ``Task``: the spec names the task's id
prefix, difficulties, system prompt and output contract, and binds its scorer, the GRPO credits read from
the scorer's typed metrics, the structure check of the format reward, the reference reply ``tucano bench
validate`` scores, the keys the contamination guard compares and what the tiny model's warm-up replies
look like. ``score_item``, the three rewards, the tiny warm start, the contamination guard, ``tucano bench
validate``, the runner and the report look a task up here instead of branching on its name.

Why it lives in ``scoring`` and not in ``tasks``: it binds a scorer, and scorers sit above the item schema,
contracts and parser of ``tasks`` (which therefore know only the benchmark's own five tasks by name). The
five specs are in ``_benchmark_tasks``; another task is one module that builds a ``TaskSpec`` and calls
``register_task`` (see ``tests/scoring/toy_task.py``).

Example::

    spec = get_task("sql")
    score = spec.score(item, reply, ScoringResources(db_path=warehouse))
    spec.partial_credit(score), spec.full_credit(score)
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.scoring._types import ItemScore
from tucano_commerce.tasks import BenchmarkItem

if TYPE_CHECKING:
    from tucano_commerce.scoring._judge import Judge

Resource = Literal["warehouse", "sql_suite", "judge", "similarity"]
Similarity = Callable[[str, str], float]
Credit = Callable[[ItemScore], float | None]
"""Partial or full credit of one scored reply in [0, 1] (None: not applicable), read from its typed metrics."""


@dataclass(frozen=True)
class ScoringResources:
    """What a scorer may need besides the item and the reply; each task uses the ones it names.

    Attributes:
        db_path: The warehouse SQL runs on (``warehouse``); None: the task's default (the benchmark's).
        sql_suite: The other warehouses of the SQL test suite (``sql_suite``); None: the task's default.
        judge: LLM judge for free-text answers (``judge``); None: judge-free scoring.
        similarity: ``(pred, gold) -> [0, 1]`` text similarity (``similarity``); None: the scorer's default.
    """

    db_path: str | Path | None = None
    sql_suite: Sequence[str | Path] | None = None
    judge: Judge | None = None
    similarity: Similarity | None = None


class TaskScorer(Protocol):
    """Score one reply to one item of the task; never raises on model text (bad benchmark data may raise)."""

    def __call__(self, item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore: ...


@dataclass(frozen=True)
class ContaminationKeys:
    """What the contamination guard compares between training prompts and the task's benchmark items.

    Attributes:
        source_ids: ``source`` field -> check name: a training example whose ``source`` holds the same value
            as a benchmark item's is a hit of that check (``{"review_id": "same_review"}``).
        distinctive: The item-specific part of a user prompt (the review, the question ...), without the
            instructions every prompt of the task shares; the text and n-gram checks compare only this.
    """

    source_ids: Mapping[str, str] = field(default_factory=dict)
    distinctive: Callable[[str], str] = lambda user_text: user_text


@dataclass(frozen=True)
class TaskSpec:
    """Everything about one task. Frozen; build one per task and ``register_task`` it.

    Attributes:
        name: The ``task`` value of its items and training rows.
        label: Display name in reports.
        id_prefix: Item ids are ``<id_prefix>-NNN``.
        difficulties: The strata of its items, in display order.
        system_prompt: The pt-BR system prompt stating the output contract.
        contract: The pydantic model of a JSON reply; None when the reply is SQL or free text.
        score: The scorer (``TaskScorer``).
        partial_credit: GRPO partial credit, from the scorer's typed metrics.
        full_credit: GRPO full credit (the task score a run optimises), from the typed metrics.
        format_check: Structure score in [0, 1] of a reply without ``<think>`` left open (nothing is scored
            against the ground truth): the format reward.
        reference_response: The ground truth written as a perfect reply; it must score 1.0.
        ground_truth_problems: ``(field, message)`` for each way an item's ground truth is malformed.
        contamination: Keys of the contamination guard.
        warm_start_reply: A made-up reply in the output contract (random values, no benchmark text), for
            the tiny model's supervised warm start.
        resources: What ``score`` needs besides the reply: ``warehouse``/``sql_suite`` are built by the
            runner and resolved per row by the rewards; ``judge``/``similarity`` are optional.
    """

    name: str
    label: str
    id_prefix: str
    difficulties: tuple[str, ...]
    system_prompt: str
    contract: type[BaseModel] | None
    score: TaskScorer
    partial_credit: Credit
    full_credit: Credit
    format_check: Callable[[str], float]
    reference_response: Callable[[BenchmarkItem], str]
    ground_truth_problems: Callable[[BenchmarkItem], list[tuple[str, str]]]
    contamination: ContaminationKeys
    warm_start_reply: Callable[[random.Random], str]
    resources: frozenset[Resource] = frozenset()

    def needs(self, resource: Resource) -> bool:
        """Whether ``score`` uses ``resource``."""
        return resource in self.resources


_REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add a task to the registry (returns it, so a module can write ``SPEC = register_task(TaskSpec(...))``).

    Raises:
        ValueError: a task of that name, or with that id prefix, is already registered.
    """
    if spec.name in _REGISTRY:
        raise ValueError(f"task {spec.name!r} is already registered")
    if clash := next((s.name for s in _REGISTRY.values() if s.id_prefix == spec.id_prefix), None):
        raise ValueError(f"task {spec.name!r}: id prefix {spec.id_prefix!r} is already used by {clash!r}")
    _REGISTRY[spec.name] = spec
    return spec


def unregister_task(name: str) -> None:
    """Remove a task from the registry (tests that register a toy task undo it this way)."""
    _REGISTRY.pop(name, None)


@contextlib.contextmanager
def registered(spec: TaskSpec) -> Iterator[TaskSpec]:
    """Register ``spec`` for the duration of a ``with`` block."""
    register_task(spec)
    try:
        yield spec
    finally:
        unregister_task(spec.name)


def get_task(name: str) -> TaskSpec:
    """The spec of a registered task.

    Raises:
        UnknownNameError: ``name`` is not registered (the message lists the registered tasks).
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(f"unknown task {name!r}; registered tasks: {', '.join(_REGISTRY)}") from None


def find_task(name: str) -> TaskSpec | None:
    """The spec of ``name``, or None when no such task is registered (e.g. the training-only ``general``)."""
    return _REGISTRY.get(name)


def task_names() -> tuple[str, ...]:
    """Registered task names, in registration order (the benchmark's five first)."""
    return tuple(_REGISTRY)


def task_specs() -> tuple[TaskSpec, ...]:
    """Registered specs, in registration order."""
    return tuple(_REGISTRY.values())


def task_order(names: Iterable[str]) -> list[str]:
    """``names`` without repeats: registered tasks in registry order, then the others in order of appearance."""
    seen = list(dict.fromkeys(names))
    return [t for t in _REGISTRY if t in seen] + [t for t in seen if t not in _REGISTRY]
