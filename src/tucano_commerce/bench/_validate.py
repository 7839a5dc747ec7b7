"""``tucano bench validate``: every check the benchmark must pass before anyone trusts its numbers.

Checks, in order: the file parses (schema); exact counts per task and difficulty; unique, well-formed
ids; the manifest matches the file; review ids resolve in the Olist data directory and their text is
the one that was labelled; at most 6 authored reviews; ground truths follow their task's contract;
review labels follow the codebook's mechanically checkable rules (``tasks/_codebook.label_problems``;
the ``would_recommend`` rule on the texts at hand: authored ones always, Olist ones with the data);
gold SQL passes ``lint_gold`` on every warehouse of the SQL test suite (the benchmark warehouse, one built
from another seed, perturbed copies of both: deterministic, non-empty, no tie at a LIMIT) and does what
its question states (``check_question``: decimal places, top-N, date ranges, order); churn truth matches
the warehouse's ground truth and lies in the item's band; insight tables recompute to what the prompt
shows and every key fact needs analysis of them (``scoring.fact_problems``: a claim, not a copied
cell); and every reference answer, fed back as a model response, scores 1.0 through ``score_item`` (the
scorer and the labels agree; SQL through the suite; an insight's reference is its facts' sentences).

Per-task facts come from the task registry (``scoring.get_task``): difficulties, id prefix, the ground-truth
check and the reference reply; an item whose task is not registered is a schema error of its line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard

from tucano_commerce.errors import DataError, TucanoError
from tucano_commerce.paths import olist_dir
from tucano_commerce.scoring import fact_problems, find_task, get_task, score_item, task_names
from tucano_commerce.sql import check_question, lint_gold, run_query, sandbox_connection
from tucano_commerce.tasks._benchmark import (
    benchmark_dir,
    benchmark_warehouse,
    fill_reviews,
    load_manifest,
    read_items,
    read_reviews,
    review_text,
    review_text_hash,
)
from tucano_commerce.tasks._codebook import label_problems
from tucano_commerce.tasks._context import format_cell
from tucano_commerce.tasks._contracts import check_output
from tucano_commerce.tasks._items import CHURN_RISK_LEVEL, BenchmarkItem
from tucano_commerce.tasks._suite import benchmark_sql_suite
from tucano_commerce.warehouse import RISK_BANDS

# The ADR's stratification: task -> difficulty -> count (80 in all).
EXPECTED_COUNTS: dict[str, dict[str, int]] = {
    "extraction": {"easy": 10, "hard": 10},
    "sentiment": {"positivo": 5, "negativo": 5, "neutro": 5},
    "sql": {"simple": 5, "join": 5, "aggregate": 5},
    "churn": {"low": 5, "medium": 5, "high": 5},
    "insights": {"comparison": 5, "trend": 5, "recommendation": 5},
}
MAX_AUTHORED_REVIEWS = 6


def _is_review_task(task: str) -> TypeGuard[Literal["extraction", "sentiment"]]:
    """A task whose ground truth is a review label (``BenchmarkItem.task`` is any registered name)."""
    return task in ("extraction", "sentiment")


@dataclass
class Problem:
    """One thing wrong, located by line, item and field."""

    line: int | None
    item_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        who = f" ({self.item_id})" if self.item_id else ""
        return f"{where}{who}: field '{self.field}': {self.message}"


@dataclass
class ValidationReport:
    """All problems found, and which checks ran."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)  # check -> "ok" | "N problems" | "skipped: why"

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems


