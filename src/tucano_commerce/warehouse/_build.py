"""Build the warehouse file: synthetic tables, imported Kaggle tables, ground truth, build info.

The file is written under a temporary name and renamed into place at the end, so a failed build
never leaves a half-written warehouse where a good one was.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
from pydantic import BaseModel, Field

from tucano_commerce import __version__
from tucano_commerce.warehouse._churn import churn_truth
from tucano_commerce.warehouse._olist_import import CsvSource, find_csvs, load_csv
from tucano_commerce.warehouse._query import one_row, write_build_info
from tucano_commerce.warehouse._schema import CHURN_TRUTH, TABLES, TABLES_BY_NAME, TRUTH_SCHEMA, Table
from tucano_commerce.warehouse._synth import GENERATOR_VERSION, generate

DEFAULT_SCALE = 0.1


class BuildReport(BaseModel):
    """What a build produced and where every table came from."""

    path: str
    seed: int
    scale: float
    generator_version: int = GENERATOR_VERSION
    package_version: str = __version__
    sources: dict[str, str] = Field(
        description="table -> 'synthetic' or the imported CSV with its fingerprint"
    )
    row_counts: dict[str, int]
    fk_coverage: dict[str, float] = Field(
        description="'child.col -> parent.col' -> share of child rows with a parent"
    )
    content_hash: str = Field(
        description="SHA-256 over every table's ordered contents (model-visible + truth)"
    )
    warnings: list[str] = Field(default_factory=list)
    elapsed_s: float


def _insert_columns(
    con: duckdb.DuckDBPyConnection, table: Table, cols: dict[str, np.ndarray], qualified: str
) -> None:
    """Insert generator columns into ``qualified`` with the schema's types (casts do the typing)."""
    # DuckDB reads a dict of numpy arrays as a table; datetime64 only at second resolution or finer.
    frame = {
        c: cols[c].astype("datetime64[s]") if cols[c].dtype.kind == "M" else cols[c]
        for c in table.column_names
    }
    con.register("frame", frame)
    select = ", ".join(f"CAST(frame.{c} AS {t})" for c, t in table.columns)
    con.execute(f"INSERT INTO {qualified} SELECT {select} FROM frame")
    con.unregister("frame")


def _fetch_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, np.ndarray]:
    """A table as plain numpy columns (NULL -> NaN/None), for the generator to reference."""
    out = {}
    for name, arr in con.execute(f"SELECT * FROM {table}").fetchnumpy().items():
        if isinstance(arr, np.ma.MaskedArray):
            if arr.dtype.kind in "iuf":
                # np.ma.filled, not .filled(): numpy's stubs type MaskedArray.astype as a plain ndarray.
                arr = np.ma.filled(arr.astype(float), np.nan)
            else:  # by hand: a fill value of None means numpy's default, which is "?" for object arrays
                text = np.ma.getdata(arr).astype(object)
                text[np.ma.getmaskarray(arr)] = None
                arr = text
        out[name] = np.asarray(arr)
    return out


def _fk_coverage(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Share of child rows whose foreign key finds a parent (NULL keys excluded)."""
    out = {}
    for t in TABLES:
        for col, target in t.foreign_keys:
            ptable, pcol = target.split(".")
            total, found = one_row(
                con,
                f"SELECT count(c.{col}), count(p.{pcol}) FROM {t.name} c "
                f"LEFT JOIN (SELECT DISTINCT {pcol} FROM {ptable}) p ON c.{col} = p.{pcol}",
            )
            out[f"{t.name}.{col} -> {target}"] = round(found / total, 6) if total else 1.0
    return out


def _mixed(fk: str, sources: dict[str, CsvSource]) -> bool:
    """Whether the two tables of an FK description 'child.col -> parent.col' differ in origin."""
    child, parent = fk.split(".")[0], fk.split("-> ")[1].split(".")[0]
    return (child in sources) != (parent in sources)


def content_hash(con: duckdb.DuckDBPyConnection) -> str:
    """SHA-256 of every table's rows in a canonical order: equal data <=> equal hash."""
    h = hashlib.sha256()
    for name in [t.name for t in TABLES] + [f"{TRUTH_SCHEMA}.{CHURN_TRUTH.name}"]:
        digest = one_row(con, f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {name} t")
        # bit_xor of row hashes is order-free but blind to duplicate pairs; add an ordered digest too.
        ordered = one_row(
            con, f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM {name} t"
        )
        h.update(f"{name}:{digest[0]}:{digest[1]}:{ordered[0]}\n".encode())
    return h.hexdigest()


def build_warehouse(
    out: str | Path,
    *,
    seed: int = 0,
    scale: float = DEFAULT_SCALE,
    olist_dir: str | Path | None = None,
    csv_overrides: dict[str, Path] | None = None,
) -> BuildReport:
    """Build the Olist-schema DuckDB warehouse at ``out``.

    Args:
        out: the DuckDB file to write (replaced atomically if it exists).
        seed: seed of the synthetic generator and of the churn outcomes.
        scale: size relative to Olist (1.0 is ~99k orders).
        olist_dir: folder with real Kaggle CSVs; each table found there is imported instead of generated.
        csv_overrides: ``{table: csv_path}`` for files not named as in the Kaggle download.

    Returns:
        The build report (also stored in the warehouse as ``ground_truth.build_info``).
    """
    started = time.perf_counter()
    out = Path(out)
    sources: dict[str, CsvSource] = find_csvs(Path(olist_dir) if olist_dir else None, csv_overrides)
    with written_atomically(out) as tmp:
        con = duckdb.connect(str(tmp), config={"threads": 1})  # one thread: same seed, same bytes
        for t in TABLES:
            con.execute(t.ddl(with_primary_key=t.name not in sources))  # real files may repeat keys
        for name, src in sources.items():
            load_csv(con, TABLES_BY_NAME[name], src.path)
        real_dims = {n: _fetch_columns(con, n) for n in ("products", "sellers") if n in sources}
        tables = generate(seed, scale, **real_dims)
        for t in TABLES:
            if t.name not in sources:
                _insert_columns(con, t, tables[t.name], t.name)
        con.execute(f"CREATE SCHEMA {TRUTH_SCHEMA}")
        qualified = f"{TRUTH_SCHEMA}.{CHURN_TRUTH.name}"
        con.execute(
            CHURN_TRUTH.ddl().replace(f"CREATE TABLE {CHURN_TRUTH.name}", f"CREATE TABLE {qualified}", 1)
        )
        _insert_columns(con, CHURN_TRUTH, churn_truth(con, seed), qualified)

        warnings = [f"{s.table}: {s.describe()}" for s in sources.values() if s.pristine is False]
        coverage = _fk_coverage(con)
        warnings += [
            f"only {v:.1%} of {k} rows find a parent"
            + (
                " (an imported table next to a generated one: their keys do not join)"
                if _mixed(k, sources)
                else ""
            )
            for k, v in coverage.items()
            if v < 0.99
        ]
        report = BuildReport(
            path=str(out),
            seed=seed,
            scale=scale,
            sources={
                t.name: (sources[t.name].describe() if t.name in sources else "synthetic") for t in TABLES
            },
            row_counts={t.name: one_row(con, f"SELECT count(*) FROM {t.name}")[0] for t in TABLES},
            fk_coverage=coverage,
            content_hash=content_hash(con),
            warnings=warnings,
            elapsed_s=round(time.perf_counter() - started, 3),
        )
        write_build_info(con, report.model_dump())
        con.close()
    return report


@contextmanager
def written_atomically(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` to write a DuckDB file in, renamed onto ``out`` when the block ends
    without error; the temporary file and its WAL are removed either way."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
