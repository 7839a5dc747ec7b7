"""Warehouse build time and execution-accuracy scoring time.

    .venv/bin/python benchmarks/sql_scoring.py [--full-runs 1] [--reps 20]

Prints: build time at the default scale (target < 15 s) and at full Olist scale (target < 90 s), and
the median ``score_sql`` time per query for the benchmark's 15 gold queries scored against
themselves and against typical wrong predictions (target < 10 ms on the default warehouse), with the
gold result cached as it is during a benchmark run or GRPO training.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmark"))

from sql_items import SQL_ITEMS  # noqa: E402

from tucano_commerce.scoring.sql import score_sql  # noqa: E402
from tucano_commerce.sql import SqlTimeout, run_query  # noqa: E402
from tucano_commerce.warehouse import build_warehouse  # noqa: E402

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


if __name__ == "__main__":
    main()
