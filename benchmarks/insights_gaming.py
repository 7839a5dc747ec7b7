"""How much judge-free insights scoring pays for restating the table instead of analysing it (issue 11 §6).

    PYTHONPATH=src .venv/bin/python benchmarks/insights_gaming.py

For every insights item of the benchmark, scores through ``score_item`` (key-fact coverage, no judge):
the table-restating replies of ``tests/scoring/insights_replies.py`` (8 phrasings x 3 recommendation
variants: none, a short generic one, one full of claim words), the reference answer (the facts' sentences)
and a hand-written paraphrase of it. Prints per item the max and mean over the restating replies, then
the means over the 15 items. The test suite asserts restating <= 0.2 and reference/paraphrase >= 0.9.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scoring"))

from insights_replies import PARAPHRASES, restating_replies  # noqa: E402

from tucano_commerce.scoring import score_item  # noqa: E402
from tucano_commerce.tasks import read_items  # noqa: E402


def reference(item) -> str:  # noqa: ANN001
    return "\n".join(f["text"] for f in item.ground_truth["key_facts"])


def main() -> None:
    items = [i for i in read_items() if i.task == "insights"]
    print(f"{'item':8} {'restating max':>13} {'restating mean':>14} {'reference':>9} {'paraphrase':>10}")
    rows = []
    for item in items:
        scores = [score_item(item, text).mean or 0.0 for text in restating_replies(item.prompt).values()]
        ref, para = score_item(item, reference(item)).mean, score_item(item, PARAPHRASES[item.id]).mean
        rows.append((max(scores), statistics.mean(scores), ref, para))
        print(f"{item.id:8} {max(scores):13.3f} {statistics.mean(scores):14.3f} {ref:9.3f} {para:10.3f}")
    means = [statistics.mean(col) for col in zip(*rows, strict=True)]
    print(f"{'mean':8} {means[0]:13.3f} {means[1]:14.3f} {means[2]:9.3f} {means[3]:10.3f}")
    print(f"items where some restating reply scores 1.0: {sum(r[0] >= 0.999 for r in rows)} of {len(rows)}")


if __name__ == "__main__":
    main()
