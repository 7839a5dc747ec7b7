"""The benchmark's five tasks as ``TaskSpec``s, registered when ``tucano_commerce.scoring`` is imported.

Each spec composes what already has one home: the contract and system prompt (``tasks._contracts``), the
scorer and its typed credits (``_extraction``, ``_sentiment``, ``_sql``, ``_churn``, ``_insights``). What
had no home of its own before lives here, next to its task: the format reward's structure check, the
reference reply, the ground-truth checks of ``tucano bench validate``, the contamination keys and the tiny
model's warm-up replies.

Format checks (the reply after thinking; a ``<think>`` left open scores 0 before any of them runs): JSON
tasks, the fraction of contract fields present and valid (``check_output``); sql, 1 when one statement is
found and passes the sandbox gate (``sql.check_sql``, nothing executed); insights, 1 for an answer of
``INSIGHTS_MIN_CHARS``..``INSIGHTS_MAX_CHARS`` characters, 0.5 when shorter or longer, 0 when empty.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._churn import churn_full_credit, churn_partial_credit, score_churn
from tucano_commerce.scoring._extraction import (
    extraction_full_credit,
    extraction_partial_credit,
    score_extraction,
)
from tucano_commerce.scoring._insights import (
    insights_full_credit,
    insights_partial_credit,
    score_insights,
    validate_key_facts,
)
from tucano_commerce.scoring._sentiment import (
    score_sentiment,
    sentiment_full_credit,
    sentiment_partial_credit,
)
from tucano_commerce.scoring._spec import ContaminationKeys, ScoringResources, TaskSpec, register_task
from tucano_commerce.scoring._sql import score_sql_item, sql_full_credit, sql_partial_credit
from tucano_commerce.scoring._types import ItemScore
from tucano_commerce.sql import SqlError, check_sql
from tucano_commerce.tasks import (
    CONTRACTS,
    DIFFICULTIES,
    ID_PREFIX,
    SYSTEM_PROMPTS,
    BenchmarkItem,
    JsonTask,
    Task,
    benchmark_sql_suite,
    benchmark_warehouse,
    check_output,
    insights_data_of,
    parse_response,
    question_of,
    reference_answer,
    review_of,
)

INSIGHTS_MIN_CHARS = 80
INSIGHTS_MAX_CHARS = 4000
WARM_START_TEXTS = (
    "O pedido chegou atrasado e a embalagem estava danificada.",
    "Produto excelente, entrega rápida, recomendo a loja!",
    "Não recebi o produto até agora e ninguém responde.",
)
"""Made-up review sentences (no benchmark or Olist text) the warm-up replies quote."""
WARM_START_SQL = (
    "SELECT count(*) AS pedidos FROM orders",
    "SELECT customer_state, count(*) AS clientes FROM customers GROUP BY 1 ORDER BY 2 DESC",
    "SELECT avg(price) AS preco_medio FROM order_items",
    "SELECT review_score, count(*) FROM order_reviews GROUP BY review_score ORDER BY review_score",
)


def _benchmark_task(name: Task, **fields: Any) -> TaskSpec:
    """A benchmark task's spec: its id prefix, difficulties and system prompt come from the tables keyed by
    its name (``tasks``), so a spec cannot pair one task's name with another's prompt."""
    return TaskSpec(
        name=name,
        id_prefix=ID_PREFIX[name],
        difficulties=DIFFICULTIES[name],
        system_prompt=SYSTEM_PROMPTS[name],
        **fields,
    )


# --------------------------------------------------------------------------------------- shared helpers


def _contract_format(task: JsonTask) -> Callable[[str], float]:
    def format_check(reply: str) -> float:
        parsed = parse_response(task, reply)
        if not parsed.ok:
            return 0.0
        check = check_output(task, parsed.value)
        n = len(check.values) + len(check.problems)
        return len(check.values) / n if n else 0.0

    format_check.__doc__ = f"Share of the {task} contract's fields present and valid in the reply."
    return format_check


def _contract_problems(
    task: JsonTask, *, optional: tuple[str, ...] = ()
) -> Callable[..., list[tuple[str, str]]]:
    def problems(item: BenchmarkItem) -> list[tuple[str, str]]:
        checked = check_output(task, item.ground_truth)
        return [(f"ground_truth.{p.field}", p.detail) for p in checked.problems if p.field not in optional]

    problems.__doc__ = f"Ground-truth fields that break the {task} contract (except {optional or 'none'})."
    return problems


def _json_reply(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _ground_truth_reply(item: BenchmarkItem) -> str:
    """The ground truth itself, as the JSON reply."""
    return _json_reply(item.ground_truth)


# ------------------------------------------------------------------------------------------ extraction


def _score_extraction(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    return score_extraction(item, response, similarity=resources.similarity)


def _extraction_warm_up(rng: random.Random) -> str:
    return _json_reply(
        {
            "sentiment": rng.choice(["positivo", "negativo", "neutro"]),
            "sentiment_score": round(rng.uniform(-1, 1), 1),
            "churn_risk": round(rng.random(), 1),
            "repeat_intent": round(rng.random(), 1),
            "complaint_category": rng.choice(["entrega", "produto", "vendedor", "nenhuma"]),
            "delivery_issue": rng.random() < 0.5,
            "product_issue": rng.random() < 0.5,
            "seller_issue": rng.random() < 0.2,
            "would_recommend": rng.random() < 0.5,
            "main_complaint": rng.choice(["atraso na entrega", "produto com defeito", ""]),
        }
    )


REVIEW_KEYS = ContaminationKeys(source_ids={"review_id": "same_review"}, distinctive=review_of)

EXTRACTION = _benchmark_task(
    "extraction",
    label="Extraction",
    contract=CONTRACTS["extraction"],
    score=_score_extraction,
    partial_credit=extraction_partial_credit,
    full_credit=extraction_full_credit,
    format_check=_contract_format("extraction"),
    reference_response=_ground_truth_reply,
    ground_truth_problems=_contract_problems("extraction"),
    contamination=REVIEW_KEYS,
    warm_start_reply=_extraction_warm_up,
    resources=frozenset({"similarity"}),
)


# ------------------------------------------------------------------------------------------- sentiment


def _score_sentiment(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    return score_sentiment(item, response)


def _sentiment_warm_up(rng: random.Random) -> str:
    polarity = rng.choice(["positivo", "negativo", "neutro"])
    return _json_reply({"sentiment": polarity, "sentiment_score": round(rng.uniform(-1, 1), 1)})


SENTIMENT = _benchmark_task(
    "sentiment",
    label="Sentiment",
    contract=CONTRACTS["sentiment"],
    score=_score_sentiment,
    partial_credit=sentiment_partial_credit,
    full_credit=sentiment_full_credit,
    format_check=_contract_format("sentiment"),
    reference_response=_ground_truth_reply,
    ground_truth_problems=_contract_problems("sentiment"),
    contamination=REVIEW_KEYS,
    warm_start_reply=_sentiment_warm_up,
)


# ------------------------------------------------------------------------------------------------- sql


def _score_sql(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    """On ``resources.db_path`` and its suite; by default the benchmark's warehouse and SQL test suite."""
    db_path, suite = resources.db_path, resources.sql_suite
    if db_path is None:
        db_path = benchmark_warehouse()
        suite = benchmark_sql_suite() if suite is None else suite
    return score_sql_item(item, response, db_path=db_path, sql_suite=suite or ())


