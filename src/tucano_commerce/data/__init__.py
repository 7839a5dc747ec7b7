"""GRPO v3 training data: 1,000+ prompts (plus 30 % general reasoning), never overlapping the benchmark.

``build_dataset`` (``tucano data build``) assembles the generators below, runs the contamination guard
and writes ``train.jsonl``, ``eval.jsonl`` and a dataset card.
"""

from tucano_commerce.data._b2w import B2W_COLUMNS, read_b2w
from tucano_commerce.data._build import (
    TABLE_TARGETS,
    BuildSummary,
    build_dataset,
    from_row,
    plan_counts,
    read_examples,
    split_eval,
    to_row,
)
from tucano_commerce.data._contamination import ContaminationReport, check_contamination
from tucano_commerce.data._llm_labeller import LLMLabeller
from tucano_commerce.data._local import load_local_dataset, read_local_dataset
from tucano_commerce.data._math import (
    GENERAL_SYSTEM_PROMPT,
    build_math_examples,
    extract_final_answer,
    verify_answer,
)
from tucano_commerce.data._records import TRAIN_TASKS, LabelSource, TrainingExample, TrainTask
from tucano_commerce.data._review_queue import QUEUE_COLUMNS, export_queue, import_queue
from tucano_commerce.data._reviews import ReviewRecord, build_review_examples, load_review_pool
from tucano_commerce.data._silver import silver_label
from tucano_commerce.data._sql_templates import SQL_TEMPLATES, build_sql_examples
from tucano_commerce.data._synthetic_reviews import generate_reviews
from tucano_commerce.data._warehouse_tasks import build_churn_examples, build_insights_examples

__all__ = [
    "B2W_COLUMNS",
    "GENERAL_SYSTEM_PROMPT",
    "QUEUE_COLUMNS",
    "SQL_TEMPLATES",
    "TABLE_TARGETS",
    "TRAIN_TASKS",
    "BuildSummary",
    "ContaminationReport",
    "LLMLabeller",
    "LabelSource",
    "ReviewRecord",
    "TrainTask",
    "TrainingExample",
    "build_churn_examples",
    "build_dataset",
    "build_insights_examples",
    "build_math_examples",
    "build_review_examples",
    "build_sql_examples",
    "check_contamination",
    "export_queue",
    "extract_final_answer",
    "from_row",
    "generate_reviews",
    "import_queue",
    "load_local_dataset",
    "load_review_pool",
    "plan_counts",
    "read_b2w",
    "read_examples",
    "read_local_dataset",
    "silver_label",
    "split_eval",
    "to_row",
    "verify_answer",
]
