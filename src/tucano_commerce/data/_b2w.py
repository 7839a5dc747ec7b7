"""Reading B2W-Reviews01 (Americanas/B2W product reviews, pt-BR) into :class:`ReviewRecord`.

The corpus ships as CSV with the columns in ``B2W_COLUMNS``; copies in the wild use ``;`` or ``,`` as
the delimiter, may start with a UTF-8 BOM and hold quoted multi-line texts. ``read_b2w``:

* sniffs the delimiter on the header line (``csv.Sniffer``, falling back to counting ``;`` vs ``,``);
* keeps rows with a non-empty ``review_text``; ``overall_rating`` (1-5) becomes ``score``;
* maps ``recommend_to_a_friend`` (Yes/No, also Sim/Não; empty = unknown) onto ``extra["recommend_hint"]``,
  which the silver labeller uses for ``would_recommend`` when the text has no cue;
* gives each review a stable id, ``b2w-`` + 16 hex of SHA-256 over date, reviewer, product and text,
  since the corpus has none; reviewer demographics (birth year, gender, state) are not kept.

Errors are :class:`DataError` naming the file, the CSV line and the field.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from tucano_commerce.data._reviews import ReviewRecord
from tucano_commerce.errors import DataError

B2W_COLUMNS = (
    "submission_date", "reviewer_id", "product_id", "product_name", "product_brand", "site_category_lv1",
    "site_category_lv2", "overall_rating", "recommend_to_a_friend", "review_title", "review_text",
    "reviewer_birth_year", "reviewer_gender", "reviewer_state",
)  # fmt: skip
REQUIRED_COLUMNS = ("submission_date", "reviewer_id", "product_id", "overall_rating", "recommend_to_a_friend",
                    "review_title", "review_text")  # fmt: skip
KEPT_EXTRA = ("submission_date", "product_id", "product_name", "product_brand", "site_category_lv1",
              "site_category_lv2")  # fmt: skip
T = TypeVar("T")
_YES = frozenset({"yes", "sim", "s", "y", "true", "1"})
_NO = frozenset({"no", "nao", "não", "n", "false", "0"})


def sniff_delimiter(header: str) -> str:
    """``;`` or ``,`` for a header line: ``csv.Sniffer`` first, else whichever occurs more often."""
    try:
        return csv.Sniffer().sniff(header, delimiters=";,").delimiter
    except csv.Error:
        return ";" if header.count(";") >= header.count(",") else ","


def _recommend(value: str) -> bool | None:
    folded = value.strip().lower()
    if not folded:
        return None
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise ValueError(f"expected Yes/No, got {value!r}")


def _rating(value: str) -> int:
    try:
        rating = int(float(value.strip().replace(",", ".")))
    except ValueError:
        raise ValueError(f"expected an integer 1-5, got {value!r}") from None
    if not 1 <= rating <= 5 or float(value.strip().replace(",", ".")) != rating:
        raise ValueError(f"expected an integer 1-5, got {value!r}")
    return rating


def _parse_field(
    parse: Callable[[str], T], row: Sequence[str], col: Mapping[str, int], field: str, where: str
) -> T:
    """``parse`` of one cell; its ``ValueError`` becomes a :class:`DataError` naming ``where`` and the field."""
    try:
        return parse(row[col[field]])
    except ValueError as err:
        raise DataError(f"{where}: field '{field}': {err}") from None


def read_b2w(path: str | Path) -> list[ReviewRecord]:
    """The B2W reviews with a text, in file order.

    Args:
        path: A B2W-Reviews01 CSV (``;`` or ``,`` delimited, BOM or not).

    Returns:
        One :class:`ReviewRecord` per row with a non-empty ``review_text`` (``dataset="b2w"``).

    Raises:
        DataError: unreadable file, missing columns, a row with the wrong number of fields, or a bad
            ``overall_rating`` / ``recommend_to_a_friend`` value; the message names file, line and field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read the B2W reviews as UTF-8 text: {err}") from err
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise DataError(f"{path}: line 1: empty header; expected the B2W columns {', '.join(B2W_COLUMNS)}")
    reader = csv.reader(text.splitlines(keepends=True), delimiter=sniff_delimiter(header_line))
    header = [h.strip() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; found {', '.join(header)}. "
            "Is this the B2W-Reviews01 CSV?"
        )
    col = {name: i for i, name in enumerate(header)}
    records: list[ReviewRecord] = []
    line = reader.line_num + 1  # first physical line of the next record
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}: line {start}: expected {len(header)} fields, found {len(row)}")
        message = row[col["review_text"]].replace("\r\n", "\n").strip()
        if not message:
            continue
        where = f"{path}: line {start}"
        score = _parse_field(_rating, row, col, "overall_rating", where)
        recommend = _parse_field(_recommend, row, col, "recommend_to_a_friend", where)
        title = row[col["review_title"]].strip() or None
        key = "|".join(row[col[c]].strip() for c in ("submission_date", "reviewer_id", "product_id"))
        digest = hashlib.sha256(f"{key}|{message}".encode()).hexdigest()[:16]
        extra: dict[str, object] = {c: row[col[c]].strip() for c in KEPT_EXTRA if c in col}
        extra["recommend_hint"] = recommend
        records.append(
            ReviewRecord(
                review_id=f"b2w-{digest}",
                title=title,
                message=message,
                score=score,
                dataset="b2w",
                extra=extra,
            )
        )
    return records
