"""Review prompts for GRPO: real reviews (Olist, B2W) plus grammar-made ones, labelled for two tasks.

``load_review_pool`` reads the commented Olist reviews, minus the benchmark's (by id *and* by normalised
text, so a copy of a benchmark review under another id cannot leak into training).
``build_review_examples`` samples extraction and sentiment examples from a pool, deterministically per
seed and without using a review twice; prompts are the benchmark's templates and system prompts, so
training prompts look exactly like benchmark prompts. Unlike benchmark items, training examples carry the
review text inside the prompt: they are written to a local output folder at build time, never committed.

Labels come from a ``labeller`` (the rule-based :func:`silver_label` by default, or an
:class:`LLMLabeller`); when it returns None (an invalid LLM reply) the example falls back to the silver
label and records ``source["label_fallback"] = "silver"``. A ``synthetic_share`` of each task comes from
the review grammar (``label_source="synthetic"``, labels known by construction).

Difficulty: extraction examples are ``hard`` when the rules see mixed cues (praise and criticism, or text
against stars) and ``easy`` otherwise; sentiment examples use the polarity label, like the benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tucano_commerce.data._records import TrainingExample
from tucano_commerce.data._silver import analyse_review, fold, silver_label
from tucano_commerce.data._synthetic_reviews import GRAMMAR_VERSION, generate_reviews
from tucano_commerce.errors import DataError
from tucano_commerce.tasks import (
    SENTIMENT_FIELDS,
    SYSTEM_PROMPTS,
    check_output,
    review_text,
    review_text_hash,
)
from tucano_commerce.tasks._olist_reviews import ReviewRow, read_review_rows
from tucano_commerce.tasks._prompts import EXTRACTION_PROMPT, SENTIMENT_PROMPT

REVIEW_PLACEHOLDER = "{review}"
USER_TEMPLATES = {"extraction": EXTRACTION_PROMPT, "sentiment": SENTIMENT_PROMPT}
TASK_ID_PART = {"extraction": "ext", "sentiment": "sen"}


@dataclass(frozen=True)
class ReviewRecord:
    """One real customer review, from any dataset.

    Attributes:
        review_id: Unique within its dataset (Olist's ``review_id``; a content hash for B2W).
        title: The review title, or None.
        message: The review body (non-empty).
        score: Star rating 1-5, or None.
        dataset: "olist", "b2w" ...
        extra: Dataset-specific fields; ``recommend_hint`` (bool) is passed to the labeller.
    """

    review_id: str
    title: str | None
    message: str
    score: int | None
    dataset: str = "olist"
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def text(self) -> str:
        """The review as shown to a model ("Título: …\\nComentário: …" when it has a title)."""
        return review_text(self.title, self.message)

    @property
    def recommend_hint(self) -> bool | None:
        """The customer's own would-recommend answer, when the dataset records one."""
        hint = self.extra.get("recommend_hint")
        return hint if isinstance(hint, bool) else None


class Labeller(Protocol):
    """Anything that labels a review with the 10 extraction fields, or returns None when it cannot.

    A ``label_source`` attribute ("silver", "llm") says what kind of label it gives; a plain function
    counts as "silver". Example::

        def my_labeller(text, score=None, *, recommend_hint=None):
            return silver_label(text, score, recommend_hint=recommend_hint)
    """

    def __call__(
        self, text: str, score: int | None = None, *, recommend_hint: bool | None = None
    ) -> dict[str, Any] | None: ...


def normalise_text(text: str) -> str:
    """Text compared by the contamination check: folded case and accents, no punctuation, one space."""
    return fold(text)


def _smallest(values: Iterable[Any]) -> Any:
    """The smallest non-empty value (None when there is none), as SQL's ``min`` over a group."""
    present = [v for v in values if v is not None and v != ""]
    return min(present) if present else None


def load_review_pool(
    olist_dir: str | Path, *, exclude_review_ids: Iterable[str], exclude_texts: Iterable[str] = ()
) -> list[ReviewRecord]:
    """The commented Olist reviews, deduplicated by id, minus the excluded ones, sorted by id.

    Args:
        olist_dir: Folder holding ``olist_order_reviews_dataset*.csv``.
        exclude_review_ids: Review ids to leave out (the benchmark's); reviews whose normalised message
            equals the message of one of these are left out too.
        exclude_texts: Further texts to keep out (e.g. the benchmark's authored reviews).

    Raises:
        DataError: the CSV is missing or unreadable.
    """
    by_id: dict[str, list[ReviewRow]] = {}
    for row in read_review_rows(Path(olist_dir)):
        by_id.setdefault(row.review_id, []).append(row)
    # One row per id, deterministic: the smallest title, message and score its rows hold.
    rows = [
        (
            rid,
            _smallest(r.title for r in same),
            _smallest(r.message for r in same),
            _smallest(r.score for r in same),
        )
        for rid, same in sorted(by_id.items())
    ]
    excluded_ids = set(exclude_review_ids)
    banned = {normalise_text(t) for t in exclude_texts}
    banned |= {normalise_text(m) for rid, _, m, _ in rows if rid in excluded_ids and m}
    banned.discard("")
    pool = []
    for rid, title, message, score in rows:
        message = (message or "").replace("\r\n", "\n").strip()
        if not message or rid in excluded_ids or normalise_text(message) in banned:
            continue
        title = title.replace("\r\n", "\n").strip() if title and title.strip() else None
        pool.append(ReviewRecord(rid, title, message, score if score in (1, 2, 3, 4, 5) else None))
    return pool


def review_prompt(task: str, text: str) -> list[dict[str, str]]:
    """The [system, user] messages of a review task, exactly as the benchmark builds them."""
    return [
        {"role": "system", "content": SYSTEM_PROMPTS[task]},
        {"role": "user", "content": USER_TEMPLATES[task].replace(REVIEW_PLACEHOLDER, text)},
    ]


def _ground_truth(task: str, label: Mapping[str, Any]) -> dict[str, Any]:
    return dict(label) if task == "extraction" else {f: label[f] for f in SENTIMENT_FIELDS}


def _label_real(record: ReviewRecord, labeller: Labeller) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(label, label_source, extra source fields) for one real review, falling back to silver."""
    text = record.text()
    label = labeller(text, record.score, recommend_hint=record.recommend_hint)
    source_name = getattr(labeller, "label_source", "silver")
    if label is not None:
        check = check_output("extraction", label)
        if check.ok:
            return check.values, source_name, {}
    fallback = silver_label(text, record.score, recommend_hint=record.recommend_hint)
    return fallback, "silver", {"label_fallback": "silver", "labeller": source_name}


def build_review_examples(
    pool: Sequence[ReviewRecord],
    *,
    n_extraction: int,
    n_sentiment: int,
    seed: int,
    labeller: Labeller = silver_label,
    synthetic_share: float = 0.2,
    id_prefix: str = "train",
) -> list[TrainingExample]:
    """Sample extraction and sentiment training examples from a review pool plus the review grammar.

    Args:
        pool: Real reviews (``load_review_pool``, ``read_b2w``); their order does not matter.
        n_extraction: Extraction examples to return (real + synthetic).
        n_sentiment: Sentiment examples to return (real + synthetic).
        seed: Sampling seed; the same pool and seed give the same examples.
        labeller: Labels real reviews; None from it falls back to the silver label (recorded in source).
        synthetic_share: Fraction of each task drawn from the grammar, in [0, 1].
        id_prefix: Ids are ``{id_prefix}-ext-00000`` / ``{id_prefix}-sen-00000``.

    Returns:
        Extraction examples then sentiment examples, each task in a seeded random order.

    Raises:
        DataError: the pool has fewer distinct reviews than the real examples asked for.
        ValueError: negative counts or a share outside [0, 1].
    """
    if n_extraction < 0 or n_sentiment < 0:
        raise ValueError("n_extraction and n_sentiment must be >= 0")
    if not 0.0 <= synthetic_share <= 1.0:
        raise ValueError(f"synthetic_share must be in [0, 1], got {synthetic_share}")
    n_syn = {
        "extraction": round(n_extraction * synthetic_share),
        "sentiment": round(n_sentiment * synthetic_share),
    }
    n_real = {"extraction": n_extraction - n_syn["extraction"], "sentiment": n_sentiment - n_syn["sentiment"]}
    unique = {(r.dataset, r.review_id): r for r in pool}
    if n_real["extraction"] + n_real["sentiment"] > len(unique):
        raise DataError(
            f"the review pool has {len(unique)} distinct reviews but {n_real['extraction']} extraction + "
            f"{n_real['sentiment']} sentiment real examples were asked for; lower the counts, raise "
            "synthetic_share or add a dataset (e.g. B2W)"
        )
    rng = random.Random(seed)
    order = [unique[k] for k in sorted(unique)]
    rng.shuffle(order)
    chosen = {
        "extraction": order[: n_real["extraction"]],
        "sentiment": order[n_real["extraction"] : n_real["extraction"] + n_real["sentiment"]],
    }
    synthetic = generate_reviews(n_syn["extraction"] + n_syn["sentiment"], seed=seed)
    synthetic_by_task = {
        "extraction": synthetic[: n_syn["extraction"]],
        "sentiment": synthetic[n_syn["extraction"] :],
    }

    out: list[TrainingExample] = []
    for task in ("extraction", "sentiment"):
        drafts: list[dict[str, Any]] = []
        for record in chosen[task]:
            text = record.text()
            label, label_source, extra = _label_real(record, labeller)
            hard = analyse_review(text, record.score, recommend_hint=record.recommend_hint).mixed
            source: dict[str, Any] = {"dataset": record.dataset, "review_id": record.review_id}
            source["text_sha256"] = review_text_hash(record.message)
            drafts.append(
                {
                    "text": text,
                    "label": label,
                    "label_source": label_source,
                    "source": source | extra,
                    "hard": hard,
                }
            )
        for index, review in enumerate(synthetic_by_task[task]):
            source = {
                "dataset": "synthetic_reviews",
                "grammar_version": GRAMMAR_VERSION,
                "seed": seed,
                "index": index + (n_syn["extraction"] if task == "sentiment" else 0),
                "kind": review.kind,
                "text_sha256": review_text_hash(review.text),
            }
            drafts.append(
                {
                    "text": review.text,
                    "label": review.label,
                    "label_source": "synthetic",
                    "source": source,
                    "hard": review.hard,
                }
            )
        rng.shuffle(drafts)
        for i, d in enumerate(drafts):
            if task == "extraction":
                difficulty = "hard" if d["hard"] else "easy"
            else:
                difficulty = d["label"]["sentiment"]
            out.append(
                TrainingExample(
                    id=f"{id_prefix}-{TASK_ID_PART[task]}-{i:05d}",
                    task=task,
                    prompt=review_prompt(task, d["text"]),
                    ground_truth=_ground_truth(task, d["label"]),
                    source=d["source"],
                    label_source=d["label_source"],
                    difficulty=difficulty,
                )
            )
    return out
