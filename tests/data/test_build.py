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
    # issue 11 §4: no prompt from a benchmark template, and the 8-gram figure with its limit
    assert summary.contamination.template_overlap == 0 and "Template-level overlap: **0**" in card
    assert "| sql/monthly_lag_state | sql-014 |" in card
    assert len(summary.contamination.ngram8) <= 10 and "8-gram check" in card
    assert f"**{len(summary.contamination.ngram8)} of 1000 " in card
    templates = {e.source.get("template") for e in every if e.task in ("sql", "insights")}
    assert "monthly_lag_state" not in templates and "monthly_late_period" not in templates


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


# --- template level and 8-grams (issue 11 §4) ---------------------------------------------------------


def test_guard_flags_an_example_made_from_a_benchmark_template():
    planted = example("sql", "Pergunta: uma pergunta qualquer sobre pedidos por mês e estado\n\n",
                      template="monthly_lag_state")  # fmt: skip
    other = example("sql", "Pergunta: outra pergunta sobre itens e vendedores de um estado\n\n",
                    template="orders_in_period")  # fmt: skip
    report = check_contamination([planted, other], read_items())
    assert report.checks["held_out_template"] == 1 and report.template_overlap == 1
    assert (planted.id, "sql-014", "held_out_template") in report.hits and not report.clean


def test_every_template_that_reproduces_a_benchmark_item_is_held_out():
    from tucano_commerce.data._contamination import check_templates, template_matches
    from tucano_commerce.data._heldout import HELD_OUT

    bench = read_items()
    assert check_templates(bench) == []
    found = {m.template for m in template_matches(bench)}
    assert len(found) >= 20 and found <= set(HELD_OUT)
    # the two examples are among them
    assert {"sql/monthly_lag_state", "insights/monthly_late_period"} <= found


def test_a_new_template_copying_a_benchmark_item_is_caught():
    from tucano_commerce.data._contamination import check_templates

    bench = read_items()
    sql_014 = next(i for i in bench if i.id == "sql-014")
    rogue_sql = sql_014.ground_truth["sql"].replace(
        "FROM orders WHERE",
        "FROM orders JOIN customers USING (customer_id) WHERE customer_state = '{state}' AND",
    )
    ins_007 = next(i for i in bench if i.id == "ins-007")
    question = (
        "Analise a taxa de atraso mês a mês em {year}. Em quais meses ela disparou e como isso se relaciona?"
    )
    unrelated = ("sql", "brand_new", ("Quantos vendedores do estado {state} venderam itens de frete grátis?",),
                 "SELECT count(DISTINCT seller_id) FROM sellers WHERE seller_state = '{state}'")  # fmt: skip
    matches = check_templates(bench, [
        ("sql", "rogue_lag", ("Para cada mês de {year}, quantos pedidos de {state}?",), rogue_sql),
        ("insights", "rogue_late", (question,), ins_007.source["tables"][0]["sql"]),
        unrelated,
    ])  # fmt: skip
    assert {(m.template, m.item) for m in matches} >= {
        ("sql/rogue_lag", "sql-014"),
        ("insights/rogue_late", "ins-007"),
    }
    assert not [m for m in matches if m.template == "sql/brand_new"]


def test_a_build_fails_when_a_benchmark_template_is_not_marked_held_out(tucano_home, tmp_path, monkeypatch):
    from tucano_commerce.data._heldout import HELD_OUT
    from tucano_commerce.errors import DataError

    monkeypatch.delitem(HELD_OUT, "sql/monthly_lag_state")
    with pytest.raises(DataError, match=r"sql/monthly_lag_state ~ sql-014"):
        build_dataset(tmp_path / "out", total=100, seed=1, eval_size=6)
    assert not (tmp_path / "out").exists()


@needs_olist
def test_a_build_fails_when_a_generator_reuses_a_benchmark_template(tucano_home, tmp_path, monkeypatch):
    from tucano_commerce.data import _sql_templates
    from tucano_commerce.data._heldout import is_held_out
    from tucano_commerce.errors import DataError

    # a generator bug: drawing from the benchmark's templates only
    monkeypatch.setattr(_sql_templates, "training_templates",
                        lambda task, templates: tuple(t for t in templates if is_held_out(task, t.name)))  # fmt: skip
    with pytest.raises(DataError, match="held-out templates"):
        build_dataset(tmp_path / "out", total=100, seed=1, eval_size=6)
    assert not (tmp_path / "out").exists()


def test_shared_distinctive_8grams_are_counted():
    from tucano_commerce.data._contamination import shared_ngrams

    bench = read_items()
    ins = next(b for b in bench if b.id == "ins-007")
    question = ins.prompt.split("Pergunta: ")[1].split("\n\n")[0]
    reused = example("insights", f"Dados:\n\numa tabela\n\nPergunta: {question}\n\nResponda em português")
    boilerplate = example("insights", "Dados:\n\numa tabela\n\nPergunta: Qual categoria mais cresceu?\n\nResponda em "
                          "português, citando os números relevantes e terminando com recomendações práticas.")  # fmt: skip
    listed = shared_ngrams([reused, boilerplate], bench)
    assert [(t, b) for t, _, b in listed] == [(reused.id, ["ins-007"])] and listed[0][1] >= 3
