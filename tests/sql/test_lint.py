"""Gold-query lint on two hand-built warehouses with different data (stand-ins for two seeds).

Run: ``PYTHONPATH=src pytest tests/sql/test_lint.py``
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tucano_commerce.sql import GoldQueryError, lint_gold

# Database A: SP leads clearly (3 > 2 > 1); the oldest customer is unique. 24 customers in total.
DB_A = """
CREATE TABLE customers AS
    SELECT i AS customer_id, 'c' || lpad(i::VARCHAR, 2, '0') AS name, 'XX' AS state, 20 + i AS age
    FROM range(18) r(i);
INSERT INTO customers VALUES
    (100, 'ana', 'SP', 70), (101, 'bia', 'SP', 60), (102, 'caio', 'SP', 20),
    (103, 'duda', 'RJ', 30), (104, 'edu', 'RJ', 31), (105, 'fred', 'MG', 32);
CREATE TABLE extra AS SELECT 1 AS a, 2 AS b;
CREATE TABLE only_in_a AS SELECT 1 AS x;
"""
# Database B: SP and RJ tie for first place; the two oldest customers have the same age.
DB_B = """
CREATE TABLE customers AS
    SELECT i AS customer_id, 'k' || lpad(i::VARCHAR, 2, '0') AS name, 'XX' AS state, 20 + i AS age
    FROM range(17) r(i);
INSERT INTO customers VALUES
    (200, 'gil', 'SP', 65), (201, 'hugo', 'SP', 65), (202, 'iara', 'RJ', 22),
    (203, 'juca', 'RJ', 23), (204, 'lia', 'MG', 24);
CREATE TABLE extra AS SELECT 1 AS a, 2 AS b, 3 AS c;
"""


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("lint")
    paths = []
    for name, script in (("seed_a.duckdb", DB_A), ("seed_b.duckdb", DB_B)):
        con = duckdb.connect(str(folder / name))
        con.execute(script)
        con.close()
        paths.append(folder / name)
    return paths[0], paths[1]


def _problems_mentioning(report_problems: list[str], text: str) -> list[str]:
    return [p for p in report_problems if text in p]


def test_good_gold_passes_on_every_database(dbs: tuple[Path, Path]) -> None:
    gold = "SELECT state, COUNT(*) AS n FROM customers GROUP BY state ORDER BY n DESC, state LIMIT 2"
    report = lint_gold(gold, dbs)
    assert report.ok, report.problems
    assert report.problems == [] and report.warnings == []
    assert report.row_counts == {str(dbs[0]): 2, str(dbs[1]): 2}
    report.raise_for_problems()  # nothing to raise


def test_good_gold_with_unordered_aggregate_passes(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT state, AVG(age) AS idade FROM customers GROUP BY state", dbs)
    assert report.ok, report.problems


def test_multi_statement_gold_is_flagged() -> None:
    report = lint_gold("SELECT 1; SELECT 2", [Path("unused.duckdb")])
    assert not report.ok
    assert report.problems == [
        "not accepted by the sandbox gate: only one SELECT/WITH statement is allowed; got 2 statements"
    ]


def test_write_gold_is_flagged() -> None:
    report = lint_gold("DELETE FROM customers", [Path("unused.duckdb")])
    assert _problems_mentioning(report.problems, "statement type DELETE is not allowed")


def test_empty_result_is_flagged_per_database(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT name FROM customers WHERE age > 200", dbs)
    for db in dbs:
        assert _problems_mentioning(report.problems, f"{db}: returns no rows")


def test_only_nulls_is_flagged(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT MAX(age) AS oldest FROM customers WHERE age > 200", dbs)
    assert len(_problems_mentioning(report.problems, "returns only NULLs")) == 2


def test_nondeterministic_gold_is_flagged(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT random() AS r", dbs, shuffle_check=False)
    assert (
        len(_problems_mentioning(report.problems, "not deterministic: two runs gave different results")) == 2
    )


def test_gold_depending_on_physical_row_order_is_flagged(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT string_agg(name, ',') AS names FROM customers", dbs)
    assert len(_problems_mentioning(report.problems, "stored in another order")) == 2


def test_limit_without_order_by_is_flagged(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT name FROM customers LIMIT 2", dbs)
    assert _problems_mentioning(report.problems, "LIMIT without a top-level ORDER BY")


def test_tie_at_limit_boundary_is_flagged_only_where_it_happens(dbs: tuple[Path, Path]) -> None:
    db_a, db_b = dbs
    report = lint_gold(
        "SELECT state, COUNT(*) AS n FROM customers WHERE state <> 'XX' "
        "GROUP BY state ORDER BY n DESC LIMIT 1",
        dbs,
    )
    ties = _problems_mentioning(report.problems, "tie at the LIMIT 1 boundary")
    assert len(ties) == 1 and ties[0].startswith(f"{db_b}:")
    assert "same sort key [2]" in ties[0]
    assert not _problems_mentioning(report.problems, f"{db_a}:")


def test_tie_on_a_sort_key_that_is_not_an_output_column(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT name FROM customers ORDER BY age DESC LIMIT 1", dbs)
    ties = _problems_mentioning(report.problems, "tie at the LIMIT 1 boundary")
    assert len(ties) == 1 and ties[0].startswith(f"{dbs[1]}:")
    assert "[65]" in ties[0]


def test_column_count_must_agree_across_databases(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT * FROM extra", dbs)
    assert _problems_mentioning(report.problems, "number of result columns differs across databases")


def test_gold_failing_on_one_database_names_it(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT x FROM only_in_a", dbs)
    failures = _problems_mentioning(report.problems, "fails:")
    assert len(failures) == 1 and failures[0].startswith(f"{dbs[1]}: fails: Catalog Error")


def test_gold_sqlglot_cannot_read_is_flagged(dbs: tuple[Path, Path]) -> None:
    report = lint_gold("SELECT name FROM customers ORDER BY name LIMIT 1 % 2", dbs)
    assert _problems_mentioning(report.problems, "sqlglot cannot parse it")


def test_raise_for_problems_lists_them() -> None:
    report = lint_gold("SELECT 1; SELECT 2", [Path("unused.duckdb")])
    with pytest.raises(GoldQueryError, match="gold SQL has 1 problem"):
        report.raise_for_problems()


def test_needs_a_database() -> None:
    assert not lint_gold("SELECT 1", []).ok


def test_rounded_sort_values_tied_at_the_limit_are_flagged(dbs: tuple[Path, Path]) -> None:
    # Ages per state / 10, shown to 0 decimals. A: MG 3.2 and RJ 3.05 both show 3 at ranks 2 and 3;
    # B: MG 2.4 and RJ 2.25 both show 2. The gold ranks by the unrounded value: hidden digits decide.
    by_hidden_digits = (
        "SELECT state, round(avg(age) / 10.0, 0) AS decade FROM customers WHERE state <> 'XX' "
        "GROUP BY state ORDER BY avg(age) / 10.0 DESC, state LIMIT 2"
    )
    report = lint_gold(by_hidden_digits, dbs)
    hidden = _problems_mentioning(report.problems, "digits the question rounds away decide")
    assert len(hidden) == 2 and "rows 2 and 3 both show 3" in hidden[0]
    by_shown_value = by_hidden_digits.replace("ORDER BY avg(age) / 10.0 DESC", "ORDER BY decade DESC")
    assert lint_gold(by_shown_value, dbs).ok  # ranked by what it shows, ties broken by state
