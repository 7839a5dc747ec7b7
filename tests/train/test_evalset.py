"""The eval subset (``data.eval_examples``): fixed, task-stratified, in file order.

.venv/bin/python -m pytest tests/train/test_evalset.py
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tucano_commerce.train._evalset import eval_subset, stratified_indices

TASKS = ["sql"] * 15 + ["extraction"] * 12 + ["churn"] * 8 + ["insights"] * 5 + ["general"] * 10


def test_subset_keeps_each_tasks_share_and_file_order():
    idx = stratified_indices(TASKS, 32)
    assert len(idx) == 32 and idx == sorted(idx)
    assert Counter(TASKS[i] for i in idx) == {
        "sql": 10,
        "extraction": 8,
        "general": 6,
        "churn": 5,
        "insights": 3,
    }
    # within a task, the first rows of the file
    assert [i for i in idx if TASKS[i] == "sql"] == list(range(10))


@pytest.mark.parametrize("n", [1, 3, 5, 7, 20, 49])
def test_every_task_is_represented_while_there_is_room(n):
    got = Counter(TASKS[i] for i in stratified_indices(TASKS, n))
    assert sum(got.values()) == n
    assert len(got) == min(n, 5)
    for task, count in got.items():  # never more than one above its proportional share
        assert count <= max(1, n * TASKS.count(task) / len(TASKS) + 1)


def test_n_at_or_above_the_file_keeps_everything():
    assert stratified_indices(TASKS, 50) == list(range(50))
    assert stratified_indices(TASKS, 80) == list(range(50))


def test_eval_subset_selects_rows_of_a_real_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(json.dumps({"id": f"x{i}", "task": t}) + "\n" for i, t in enumerate(TASKS)))
    ds = datasets.load_dataset("json", data_files={"eval": str(path)})["eval"]
    sub = eval_subset(ds, 10)
    assert len(sub) == 10 and set(sub["task"]) == {"sql", "extraction", "churn", "insights", "general"}
    assert eval_subset(ds, None) is ds and eval_subset(ds, 50) is ds
    assert eval_subset(ds, 10)["id"] == sub["id"]  # the same prompts at every eval
