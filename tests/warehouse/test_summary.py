"""``summarize`` and ``tucano db info``: a typed look at a real warehouse file, clear errors for other files.

Run: ``PYTHONPATH=src pytest tests/warehouse/test_summary.py``
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tucano_commerce.cli import app
from tucano_commerce.errors import DataError
from tucano_commerce.sql import sandbox_connection
from tucano_commerce.warehouse import TABLES, TRUTH_SCHEMA, WarehouseSummary, summarize
from tucano_commerce.warehouse._perturb import perturb_warehouse


def stored_build_info(path: Path) -> dict[str, object]:
    con = sandbox_connection(path)  # summarize has the file open with this configuration
    try:
        rows = con.execute(f"SELECT key, value FROM {TRUTH_SCHEMA}.build_info").fetchall()
    finally:
        con.close()
    return {k: json.loads(v) for k, v in rows}


def test_summary_reads_counts_range_build_info_and_sample(warehouse: Path) -> None:
    summary = summarize(warehouse)
    assert isinstance(summary, WarehouseSummary)
    assert summary.path == str(warehouse)
    assert list(summary.row_counts) == [t.name for t in TABLES]
    stored = stored_build_info(warehouse)
    assert summary.row_counts == stored["row_counts"]
    assert summary.build_info.seed == 0 and summary.build_info.content_hash == stored["content_hash"]
    assert summary.build_info.sources["orders"] == "synthetic"
    assert summary.perturbation is None
    first, last = summary.purchase_range
    assert first < last and first.startswith("201")
    sample = summary.sample
    assert sample.columns == ["estado", "pedidos_entregues", "nota_media"]
    assert 1 <= len(sample.rows) <= 5 and all(len(row) == 3 for row in sample.rows)
    counts = [row[1] for row in sample.rows]
    assert counts == sorted(counts, reverse=True)


def test_a_perturbed_copy_says_what_was_changed(warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "perturbed.duckdb"
    report = perturb_warehouse(warehouse, copy, salt="summary")
    summary = summarize(copy)
    assert summary.perturbation is not None
    assert summary.perturbation.salt == "summary" and summary.perturbation.changes == report.changes
    assert summary.build_info.content_hash == report.content_hash  # the copy's own hash, not the source's
    assert summary.build_info.path == str(copy)


def test_db_info_prints_the_summary(warehouse: Path) -> None:
    done = CliRunner().invoke(app, ["db", "info", str(warehouse)])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    summary = summarize(warehouse)
    assert "seed 0" in text and f"content hash {summary.build_info.content_hash[:16]}" in text
    assert f"purchases {summary.purchase_range[0]} -> {summary.purchase_range[1]}" in text
    assert "pedidos_entregues" in text


def test_a_file_that_is_not_a_warehouse_is_a_data_error(shop_db: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is not a tucano warehouse"):
        summarize(shop_db)
    with pytest.raises(DataError, match="no warehouse at"):
        summarize(tmp_path / "missing.duckdb")


def test_a_malformed_build_info_names_the_table_and_field(warehouse: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(warehouse, broken)
    con = duckdb.connect(str(broken))
    try:
        con.execute(f"DELETE FROM {TRUTH_SCHEMA}.build_info WHERE key = 'seed'")
    finally:
        con.close()
    with pytest.raises(
        DataError, match=re.escape(f"{broken}: table {TRUTH_SCHEMA}.build_info: field 'seed'")
    ):
        summarize(broken)