def validate_benchmark(*, directory: Path | None = None, olist: str | Path | None = None) -> ValidationReport:
    """Run every check on the benchmark in ``directory`` (default: the repo's ``benchmark/``)."""
    directory = directory or benchmark_dir()
    path = directory / "prompts.jsonl"
    report = ValidationReport(path=path)

    def run_check(name: str, fn: Any, *args: Any) -> None:
        before = len(report.problems)
        try:
            fn(*args)
        except TucanoError as err:
            report.problems.append(Problem(None, None, name, str(err)))
        n = len(report.problems) - before
        if n or name not in report.checks:  # a check may have marked itself "skipped: why"
            report.checks[name] = "ok" if n == 0 else f"{n} problem(s)"

    try:
        items = read_items(path)
    except DataError as err:
        report.problems.append(Problem(None, None, "schema", str(err)))
        report.checks["schema"] = "1 problem(s)"
        return report
    lines = {id(item): n for n, item in enumerate(items, 1)}  # by object: ids may be duplicated
    if stray := next((i for i in items if find_task(i.task) is None), None):  # as a schema error: it is one
        message = f"'{stray.task}' is not a registered task ({', '.join(task_names())})"
        report.problems.append(
            Problem(None, None, "schema", f"{path}: line {lines[id(stray)]}: field 'task': {message}")
        )
        report.checks["schema"] = "1 problem(s)"
        return report
    report.checks["schema"] = "ok"
    specs = {item.task: get_task(item.task) for item in items}
    add = report.problems.append

    def problem(item: BenchmarkItem, fld: str, message: str) -> None:
        add(Problem(lines.get(id(item)), item.id, fld, message))

    def check_counts() -> None:
        counts: dict[str, dict[str, int]] = {}
        for item in items:
            counts.setdefault(item.task, {}).setdefault(item.difficulty, 0)
            counts[item.task][item.difficulty] += 1
            if item.difficulty not in (difficulties := specs[item.task].difficulties):
                problem(item, "difficulty", f"'{item.difficulty}' is not one of {difficulties}")
        if counts != EXPECTED_COUNTS:
            add(Problem(None, None, "counts", f"expected {EXPECTED_COUNTS}, got {counts}"))

    def check_ids() -> None:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                problem(item, "id", "duplicate id")
            seen.add(item.id)
            prefix, _, number = item.id.partition("-")
            want = specs[item.task].id_prefix
            if prefix != want or not (len(number) == 3 and number.isdigit()):
                problem(item, "id", f"expected '{want}-NNN' for task {item.task}")

    def check_manifest() -> None:
        manifest = load_manifest(directory)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != manifest.prompts_sha256:
            add(
                Problem(
                    None,
                    None,
                    "manifest.prompts_sha256",
                    "prompts.jsonl changed after authoring; re-run benchmark/author.py",
                )
            )
        if manifest.counts != EXPECTED_COUNTS:
            add(Problem(None, None, "manifest.counts", "does not match the expected stratification"))

    def check_reviews(directory_: Path | None) -> None:
        review_items = [i for i in items if i.task in ("extraction", "sentiment")]
        authored = [i for i in review_items if i.source.get("dataset") == "authored"]
        if len(authored) > MAX_AUTHORED_REVIEWS:
            add(
                Problem(
                    None,
                    None,
                    "source.dataset",
                    f"{len(authored)} authored reviews; at most {MAX_AUTHORED_REVIEWS}",
                )
            )
        for item in review_items:
            ds = item.source.get("dataset")
            if ds == "authored" and not item.source.get("text"):
                problem(item, "source.text", "authored review without text")
            elif ds not in ("olist", "authored"):
                problem(item, "source.dataset", f"'{ds}': review items come from 'olist' or 'authored'")
            if "{review}" not in item.prompt:
                problem(item, "prompt", "review items need the {review} placeholder")
            if ds == "authored" and item.source.get("text"):
                texts[item.id] = item.source["text"]
        if directory_ is None:
            report.checks["reviews"] = "skipped: no Olist data directory (set TUCANO_OLIST_DIR)"
            return
        wanted = {i.source["review_id"]: i for i in review_items if i.source.get("dataset") == "olist"}
        found = read_reviews(directory_, set(wanted))
        for rid, item in wanted.items():
            if rid not in found:
                problem(item, "source.review_id", f"review {rid} not found in {directory_}")
            elif review_text_hash(found[rid][1] or "") != item.source.get("text_sha256"):
                problem(
                    item,
                    "source.text_sha256",
                    "the review text in the data directory differs from the labelled one",
                )
            else:
                texts[item.id] = review_text(*found[rid])
        # Raises with the item id on any gap; the filled items feed the reference-score check.
        filled.update({i.id: i for i in fill_reviews(items, directory_)})

    filled: dict[str, BenchmarkItem] = {}  # review texts loaded by check_reviews
    texts: dict[str, str] = {}  # item id -> the review as the model sees it, also from check_reviews

    def check_ground_truth() -> None:
        for item in items:
            for fld, message in specs[item.task].ground_truth_problems(item):
                problem(item, fld, message)

    def check_review_labels() -> None:
        for item in items:
            if not _is_review_task(item.task):
                continue
            values = check_output(item.task, item.ground_truth).values  # bad values: check_ground_truth
            for fld, message in label_problems(item.task, values, texts.get(item.id)):
                problem(item, f"ground_truth.{fld}", f"codebook: {message}")

    wh: dict[str, Path] = {}
    sql_suite: list[Path] = []

    def ensure_warehouses() -> None:
        manifest = load_manifest(directory)
        bench = benchmark_warehouse(manifest=manifest)
        sql_suite.extend(benchmark_sql_suite(manifest=manifest))
        wh["bench"] = bench

    def check_sql() -> None:
        for item in (i for i in items if i.task == "sql"):
            gold = item.ground_truth["sql"]
            for p in lint_gold(gold, [wh["bench"], *sql_suite]).problems:
                problem(item, "ground_truth.sql", f"lint: {p}")
            question = item.source.get("question")
            if not isinstance(question, str):
                problem(
                    item,
                    "source.question",
                    "missing: the question text is needed to check the gold against it",
                )
                continue
            for p in check_question(question, gold):
                problem(item, "source.question", f"question vs gold: {p}")

    def check_churn() -> None:
        con = sandbox_connection(wh["bench"])
        try:
            for item in (i for i in items if i.task == "churn"):
                row = con.execute(
                    "SELECT churn_probability, risk_level, churned FROM ground_truth.customer_churn WHERE customer_unique_id = ?",
                    [item.source.get("customer_unique_id")],
                ).fetchone()
                gt = item.ground_truth
                if row is None:
                    problem(
                        item,
                        "source.customer_unique_id",
                        "customer not in the benchmark warehouse's ground truth",
                    )
                    continue
                if (
                    abs(row[0] - gt["churn_probability"]) > 1e-9
                    or row[1] != gt["risk_level"]
                    or row[2] != gt["churned"]
                ):
                    problem(item, "ground_truth", f"differs from the warehouse truth {row}")
                band = CHURN_RISK_LEVEL[item.difficulty]
                lo, hi = next((lo, hi) for name, lo, hi in RISK_BANDS if name == band)
                if not lo <= gt["churn_probability"] < hi or gt["risk_level"] != band:
                    problem(item, "ground_truth.churn_probability", f"not in the '{band}' band [{lo}, {hi})")
        finally:
            con.close()

    def check_insights() -> None:
        for item in (i for i in items if i.task == "insights"):
            for table in item.source.get("tables", []):
                result = run_query(wh["bench"], table["sql"], timeout_s=30.0)
                for row in result.rows:
                    if not all(format_cell(v) in item.prompt for v in row):
                        problem(
                            item,
                            "prompt",
                            f"table '{table['title']}' no longer matches the warehouse (row {row})",
                        )
                        break
            for n, fact in enumerate(item.ground_truth.get("key_facts", [])):
                for message in fact_problems(fact, item.prompt):  # needs analysis; its text states it
                    problem(item, f"ground_truth.key_facts[{n}]", message)

    def check_reference_scores() -> None:
        for item in items:
            if "{review}" in item.prompt and item.id not in filled:
                continue  # the review text is not loaded (no Olist data directory)
            reference = specs[item.task].reference_response(item)
            score = score_item(filled.get(item.id, item), reference, db_path=wh["bench"], sql_suite=sql_suite)
            if score.mean is None or score.mean < 1.0 - 1e-6:
                problem(
                    item,
                    "ground_truth",
                    f"the reference answer scores {score.mean} ({score.status}: {score.reason})",
                )

    data_dir = olist_dir(olist)
    run_check("counts", check_counts)
    run_check("ids", check_ids)
    run_check("manifest", check_manifest)
    run_check("reviews", check_reviews, data_dir)
    run_check("ground_truth", check_ground_truth)
    run_check("review_labels", check_review_labels)
    run_check("warehouses", ensure_warehouses)
    if "bench" in wh:
        run_check("sql_lint", check_sql)
        run_check("churn_truth", check_churn)
        run_check("insight_facts", check_insights)
        run_check("reference_scores", check_reference_scores)
    return report