def _sql_format(reply: str) -> float:
    """1 when the reply holds one statement that passes the sandbox gate (nothing is executed)."""
    parsed = parse_response("sql", reply)
    if not parsed.ok:
        return 0.0
    try:
        check_sql(parsed.value)
    except SqlError:
        return 0.0
    return 1.0


def _sql_reference(item: BenchmarkItem) -> str:
    return str(item.ground_truth["sql"])


def _sql_problems(item: BenchmarkItem) -> list[tuple[str, str]]:
    return [] if isinstance(item.ground_truth.get("sql"), str) else [("ground_truth.sql", "missing gold SQL")]


SQL = _benchmark_task(
    "sql",
    label="SQL",
    contract=None,
    score=_score_sql,
    partial_credit=sql_partial_credit,
    full_credit=sql_full_credit,
    format_check=_sql_format,
    reference_response=_sql_reference,
    ground_truth_problems=_sql_problems,
    contamination=ContaminationKeys(distinctive=question_of),
    warm_start_reply=lambda rng: rng.choice(WARM_START_SQL),
    resources=frozenset({"warehouse", "sql_suite"}),
)


# ----------------------------------------------------------------------------------------------- churn


def _score_churn(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    return score_churn(item, response)


def _churn_reference(item: BenchmarkItem) -> str:
    gt = item.ground_truth
    return _json_reply(
        {
            "churn_probability": gt["churn_probability"],
            "risk_level": gt["risk_level"],
            "justificativa": "referência",
        }
    )


def _churn_warm_up(rng: random.Random) -> str:
    return _json_reply(
        {
            "churn_probability": round(rng.random(), 2),
            "risk_level": rng.choice(["baixo", "medio", "alto"]),
            "justificativa": rng.choice(WARM_START_TEXTS),
        }
    )


CHURN = _benchmark_task(
    "churn",
    label="Churn",
    contract=CONTRACTS["churn"],
    score=_score_churn,
    partial_credit=churn_partial_credit,
    full_credit=churn_full_credit,
    format_check=_contract_format("churn"),
    reference_response=_churn_reference,
    # the truth holds the probability and band; the reply's free-text reason has no truth
    ground_truth_problems=_contract_problems("churn", optional=("justificativa",)),
    contamination=ContaminationKeys(source_ids={"customer_unique_id": "same_customer"}),
    warm_start_reply=_churn_warm_up,
)


# -------------------------------------------------------------------------------------------- insights


def _score_insights(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    return score_insights(item, response, judge=resources.judge)


def _insights_format(reply: str) -> float:
    """1 for a non-empty answer of a reasonable length, 0.5 when shorter or longer, 0 when empty."""
    parsed = parse_response("insights", reply)
    answer = str(parsed.value).strip() if parsed.ok else ""
    if not answer:
        return 0.0
    return 1.0 if INSIGHTS_MIN_CHARS <= len(answer) <= INSIGHTS_MAX_CHARS else 0.5


def _insights_reference(item: BenchmarkItem) -> str:
    return reference_answer(item.ground_truth.get("key_facts", []))  # the facts' own sentences


def _insights_problems(item: BenchmarkItem) -> list[tuple[str, str]]:
    try:
        if not validate_key_facts(item.ground_truth.get("key_facts", [])):
            return [("ground_truth.key_facts", "no key facts")]
    except DataError as err:
        return [("ground_truth.key_facts", str(err))]
    return []


INSIGHTS = _benchmark_task(
    "insights",
    label="Insights",
    contract=None,
    score=_score_insights,
    partial_credit=insights_partial_credit,
    full_credit=insights_full_credit,
    format_check=_insights_format,
    reference_response=_insights_reference,
    ground_truth_problems=_insights_problems,
    contamination=ContaminationKeys(distinctive=insights_data_of),
    warm_start_reply=lambda rng: (
        f"{rng.choice(WARM_START_TEXTS)} Recomendo revisar a entrega e o atendimento."
    ),
    resources=frozenset({"judge"}),
)

BENCHMARK_TASKS: tuple[TaskSpec, ...] = tuple(
    register_task(spec) for spec in (EXTRACTION, SENTIMENT, SQL, CHURN, INSIGHTS)
)
"""The five, registered in the benchmark's order (reports and summaries list tasks in this order)."""
