"""The eval subset (``data.eval_examples``): which eval prompts every evaluation uses.

Each GRPO eval generates ``eval_examples x num_generations_eval`` completions, so the subset size sets eval's
share of the run (``tucano train plan`` reports it). The subset is fixed for the whole run (the same prompts at
every eval, so evals are comparable) and stratified by task: each task keeps its share of the eval file
(each next prompt to the task furthest below its proportional share, after one per task while there
is room), taken in file order.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def stratified_indices(tasks: list[str], n: int) -> list[int]:
    """Indices of ``n`` rows out of ``tasks`` (one task name per row), stratified by task, in file order.

    Args:
        tasks: the task of each eval row, in file order.
        n: rows wanted; ``n >= len(tasks)`` keeps every row.

    Returns:
        Sorted row indices.
    """
    if n >= len(tasks):
        return list(range(len(tasks)))
    counts = Counter(tasks)
    order = sorted(counts, key=lambda t: (-counts[t], t))
    ideal = {t: n * counts[t] / len(tasks) for t in order}
    quota = {t: int(i < n) for i, t in enumerate(order)}  # one per task while there is room, largest first
    for _ in range(n - sum(quota.values())):  # then the task furthest below its proportional share
        task = max((t for t in order if quota[t] < counts[t]), key=lambda t: ideal[t] - quota[t])
        quota[task] += 1
    taken: Counter[str] = Counter()
    out = []
    for i, task in enumerate(tasks):
        if taken[task] < quota[task]:
            taken[task] += 1
            out.append(i)
    return out


def eval_subset(dataset: Any, n: int | None) -> Any:
    """The task-stratified subset of a ``datasets.Dataset`` with a ``task`` column (None = all rows)."""
    if n is None or n >= len(dataset):
        return dataset
    tasks = list(dataset["task"]) if "task" in dataset.column_names else ["all"] * len(dataset)
    return dataset.select(stratified_indices(tasks, n))
