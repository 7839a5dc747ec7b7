"""Import the real Kaggle Olist CSVs into warehouse tables.

DuckDB's CSV reader does the parsing (BOM, CRLF, quoted multi-line messages, inconsistent quoting
of ids); we give it explicit column types so zip prefixes keep their leading zeros, and turn its
errors into one line naming the file, the line and the column. Headers are checked against the
Kaggle column names before anything is read. Files are fingerprinted with their git-blob hash and
compared with the hashes of the pristine Kaggle files listed in docs/sources.md#kaggle-file-hashes.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tucano_commerce.errors import DataError
from tucano_commerce.warehouse._query import one_row
from tucano_commerce.warehouse._schema import TABLES, TABLES_BY_NAME, Table

# Git-blob SHA-1 of the complete original Kaggle files (docs/sources.md#kaggle-file-hashes).
KAGGLE_BLOBS: dict[str, str] = {
    "orders": "8133513ba3bcf576837c47aedd7fd81c5bb110fc",
    "order_items": "dbdec13793b96ea5c00441f70d129d471c29bfda",
    "geolocation": "6d0de13e907ff7a8235ae6b35d7d15c6feaadeca",
    "products": "e5bd67eb7de63126b6b92aded29221303b124ed0",
    "product_category_name_translation": "efcaf018a602fd16c9b9e8624e302c5d09d24694",
    "sellers": "2569f1ebddc19018c38dd0ecf6386985ac96bc44",
    "order_payments": "b6c294a50fc1470abf2b8b09a33698c46eb6190d",
    "customers": "1e7c3f923dede48035a8637dd28c357e154e5e75",
    "order_reviews": "5ee699e750acac0a6992b5a5fd95c9ed327d9870",
}

# DATE columns hold midnight timestamps in the CSVs ("2018-01-18 00:00:00"): read as TIMESTAMP, cast.
_READ_TYPE = {"DATE": "TIMESTAMP"}


@dataclass(frozen=True)
class CsvSource:
    """A CSV chosen for a table, with its fingerprint."""

    table: str
    path: Path
    git_blob: str
    pristine: bool | None  # True: matches the Kaggle original; False: differs; None: no reference

    def describe(self) -> str:
        """One line for the build report."""
        state = {True: "pristine Kaggle file", False: "differs from the Kaggle original", None: "unverified"}
        return f"{self.path.name} ({state[self.pristine]}, git-blob {self.git_blob[:12]})"


def git_blob_sha1(path: Path) -> str:
    """``git hash-object`` of a file, without git."""
    h = hashlib.sha1()
    h.update(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_csvs(olist_dir: Path | None, overrides: dict[str, Path] | None = None) -> dict[str, CsvSource]:
    """The CSV per table: ``overrides`` first, then Kaggle file names found directly in ``olist_dir``."""
    chosen: dict[str, Path] = {}
    if olist_dir is not None:
        for t in TABLES:
            if (olist_dir / t.csv_name).is_file():
                chosen[t.name] = olist_dir / t.csv_name
    for table, path in (overrides or {}).items():
        if table not in TABLES_BY_NAME:
            raise DataError(f"unknown table '{table}' for a CSV override; valid: {', '.join(TABLES_BY_NAME)}")
        if not Path(path).is_file():
            raise DataError(f"CSV for table '{table}' not found: {path}")
        chosen[table] = Path(path)
    sources = {}
    for table, path in chosen.items():
        blob = git_blob_sha1(path)
        sources[table] = CsvSource(
            table, path, blob, blob == KAGGLE_BLOBS[table] if table in KAGGLE_BLOBS else None
        )
    return sources


def check_header(table: Table, path: Path) -> None:
    """Refuse a file whose header is not the Kaggle header of ``table`` (names and order)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    expected = table.column_names
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = f"missing {missing}" if missing else ""
        detail += (", " if detail and extra else "") + (f"unexpected {extra}" if extra else "")
        detail = detail or f"columns out of order: {header}"
        raise DataError(f"{path}: line 1: header does not match table '{table.name}': {detail}")


def condense_csv_error(path: Path, err: duckdb.Error) -> str:
    """DuckDB's multi-line CSV error as 'file: line N: column "c": problem'."""
    text = str(err)
    line = re.search(r"Line: (\d+)", text)
    col = re.search(r'column "([^"]+)"', text)
    problem = next(
        (ln for ln in text.splitlines() if "Could not convert" in ln or "Expected" in ln),
        text.splitlines()[0],
    )
    where = f"line {line.group(1)}: " if line else ""
    where += f'column "{col.group(1)}": ' if col else ""
    return f"{path}: {where}{problem.strip()}"


def read_csv_sql(table: Table, path: Path) -> str:
    """A SELECT that reads ``path`` with the table's column types (DATE via TIMESTAMP)."""
    spec = ", ".join(f"'{c}': '{_READ_TYPE.get(t, t)}'" for c, t in table.columns)
    select = ", ".join(f"CAST({c} AS {t}) AS {c}" if t in _READ_TYPE else c for c, t in table.columns)
    quoted = str(path).replace("'", "''")
    return (
        f"SELECT {select} FROM read_csv('{quoted}', header=true, quote='\"', escape='\"', columns={{{spec}}})"
    )


def load_csv(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> int:
    """Insert the CSV into the (already created) table; returns the row count."""
    check_header(table, path)
    try:
        con.execute(f"INSERT INTO {table.name} {read_csv_sql(table, path)}")
    except duckdb.ConstraintException as err:
        raise DataError(f"{path}: duplicate key in table '{table.name}': {str(err).splitlines()[0]}") from err
    except duckdb.Error as err:
        raise DataError(condense_csv_error(path, err)) from err
    # Review messages use CRLF inside quoted fields; normalise to \n so texts compare cleanly.
    if table.name == "order_reviews":
        con.execute(
            "UPDATE order_reviews SET review_comment_message = replace(review_comment_message, chr(13) || chr(10), chr(10)),"
            " review_comment_title = replace(review_comment_title, chr(13) || chr(10), chr(10))"
        )
    return one_row(con, f"SELECT count(*) FROM {table.name}")[0]
