"""The one reader of Olist's reviews CSV: file order, one row per line; how the benchmark and the training
pool each keep one row per review id."""

from __future__ import annotations

from pathlib import Path

import pytest

from tucano_commerce.data import load_review_pool
from tucano_commerce.errors import DataError
from tucano_commerce.tasks._olist_reviews import read_review_rows, read_reviews

HEADER = "review_id,order_id,review_score,review_comment_title,review_comment_message\n"
ROWS = [
    'r2,o1,5,,"Chegou antes do prazo"',
    'r1,o2,x,"Ótimo","Recomendo\r\nmuito"',
    'r2,o3,4,"Bom","Atrasou um pouco"',  # the same review id on another order, with other text
    "r3,o4,1,,",
]


@pytest.fixture
def olist(tmp_path: Path) -> Path:
    (tmp_path / "olist_order_reviews_dataset.csv").write_bytes((HEADER + "\n".join(ROWS) + "\n").encode())
    return tmp_path


def test_rows_in_file_order_with_scores_and_line_ends_cleaned(olist: Path) -> None:
    rows = read_review_rows(olist)
    assert [r.review_id for r in rows] == ["r2", "r1", "r2", "r3"]
    assert rows[1].message == "Recomendo\nmuito" and rows[1].score is None  # "x" is not a score
    assert [r.review_id for r in read_review_rows(olist, {"r2"})] == ["r2", "r2"]


def test_the_benchmark_takes_each_ids_first_title_and_message(olist: Path) -> None:
    assert read_reviews(olist, {"r2", "r3"}) == {"r2": ("Bom", "Chegou antes do prazo"), "r3": (None, None)}


def test_the_training_pool_takes_the_smallest_and_drops_empty_reviews(olist: Path) -> None:
    pool = load_review_pool(olist, exclude_review_ids=[])
    assert [(r.review_id, r.title, r.message, r.score) for r in pool] == [
        ("r1", "Ótimo", "Recomendo\nmuito", None),
        ("r2", "Bom", "Atrasou um pouco", 4),
    ]


def test_a_folder_without_the_csv_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="olist_order_reviews_dataset.csv"):
        read_review_rows(tmp_path)
