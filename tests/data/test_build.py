"""``tucano data build``: counts, determinism, provenance, executable SQL, loadability, contamination guard."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tucano_commerce.data import (
    TrainingExample,
    build_dataset,
    check_contamination,
    plan_counts,
    read_examples,
)
from tucano_commerce.errors import ConfigError
from tucano_commerce.sql import run_query
from tucano_commerce.tasks import cached_warehouse, fill_reviews, read_items

HAS_OLIST = bool(os.environ.get("TUCANO_OLIST_DIR"))
needs_olist = pytest.mark.skipif(not HAS_OLIST, reason="needs TUCANO_OLIST_DIR (review tasks)")


@pytest.fixture(scope="module")
def built(tucano_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "v3"
    return build_dataset(out, total=1000, general_ratio=0.3, seed=0, eval_size=50), out


def test_plan_counts_default_and_table_targets():
    assert plan_counts(1000, 0.3) == {
        "extraction": 210,
        "sentiment": 140,
        "sql": 175,
        "churn": 70,
        "insights": 105,
        "general": 300,
    }
    table = plan_counts(domain_total=1000, general_ratio=0.3)
    assert {k: v for k, v in table.items() if k != "general"} == {
        "extraction": 300,
        "sentiment": 200,
        "sql": 250,
        "churn": 100,
        "insights": 150,
    }
    assert table["general"] == 429  # 30 % of the whole
    assert sum(plan_counts(997, 0.3).values()) == 997
    with pytest.raises(ConfigError):
        plan_counts(1000, 1.0)


@needs_olist
def test_counts_split_and_provenance(built):
    summary, out = built
    train, eval_ = read_examples(out / "train.jsonl"), read_examples(out / "eval.jsonl")
    assert len(train) + len(eval_) == 1000 and len(eval_) == 50
    assert summary.counts == plan_counts(1000, 0.3)
    every = train + eval_
    assert sum(e.task == "general" for e in every) == 300
    assert {e.task for e in eval_} == {"extraction", "sentiment", "sql", "churn", "insights", "general"}
    assert len({e.id for e in every}) == 1000
    for e in every:
        assert e.label_source in ("gold", "llm", "silver", "synthetic") and e.source
        assert [m["role"] for m in e.prompt] == ["system", "user"]
    real = [e for e in every if e.source.get("dataset") == "olist"]
    assert real and all(e.label_source == "silver" for e in real)
    assert summary.contamination.clean
    card = (out / "README.md").read_text()
    assert "Contamination check" in card and "**clean**" in card and "| sql | 175 |" in card


@needs_olist
def test_same_seed_same_files_other_seed_other_data(built, tmp_path):
    _, out = built
    again = tmp_path / "again"
    build_dataset(again, total=1000, general_ratio=0.3, seed=0, eval_size=50)
    assert (again / "train.jsonl").read_bytes() == (out / "train.jsonl").read_bytes()
    assert (again / "eval.jsonl").read_bytes() == (out / "eval.jsonl").read_bytes()
    other = tmp_path / "other"
    build_dataset(other, total=200, general_ratio=0.3, seed=1, eval_size=10)
    first = {
        json.loads(line)["prompt"][1]["content"] for line in (out / "train.jsonl").read_text().splitlines()
    }
    second = [
        json.loads(line)["prompt"][1]["content"] for line in (other / "train.jsonl").read_text().splitlines()
    ]
    assert sum(s in first for s in second) < len(second) / 2


@needs_olist
def test_every_sql_gold_executes_on_the_training_warehouse(built):
    _, out = built
    sql = [e for e in read_examples(out / "train.jsonl") if e.task == "sql"]
    seeds = {e.source["warehouse"]["seed"] for e in sql}
    assert seeds == {2026}
    db = cached_warehouse(2026, 0.1)
    for e in sql:
        assert run_query(db, e.ground_truth["sql"]).rows, e.id


@needs_olist
def test_loadable_by_datasets_with_trl_columns(built):
    datasets = pytest.importorskip("datasets")
    _, out = built
    ds = datasets.load_dataset(
        "json", data_files={"train": str(out / "train.jsonl"), "eval": str(out / "eval.jsonl")}
    )
    assert {"prompt", "task", "ground_truth", "source", "label_source"} <= set(ds["train"].column_names)
    row = ds["train"][0]
    assert row["prompt"][0]["role"] == "system" and isinstance(json.loads(row["ground_truth"]), dict)


# --- the guard on planted duplicates (no build needed) ----------------------------------------------


def example(task: str, user: str, **source) -> TrainingExample:
    return TrainingExample(id=f"t-{task}-{abs(hash(user)) % 10_000}", task=task, prompt=[{"role": "system", "content": "s"},
                           {"role": "user", "content": user}], ground_truth={}, source=source, label_source="synthetic")  # fmt: skip


def benchmark_items():
    items = read_items()
    return fill_reviews(items, Path(os.environ["TUCANO_OLIST_DIR"])) if HAS_OLIST else items


def test_guard_catches_planted_sql_duplicates_exact_and_paraphrased():
    bench = benchmark_items()
    sql = next(b for b in bench if b.id == "sql-011")
    exact = example("sql", sql.prompt)
    question = sql.source["question"]
    paraphrase = question.replace(
        "Quantos pedidos foram feitos", "Qual foi o número de pedidos feitos"
    ).replace("em ordem cronológica", "ordenado por mês")
    assert paraphrase != question
    para = example("sql", sql.prompt.replace(question, paraphrase))
    unrelated = example(
        "sql", sql.prompt.replace(question, "Qual é o preço médio dos itens da categoria pet_shop?")
    )
    report = check_contamination([exact, para, unrelated], bench)
    flagged = {(t, c) for t, _, c in report.hits}
    assert (exact.id, "same_content") in flagged
    assert (para.id, "near_duplicate") in flagged
    assert unrelated.id not in {t for t, _, _ in report.hits}


def test_guard_catches_same_review_and_same_customer():
    bench = benchmark_items()
    review = next(b for b in bench if b.source.get("dataset") == "olist")
    churn = next(b for b in bench if b.task == "churn")
    planted = [
        example(
            "extraction",
            "<avaliacao>\noutro texto qualquer\n</avaliacao>",
            review_id=review.source["review_id"],
        ),
        example("churn", "perfil diferente", customer_unique_id=churn.source["customer_unique_id"]),
    ]
    report = check_contamination(planted, bench)
    assert report.checks["same_review"] == 1 and report.checks["same_customer"] == 1


@needs_olist
def test_guard_catches_paraphrased_review_text():
    bench = benchmark_items()
    item = next(b for b in bench if b.id == "ext-012")  # a long real review
    text = item.prompt.split("<avaliacao>")[1].split("</avaliacao>")[0].strip()
    words = text.split()
    words[1], words[-2] = "Mesmo com", "ainda espero"  # a light rewording
    paraphrased = example("sentiment", f"<avaliacao>\n{' '.join(words)}\n</avaliacao>")
    report = check_contamination([paraphrased], bench)
    assert report.checks["near_duplicate"] == 1


@needs_olist
def test_review_queue_corrections_become_gold_on_rebuild(tucano_home, tmp_path):
    import csv

    from tucano_commerce.data import export_queue

    first = tmp_path / "first"
    build_dataset(first, total=100, seed=3, eval_size=6)
    examples = read_examples(first / "train.jsonl") + read_examples(first / "eval.jsonl")
    queue = export_queue(examples, tmp_path / "queue.csv")
    with queue.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    target = next(r for r in rows if r["task"] == "sentiment")
    target["sentiment"] = "neutro" if target["sentiment"] != "neutro" else "positivo"
    target["sentiment_score"] = "0"
    with queue.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    second = tmp_path / "second"
    build_dataset(second, total=100, seed=3, eval_size=6, queue=queue)
    rebuilt = {e.id: e for e in read_examples(second / "train.jsonl") + read_examples(second / "eval.jsonl")}
    fixed = rebuilt[target["id"]]
    assert fixed.label_source == "gold" and fixed.ground_truth["sentiment"] == target["sentiment"]
