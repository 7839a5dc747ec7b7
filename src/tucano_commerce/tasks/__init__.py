"""Benchmark tasks: the item schema, the output contracts (with their pt-BR system prompts), the parser
of model replies, and loading the benchmark (review texts filled in from the data directory).

These are the parts below scoring, and they know the benchmark's own five tasks by name (``TASKS``). The
registry of tasks (``TaskSpec``: scorer, credits, reference reply ... of each task, a sixth one included)
is ``tucano_commerce.scoring.get_task``.
"""

from tucano_commerce.tasks._benchmark import (
    BENCHMARK_DIR_ENV,
    Manifest,
    SqlSuiteSpec,
    WarehouseSpec,
    benchmark_dir,
    benchmark_warehouse,
    cached_warehouse,
    fill_reviews,
    load_items,
    load_manifest,
    read_items,
    review_text,
    review_text_hash,
)
from tucano_commerce.tasks._contracts import (
    CHURN_FIELDS,
    CONTRACT_FIELDS,
    CONTRACTS,
    EXTRACTION_FIELDS,
    JSON_TASKS,
    SENTIMENT_FIELDS,
    SYSTEM_PROMPTS,
    ChurnOutput,
    ContractCheck,
    ExtractionOutput,
    FieldProblem,
    JsonTask,
    SentimentOutput,
    check_output,
)
from tucano_commerce.tasks._facts import reference_answer
from tucano_commerce.tasks._items import CHURN_RISK_LEVEL, DIFFICULTIES, ID_PREFIX, TASKS, BenchmarkItem, Task
from tucano_commerce.tasks._parse import ParseResult, parse_response, strip_thinking
from tucano_commerce.tasks._prompts import insights_data_of, question_of, review_of
from tucano_commerce.tasks._suite import benchmark_sql_suite, cached_sql_suite, suite_seeds

__all__ = [
    "BENCHMARK_DIR_ENV",
    "CHURN_FIELDS",
    "CHURN_RISK_LEVEL",
    "CONTRACTS",
    "CONTRACT_FIELDS",
    "DIFFICULTIES",
    "EXTRACTION_FIELDS",
    "ID_PREFIX",
    "JSON_TASKS",
    "SENTIMENT_FIELDS",
    "SYSTEM_PROMPTS",
    "TASKS",
    "BenchmarkItem",
    "ChurnOutput",
    "ContractCheck",
    "ExtractionOutput",
    "FieldProblem",
    "JsonTask",
    "Manifest",
    "ParseResult",
    "SentimentOutput",
    "SqlSuiteSpec",
    "Task",
    "WarehouseSpec",
    "benchmark_dir",
    "benchmark_sql_suite",
    "benchmark_warehouse",
    "cached_sql_suite",
    "cached_warehouse",
    "check_output",
    "fill_reviews",
    "insights_data_of",
    "load_items",
    "load_manifest",
    "parse_response",
    "question_of",
    "read_items",
    "reference_answer",
    "review_text",
    "review_of",
    "review_text_hash",
    "strip_thinking",
    "suite_seeds",
]
