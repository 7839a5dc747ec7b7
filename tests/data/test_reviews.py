"""Review pool and training examples (pytest tests/data/test_reviews.py).

Unit tests use invented reviews in an Olist-shaped CSV; the real-data tests read $TUCANO_OLIST_DIR and
skip without it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from tucano_commerce.data._reviews import ReviewRecord, build_review_examples, load_review_pool
from tucano_commerce.tasks import SYSTEM_PROMPTS, check_output, fill_reviews, read_items

HEADER = ["review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
          "review_creation_date", "review_answer_timestamp"]  # fmt: skip
ROWS = [
    ["a1", "o1", "5", "", "Ótimo produto, recomendo.", "", ""],
    ["a1", "o2", "5", "", "Ótimo produto, recomendo.", "", ""],  # same review, two orders
    ["b2", "o3", "1", "Atraso", "Nunca chegou!", "", ""],
    ["c3", "o4", "4", "", "", "", ""],  # no message
    ["d4", "o5", "3", "", "  NUNCA chegou  ", "", ""],  # same text as b2 (normalised)
    ["e5", "o6", "2", "", "Veio quebrado.", "", ""],
]


def _olist_dir(tmp_path: Path) -> Path:
    with (tmp_path / "olist_order_reviews_dataset.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, quoting=csv.QUOTE_MINIMAL).writerows([HEADER, *ROWS])
    return tmp_path


def test_pool_dedups_and_excludes_by_id_and_text(tmp_path: Path) -> None:
    pool = load_review_pool(_olist_dir(tmp_path), exclude_review_ids={"b2"})
    assert [r.review_id for r in pool] == ["a1", "e5"]
    assert pool[1].score == 2 and pool[1].title is None
    assert [r.review_id for r in load_review_pool(tmp_path, exclude_review_ids=set())] == [
        "a1",
        "b2",
        "d4",
        "e5",
    ]
    assert (
        load_review_pool(tmp_path, exclude_review_ids=(), exclude_texts=["Veio quebrado"])[-1].review_id
        == "d4"
    )


POOL = [ReviewRecord(f"r{i:02d}", None, t, s) for i, (t, s) in enumerate(
    [("Ótimo, recomendo!", 5), ("Atrasou 10 dias.", 2), ("Veio com defeito.", 1), ("Bom, mas demorou.", 4),
     ("Recebi.", 3), ("Cor errada.", 2), ("Amei!", 5), ("Não recomendo.", 1), ("Tudo certo.", 5), ("Ok.", 4)]
)]  # fmt: skip


def test_build_is_deterministic_and_uses_each_review_once() -> None:
    a = build_review_examples(POOL, n_extraction=6, n_sentiment=4, seed=3, synthetic_share=0.5)
    assert a == build_review_examples(
        list(reversed(POOL)), n_extraction=6, n_sentiment=4, seed=3, synthetic_share=0.5
    )
    assert a != build_review_examples(POOL, n_extraction=6, n_sentiment=4, seed=4, synthetic_share=0.5)
    real = [e.source["review_id"] for e in a if e.label_source != "synthetic"]
    assert len(real) == 5 and len(set(real)) == 5
    assert sum(e.label_source == "synthetic" for e in a if e.task == "extraction") == 3
    assert sum(e.label_source == "synthetic" for e in a if e.task == "sentiment") == 2
    assert len({e.id for e in a}) == 10


def test_examples_look_like_benchmark_items() -> None:
    examples = build_review_examples(POOL, n_extraction=5, n_sentiment=5, seed=0)
    for ex in examples:
        assert [m["role"] for m in ex.prompt] == ["system", "user"]
        assert ex.prompt[0]["content"] == SYSTEM_PROMPTS[ex.task]
        assert check_output(ex.task, ex.ground_truth).ok and set(ex.ground_truth) == set(
            check_output(ex.task, ex.ground_truth).values
        )
        assert "{review}" not in ex.user_text() and "<avaliacao>" in ex.user_text()
        if ex.task == "extraction":
            assert ex.difficulty in ("easy", "hard") and len(ex.ground_truth) == 10
        else:
            assert ex.difficulty == ex.ground_truth["sentiment"] and len(ex.ground_truth) == 2
        if ex.label_source == "silver":
            assert ex.source["dataset"] == "olist" and len(ex.source["text_sha256"]) == 16


def test_labeller_none_falls_back_to_silver() -> None:
    def broken(text: str, score: int | None = None, *, recommend_hint: bool | None = None) -> None:
        return None

    broken.label_source = "llm"  # type: ignore[attr-defined]
    examples = build_review_examples(
        POOL, n_extraction=2, n_sentiment=0, seed=0, labeller=broken, synthetic_share=0
    )
    assert all(e.label_source == "silver" and e.source["label_fallback"] == "silver" for e in examples)


def test_too_small_pool_is_an_error() -> None:
    from tucano_commerce.errors import DataError

    with pytest.raises(DataError, match="10 distinct reviews"):
        build_review_examples(POOL, n_extraction=10, n_sentiment=10, seed=0, synthetic_share=0.0)


@pytest.fixture(scope="module")
def olist_dir() -> Path:
    raw = os.environ.get("TUCANO_OLIST_DIR")
    if not raw or not Path(raw).is_dir():
        pytest.skip("TUCANO_OLIST_DIR is not set to the Olist data directory")
    return Path(raw)


def test_real_pool_excludes_the_benchmark(olist_dir: Path) -> None:
    items = read_items()
    bench_ids = {i.source["review_id"] for i in items if "review_id" in i.source}
    pool = load_review_pool(olist_dir, exclude_review_ids=bench_ids)
    assert len(pool) > 2000 and not bench_ids & {r.review_id for r in pool}
    assert len({r.review_id for r in pool}) == len(pool) and all(r.message for r in pool)
    filled = [i for i in fill_reviews([i for i in items if "review_id" in i.source], olist_dir)]
    bench_texts = {i.prompt for i in filled}
    examples = build_review_examples(pool, n_extraction=40, n_sentiment=20, seed=0)
    for ex in examples:
        assert ex.user_text() not in bench_texts
        assert check_output(ex.task, ex.ground_truth).ok
