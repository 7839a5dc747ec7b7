"""Harness overhead per item: parse + score, excluding generation and the LLM judge.

    TUCANO_OLIST_DIR=... .venv/bin/python benchmarks/harness_overhead.py [--reps 5]

For every benchmark item, scores three replies — the reference answer, a messy but parseable one
(prose + fence + pt-BR literals) and a malformed one — and prints the median time per item overall
and per task (targets: median under 5 ms; SQL items under 15 ms). First calls (embedding model load,
gold-query cache) are warmed up before timing, as they are once per run.

Then parses four adversarial replies (tens of thousands of unclosed tags, braces or prose lines) as a
sentiment and as a SQL reply: a linear parser takes milliseconds; a quadratic one took 16 s on them
(target: under 1 s per reply).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from tucano_commerce.scoring import score_item, text_similarity
from tucano_commerce.tasks import benchmark_warehouse, load_items, parse_response

ADVERSARIAL = {
    "20k unclosed <think>": "<think> " * 20000,
    "5k braces": "{x} " * 5000,
    "3k prose lines after SQL": "SELECT a\n" + "isso é prosa.\n" * 3000,
    "20k open parentheses": "with a (" * 20000,
}


def replies(item) -> list[str]:
    gt = item.ground_truth
    if item.task == "sql":
        return [
            gt["sql"],
            f"Claro! Aqui está:\n```sql\n{gt['sql']}\n```\nEspero ter ajudado.",
            "SELEC nada FROM",
        ]
    if item.task == "insights":
        facts = "; ".join(
            f["text"] + " " + " ".join(str(n).replace(".", ",") for n in f["numbers"])
            for f in gt["key_facts"]
        )
        return [facts, "<think>pensando</think>" + facts, ""]
    if item.task == "churn":
        ref = {
            "churn_probability": gt["churn_probability"],
            "risk_level": gt["risk_level"],
            "justificativa": "ok",
        }
    else:
        ref = dict(gt)
    messy = (
        "Segue a análise:\n```json\n"
        + json.dumps(ref, ensure_ascii=False).replace("true", "'sim'")
        + ",\n```"
    )
    return [json.dumps(ref, ensure_ascii=False), messy, "não sei responder"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    items = load_items()
    db = benchmark_warehouse()
    text_similarity("aquecimento", "do modelo")  # load the embedding model once, as a run does
    for item in items:  # warm caches (gold results, embeddings of gold complaints)
        for reply in replies(item):
            score_item(item, reply, db_path=db)
    per_item: dict[str, list[float]] = {}
    for item in items:
        times = []
        for reply in replies(item):
            for _ in range(args.reps):
                start = time.perf_counter()
                score_item(item, reply, db_path=db)
                times.append(time.perf_counter() - start)
        per_item.setdefault(item.task, []).append(statistics.median(times) * 1000)
    # In a real run the model's main_complaint text is new, so its embedding is computed once per item.
    fresh = []
    for n, item in enumerate(i for i in items if i.task == "extraction"):
        reply = dict(
            item.ground_truth,
            main_complaint=f"reclamação nova número {n}: {item.ground_truth['main_complaint']}",
        )
        start = time.perf_counter()
        score_item(item, json.dumps(reply, ensure_ascii=False), db_path=db)
        fresh.append((time.perf_counter() - start) * 1000)
    every = [t for ts in per_item.values() for t in ts]
    print(f"harness overhead over {len(every)} items x 3 replies x {args.reps} reps (median per item):")
    print(
        f"  all items   median {statistics.median(every):6.2f} ms  (target 5 ms, ratio {statistics.median(every) / 5:.3f})"
    )
    for task, ts in per_item.items():
        target = 15 if task == "sql" else 5
        print(f"  {task:<11} median {statistics.median(ts):6.2f} ms  max {max(ts):6.2f} ms  "
              f"(target {target} ms, ratio {statistics.median(ts) / target:.3f})")  # fmt: skip
    print(f"  extraction with an unseen main_complaint (embedding computed): median {statistics.median(fresh):.2f} ms"
          f"  (ratio {statistics.median(fresh) / 5:.3f})")  # fmt: skip

    print("adversarial replies, parse only (target 1 s per reply):")
    for label, text in ADVERSARIAL.items():
        for task in ("sentiment", "sql"):
            start = time.perf_counter()
            parse_response(task, text)
            took = time.perf_counter() - start
            print(f"  {label:<26} as {task:<9} {took * 1000:8.1f} ms  (ratio {took:.4f})")


if __name__ == "__main__":
    main()
