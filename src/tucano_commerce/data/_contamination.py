"""The contamination guard: no training prompt may share content with the benchmark.

Checks, per training example against the 80 benchmark items:

- **same review**: a ``source.review_id`` used by a benchmark item;
- **same customer**: a churn ``source.customer_unique_id`` used by a benchmark item;
- **same question**: identical normalised content (SQL question, review text, insight question ...);
- **near duplicate**: the distinctive content shares most of its word 3-grams with a benchmark item's
  (containment |A ∩ B| / min(|A|, |B|) ≥ ``NEAR_DUP_CONTAINMENT``), which catches light paraphrases.

"Distinctive content" drops what prompts of a task share, so identical boilerplate is not a match: first
by position (the review text for extraction/sentiment, the question for SQL, the profile for churn, the
tables and question for insights — not the instructions, schema DDL, glossary or output contract), then
by frequency: a 3-gram found in many prompts of the task (``TEMPLATE_DF`` of them, e.g. "entregue no
prazo" in churn profiles or a table's header) is template text and ignored.
Contents shorter than ``MIN_NGRAM_WORDS`` words are compared exactly only (short reviews such as "muito
bom" recur naturally and say nothing about a specific benchmark item).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tucano_commerce.data._records import TrainingExample
from tucano_commerce.tasks._items import BenchmarkItem

NGRAM = 3
NEAR_DUP_CONTAINMENT = 0.5
MIN_NGRAM_WORDS = 8
TEMPLATE_DF = 0.02  # share of a task's prompts (train + benchmark) above which a 3-gram is template text
MIN_TEMPLATE_DOCS = 4
_TAGGED = re.compile(r"<avaliacao>\s*(.*?)\s*</avaliacao>", re.S)
_QUESTION = re.compile(r"Pergunta:\s*(.*?)(?:\n\n|\Z)", re.S)


@dataclass
class ContaminationReport:
    """What the guard checked and what it found."""

    n_train: int = 0
    n_benchmark: int = 0
    checks: dict[str, int] = field(default_factory=dict)  # check -> number of training examples flagged
    hits: list[tuple[str, str, str]] = field(default_factory=list)  # (train id, benchmark id, check)
    texts_compared: bool = True

    @property
    def clean(self) -> bool:
        """No training example shares content with the benchmark."""
        return not self.hits


def normalise(text: str) -> str:
    """Lower case, no accents, words only (numbers kept), single spaces."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+(?:[.,][0-9]+)?", text))


def distinctive(task: str, user_text: str) -> str:
    """The part of a prompt that is specific to this item (see module docstring)."""
    if task in ("extraction", "sentiment"):
        m = _TAGGED.search(user_text)
        return m.group(1) if m else user_text
    if task == "sql":
        m = _QUESTION.search(user_text)
        return m.group(1) if m else user_text
    if task == "insights":
        head = user_text.split("Dados:", 1)[-1]
        return head.split("Responda em português", 1)[0]
    return user_text  # churn profile, general problems


def ngrams(text: str) -> set[tuple[str, ...]]:
    """Word n-grams of normalised text."""
    words = text.split()
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def check_contamination(train: list[TrainingExample], benchmark: list[BenchmarkItem]) -> ContaminationReport:
    """Compare every training example with every benchmark item; see the module docstring."""
    report = ContaminationReport(n_train=len(train), n_benchmark=len(benchmark))
    report.texts_compared = all("{review}" not in b.prompt for b in benchmark)
    review_ids = {b.source["review_id"]: b.id for b in benchmark if "review_id" in b.source}
    customers = {b.source["customer_unique_id"]: b.id for b in benchmark if "customer_unique_id" in b.source}
    exact: dict[str, str] = {}
    # Per task: the item-specific content of every prompt, and which 3-grams are template text.
    contents = {ex.id: normalise(distinctive(ex.task, ex.user_text())) for ex in train}
    bench_contents = {
        b.id: normalise(distinctive(b.task, b.prompt)) for b in benchmark if "{review}" not in b.prompt
    }
    df: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    for task, content in [(ex.task, contents[ex.id]) for ex in train] + [
        (b.task, bench_contents[b.id]) for b in benchmark if b.id in bench_contents
    ]:
        docs[task] += 1
        df[task].update(ngrams(content))
    template = {
        task: {g for g, n in df[task].items() if n >= max(MIN_TEMPLATE_DOCS, TEMPLATE_DF * docs[task])}
        for task in df
    }
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    sizes: dict[str, int] = {}
    for b in benchmark:
        if b.id not in bench_contents:
            continue  # review text not loaded: ids are still compared above
        content = bench_contents[b.id]
        exact[content] = b.id
        grams = (
            ngrams(content) - template.get(b.task, set())
            if len(content.split()) >= MIN_NGRAM_WORDS
            else set()
        )
        sizes[b.id] = len(grams)
        for g in grams:
            index[g].add(b.id)

    flagged: dict[str, set[str]] = defaultdict(set)

    def hit(ex: TrainingExample, bench_id: str, check: str) -> None:
        report.hits.append((ex.id, bench_id, check))
        flagged[check].add(ex.id)

    for ex in train:
        if (rid := ex.source.get("review_id")) in review_ids:
            hit(ex, review_ids[rid], "same_review")
        if (cid := ex.source.get("customer_unique_id")) in customers:
            hit(ex, customers[cid], "same_customer")
        content = contents[ex.id]
        if content in exact:
            hit(ex, exact[content], "same_content")
            continue
        if len(content.split()) < MIN_NGRAM_WORDS:
            continue
        grams = ngrams(content) - template.get(ex.task, set())
        overlap: dict[str, int] = defaultdict(int)
        for g in grams:
            for bid in index.get(g, ()):
                overlap[bid] += 1
        for bid, shared in overlap.items():
            if (
                min(len(grams), sizes[bid]) >= 3
                and shared / min(len(grams), sizes[bid]) >= NEAR_DUP_CONTAINMENT
            ):
                hit(ex, bid, "near_duplicate")
    report.checks = {
        c: len(flagged.get(c, ())) for c in ("same_review", "same_customer", "same_content", "near_duplicate")
    }
    return report
