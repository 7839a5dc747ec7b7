"""Warehouse build time and execution-accuracy scoring time.

    .venv/bin/python benchmarks/sql_scoring.py [--full-runs 1] [--reps 20]

Prints: build time at the default scale (target < 15 s) and at full Olist scale (target < 90 s), and
the median ``score_sql`` time per query for the benchmark's 15 gold queries scored against
themselves and against typical wrong predictions (target < 10 ms on the default warehouse), with the
gold result cached as it is during a benchmark run or GRPO training.

Then the cost of test-suite scoring (``ex_suite``, issue 11): for each benchmark item, the median time of
``score_sql`` with the benchmark's SQL suite over the median time on the benchmark warehouse alone, for a
correct prediction (the worst case: it runs on all four warehouses) and for a wrong one (it stops at the
first); target: at most 5x per item. The suite is built in a temporary ``$TUCANO_HOME`` (build time printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmark"))

from sql_items import SQL_ITEMS  # noqa: E402

from tucano_commerce.scoring import score_sql  # noqa: E402
from tucano_commerce.sql import SqlTimeout, compare_results, run_query  # noqa: E402
from tucano_commerce.warehouse import build_warehouse  # noqa: E402

SUITE_TARGET = 5.0

SLOW = {  # queries that never finish on their own: how long past the limit does the interrupt land?
    "cross_join": "SELECT SUM(a.range * b.range) FROM range(100000) a, range(100000) b",
    "endless_recursive_cte": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
}
WRONG = {  # typical model mistakes, to time the non-matching paths too
    "wrong_filter": lambda gold: gold.replace("'delivered'", "'shipped'"),
    "missing_limit": lambda gold: gold.rsplit(" LIMIT", 1)[0],
    "runtime_error": lambda gold: gold.replace("FROM", "FROM no_such_table,", 1),
}


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full-runs", type=int, default=1, help="full-scale builds to time (0 to skip)")
    parser.add_argument("--reps", type=int, default=20, help="repetitions of each scoring call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "default.duckdb"
        default_s = [timed(build_warehouse, Path(tmp) / f"d{i}.duckdb", seed=i) for i in range(3)]
        build_warehouse(db, seed=1234)
        full_s = [
            timed(build_warehouse, Path(tmp) / f"f{i}.duckdb", seed=i, scale=1.0)
            for i in range(args.full_runs)
        ]
        print(f"build, default scale (0.1, ~10k orders): median {statistics.median(default_s):.2f} s "
              f"(target 15 s, ratio {statistics.median(default_s) / 15:.3f})")  # fmt: skip
        if full_s:
            print(f"build, full scale (1.0, ~99k orders):    median {statistics.median(full_s):.2f} s "
                  f"(target 90 s, ratio {statistics.median(full_s) / 90:.3f})")  # fmt: skip

        for _, _, gold, _ in SQL_ITEMS:  # warm the gold cache, as a benchmark run does after item 1
            score_sql(gold, gold, db)
        rows = []
        for label, make_pred in [("correct", lambda g: g)] + list(WRONG.items()):
            per_query = []
            for _, _, gold, _ in SQL_ITEMS:
                pred = make_pred(gold)
                per_query.append(
                    statistics.median(timed(score_sql, pred, gold, db) for _ in range(args.reps))
                )
            rows.append((label, statistics.median(per_query) * 1000, max(per_query) * 1000))
        print(
            f"\nscore_sql on the default warehouse, {len(SQL_ITEMS)} benchmark gold queries, {args.reps} reps each:"
        )
        for label, med_ms, max_ms in rows:
            print(
                f"  {label:<14} median {med_ms:6.2f} ms  slowest query {max_ms:6.2f} ms  (target 10 ms, ratio {med_ms / 10:.3f})"
            )

        suite_cost(Path(tmp), args.reps)
        wide_select_star(args.reps)

        print("\nSqlTimeout overrun past a 1.0 s limit (target 0.5 s), 5 runs each:")
        for label, sql in SLOW.items():
            overruns = []
            for _ in range(5):
                start = time.perf_counter()
                try:
                    run_query(db, sql, timeout_s=1.0)
                except SqlTimeout:
                    overruns.append(time.perf_counter() - start - 1.0)
            med = statistics.median(overruns)
            print(f"  {label:<22} median {med:.3f} s  max {max(overruns):.3f} s  (ratio {med / 0.5:.3f})")


def wide_select_star(reps: int) -> None:
    """SELECT * over a 40-column table against a 2-column gold: the column alignment must not search
    the 40!/38! mappings exhaustively (the comparator switches to the Hungarian assignment)."""
    gold = [(f"s{i % 5}", i) for i in range(300)]
    pred = [tuple(f"c{j}_{i % 7}" for j in range(38)) + (f"s{i % 5}", i) for i in range(300)]
    med = statistics.median(timed(compare_results, gold, pred) for _ in range(reps))
    print(
        f"\ncompare_results, 300 rows, 40 predicted columns vs 2 gold: median {med * 1000:.1f} ms "
        f"(target 500 ms, ratio {med / 0.5:.3f})"
    )


def cpu_timed(fn, *args, **kwargs) -> float:
    start = time.process_time()
    fn(*args, **kwargs)
    return time.process_time() - start


def suite_cost(home: Path, reps: int) -> None:
    """Per item: suite scoring time over single-warehouse scoring time (gold results cached for both).

    CPU time, with the two measurements interleaved, so that other processes on a shared machine do not
    distort the ratio. The wrong prediction adds a column (wrong for every item, and as costly to run).
    """
    os.environ["TUCANO_HOME"] = str(home / "home")
    from tucano_commerce.tasks import cached_sql_suite, cached_warehouse

    db = cached_warehouse(1234, 0.1)
    start = time.perf_counter()
    suite = cached_sql_suite(1234, 0.1)
    print(
        f"\nSQL test suite of the benchmark warehouse: 3 more warehouses built in {time.perf_counter() - start:.2f} s"
    )
    rows = []
    for n, (_, _, gold, _) in enumerate(SQL_ITEMS, 1):
        wrong = f"SELECT *, 1 AS extra FROM ({gold}) t"
        for pred in (gold, wrong):
            score_sql(pred, gold, db, suite=suite)  # warm every gold cache
        times: dict[str, list[float]] = {"single": [], "suite": [], "single_wrong": [], "suite_wrong": []}
        for _ in range(reps):
            times["single"].append(cpu_timed(score_sql, gold, gold, db))
            times["suite"].append(cpu_timed(score_sql, gold, gold, db, suite=suite))
            times["single_wrong"].append(cpu_timed(score_sql, wrong, gold, db))
            times["suite_wrong"].append(cpu_timed(score_sql, wrong, gold, db, suite=suite))
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append((f"sql-{n:03d}", med["single"] * 1000, med["suite"] * 1000, med["suite"] / med["single"],
                     med["suite_wrong"] / med["single_wrong"]))  # fmt: skip
    print(
        f"ex_suite cost per item ({len(suite) + 1} warehouses), CPU time, {reps} reps each; ratio = suite / one:"
    )
    print(f"  {'item':<8} {'one ms':>7} {'suite ms':>9} {'ratio, correct':>15} {'ratio, wrong':>13}")
    for item, single_ms, full_ms, ratio, ratio_wrong in rows:
        print(f"  {item:<8} {single_ms:7.2f} {full_ms:9.2f} {ratio:15.2f} {ratio_wrong:13.2f}")
    worst = max(r[3] for r in rows)
    print(f"  correct predictions: worst item {worst:.2f}x, median {statistics.median(r[3] for r in rows):.2f}x; "
          f"wrong ones: worst {max(r[4] for r in rows):.2f}x (target {SUITE_TARGET:.0f}x, ratio {worst / SUITE_TARGET:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
