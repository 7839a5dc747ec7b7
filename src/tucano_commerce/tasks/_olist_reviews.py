"""The one reader of Olist's reviews CSV, for the benchmark's review items and the GRPO review pool.

``read_review_rows`` reads the file once with DuckDB's CSV reader (every column as text, so nothing is
guessed), in file order, line ends normalised to ``\\n``; callers keep one row per review id their own way:
the benchmark takes each id's first title and message (``read_reviews``, what its labels were made from),
the training pool the smallest (``data.load_review_pool``, a deterministic choice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tucano_commerce.errors import DataError
from tucano_commerce.paths import OLIST_HELP

REVIEWS_CSV = "olist_order_reviews_dataset.csv"


@dataclass(frozen=True)
class ReviewRow:
    """One line of the reviews CSV."""

    review_id: str
    title: str | None
    message: str | None
    score: int | None  # review_score 1-5; None when missing or not a number


def find_reviews_csv(directory: Path) -> Path:
    """The reviews CSV in an Olist folder (the Kaggle name, or a head sample named after it)."""
    exact = directory / REVIEWS_CSV
    if exact.is_file():
        return exact
    candidates = sorted(directory.glob("olist_order_reviews_dataset*.csv"))
    if not candidates:
        raise DataError(f"{directory} has no {REVIEWS_CSV}, which the review items need. {OLIST_HELP}")
    return candidates[0]


def read_review_rows(directory: Path, review_ids: Iterable[str] | None = None) -> list[ReviewRow]:
    """Every row of the reviews CSV with a review id (only ``review_ids``' when given), in file order.

    Raises:
        DataError: no reviews CSV in ``directory``, or DuckDB cannot read it.
    """
    path = find_reviews_csv(Path(directory))
    sql = (
        "SELECT review_id, review_comment_title, review_comment_message, TRY_CAST(review_score AS INTEGER) "
        "FROM read_csv(?, header=true, all_varchar=true, quote='\"', escape='\"') WHERE review_id IS NOT NULL"
    )
    params: list[object] = [str(path)]
    if review_ids is not None:
        sql += " AND review_id IN (SELECT unnest(?))"
        params.append(sorted(set(review_ids)))
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        rows = con.execute(sql, params).fetchall()
    except duckdb.Error as err:
        raise DataError(f"{path}: cannot read reviews: {str(err).splitlines()[0]}") from err
    finally:
        con.close()

    def clean(text: str | None) -> str | None:
        return text.replace("\r\n", "\n") if text else text

    return [
        ReviewRow(rid, clean(title), clean(message), score if score in (1, 2, 3, 4, 5) else None)
        for rid, title, message, score in rows
    ]


def read_reviews(directory: Path, review_ids: set[str]) -> dict[str, tuple[str | None, str | None]]:
    """``review_id -> (title, message)`` for the given ids: each id's first non-empty title and message."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for row in read_review_rows(directory, review_ids):
        title, message = found.get(row.review_id, (None, None))
        found[row.review_id] = (title or row.title, message or row.message)
    return found
