"""Benchmark tasks: the item schema, the output contracts (with their pt-BR system prompts), the parser
of model replies, and loading the benchmark (review texts filled in from the data directory).
"""

from tucano_commerce.tasks._benchmark import (
    BENCHMARK_DIR_ENV,
    Manifest,
    WarehouseSpec,
    benchmark_dir,
    benchmark_warehouse,
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
    SentimentOutput,
    check_output,
)
from tucano_commerce.tasks._items import DIFFICULTIES, ID_PREFIX, TASKS, BenchmarkItem, Task
from tucano_commerce.tasks._parse import ParseResult, parse_response, strip_thinking

__all__ = [
    "BENCHMARK_DIR_ENV",
    "CHURN_FIELDS",
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
    "Manifest",
    "ParseResult",
    "SentimentOutput",
    "Task",
    "WarehouseSpec",
    "benchmark_dir",
    "benchmark_warehouse",
    "check_output",
    "fill_reviews",
    "load_items",
    "load_manifest",
    "parse_response",
    "read_items",
    "review_text",
    "review_text_hash",
    "strip_thinking",
]
