"""The contamination guard: no training prompt may share content with the benchmark.

**Template level** (``check_templates``, ``held_out_template``): no training prompt may come from a
question wording or SQL skeleton that produced a benchmark item. The benchmark's templates are listed in
``data._heldout.HELD_OUT``; an example whose ``source.template`` is one of them is a hit, and every other
template of the catalogues is compared with every benchmark SQL/insights item of its task: it *resembles*
the item when its SQL skeleton (``sql_skeleton``: tables, select expressions, filters, grouping, ordering,
limit, with literals, ROUND, qualifiers and aliases abstracted) contains at least
``TEMPLATE_SQL_CONTAINMENT`` of the item's skeleton features and shares ``TEMPLATE_SQL_JACCARD`` of their
union (the item with a slot filled or a filter added), or when its question wording (slots blanked)
contains ``TEMPLATE_WORDING`` of the item question's word 3-grams. A resembling template not listed in
``HELD_OUT`` fails the build.

**8-gram check** (``shared_ngrams``): a *distinctive* 8-gram is a word 8-gram of a benchmark item's
specific content (below) that occurs in exactly one benchmark item; a training prompt whose specific
content shares ``NGRAM8_HITS`` or more of them is reported (the build allows at most ``NGRAM8_MAX_SHARE``
of the prompts, each listed in the dataset card).

**Example level**, per training example against the 80 benchmark items:

- **same review**, **same customer** ...: a ``source`` id used by a benchmark item, for each id a task spec
  names (``ContaminationKeys.source_ids``: ``review_id`` for the review tasks, ``customer_unique_id`` for
  churn);
- **same question**: identical normalised content (SQL question, review text, insight question ...);
- **near duplicate**: the distinctive content shares most of its word 3-grams with a benchmark item's
  (containment |A ∩ B| / min(|A|, |B|) ≥ ``NEAR_DUP_CONTAINMENT``), which catches light paraphrases.

"Distinctive content" drops what prompts of a task share, so identical boilerplate is not a match: first
by position (each task spec's ``ContaminationKeys.distinctive``: the review text for extraction/sentiment,
the question for SQL, the profile for churn, the tables and question for insights — not the instructions,
schema DDL, glossary or output contract), then
by frequency: a 3-gram found in many prompts of the task (``TEMPLATE_DF`` of them, e.g. "entregue no
prazo" in churn profiles or a table's header) is template text and ignored.
Contents shorter than ``MIN_NGRAM_WORDS`` words are compared exactly only (short reviews such as "muito
bom" recur naturally and say nothing about a specific benchmark item).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from tucano_commerce.data._heldout import HELD_OUT, template_key
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.scoring import find_task, task_specs
from tucano_commerce.tasks import BenchmarkItem, question_of

NGRAM = 3
NEAR_DUP_CONTAINMENT = 0.5
MIN_NGRAM_WORDS = 8
TEMPLATE_DF = 0.02  # share of a task's prompts (train + benchmark) above which a 3-gram is template text
MIN_TEMPLATE_DOCS = 4
TEMPLATE_SQL_CONTAINMENT = 0.75
TEMPLATE_SQL_JACCARD = 0.5
TEMPLATE_WORDING = 0.5
NGRAM8 = 8
NGRAM8_HITS = 3
NGRAM8_MAX_SHARE = 0.01


@dataclass
class ContaminationReport:
    """What the guard checked and what it found."""

    n_train: int = 0
    n_benchmark: int = 0
    checks: dict[str, int] = field(default_factory=dict)  # check -> number of training examples flagged
    hits: list[tuple[str, str, str]] = field(default_factory=list)  # (train id, benchmark id, check)
    texts_compared: bool = True
    # prompts sharing >= NGRAM8_HITS distinctive 8-grams: (train id, shared 8-grams, benchmark ids)
    ngram8: list[tuple[str, int, list[str]]] = field(default_factory=list)

    @property
    def template_overlap(self) -> int:
        """Training examples made from one of the benchmark's (held-out) templates."""
        return self.checks.get("held_out_template", 0)

    @property
    def ngram8_share(self) -> float:
        """Share of the training prompts listed in ``ngram8``."""
        return len(self.ngram8) / self.n_train if self.n_train else 0.0

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
    """The part of a prompt that is specific to this item: its task spec's (the whole text for ``general``)."""
    spec = find_task(task)
    return spec.contamination.distinctive(user_text) if spec else user_text


def source_id_checks() -> dict[str, str]:
    """``source`` id field -> check name, over every registered task (``same_review``, ``same_customer`` ...)."""
    return {key: check for spec in task_specs() for key, check in spec.contamination.source_ids.items()}


def ngrams(text: str) -> set[tuple[str, ...]]:
    """Word n-grams of normalised text."""
    words = text.split()
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def check_contamination(train: list[TrainingExample], benchmark: list[BenchmarkItem]) -> ContaminationReport:
    """Compare every training example with every benchmark item; see the module docstring."""
    report = ContaminationReport(n_train=len(train), n_benchmark=len(benchmark))
    report.texts_compared = all("{review}" not in b.prompt for b in benchmark)
    id_checks = source_id_checks()
    bench_ids = {key: {b.source[key]: b.id for b in benchmark if key in b.source} for key in id_checks}
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
        if (name := ex.source.get("template")) and (key := template_key(ex.task, str(name))) in HELD_OUT:
            hit(ex, ",".join(HELD_OUT[key]), "held_out_template")
        for key, check in id_checks.items():
            if (value := ex.source.get(key)) in bench_ids[key]:
                hit(ex, bench_ids[key][value], check)
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
    checks = ("held_out_template", *dict.fromkeys(id_checks.values()), "same_content", "near_duplicate")
    report.checks = {c: len(flagged.get(c, ())) for c in checks}
    report.ngram8 = shared_ngrams(train, benchmark)
    return report


# --- 8-grams ----------------------------------------------------------------------------------------


def _grams(text: str, n: int) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def shared_ngrams(
    train: list[TrainingExample], benchmark: list[BenchmarkItem], *, n: int = NGRAM8, hits: int = NGRAM8_HITS
) -> list[tuple[str, int, list[str]]]:
    """Training prompts sharing ``hits`` or more distinctive ``n``-grams with the benchmark.

    Distinctive: an ``n``-gram of a benchmark item's specific content (``distinctive``) found in exactly one
    benchmark item. Items whose review text is not loaded are skipped.

    Returns:
        ``(train id, number of shared distinctive n-grams, the benchmark items they come from)`` per prompt.
    """
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for b in benchmark:
        if "{review}" not in b.prompt:
            for g in _grams(normalise(distinctive(b.task, b.prompt)), n):
                owners[g].add(b.id)
    unique = {g: next(iter(ids)) for g, ids in owners.items() if len(ids) == 1}
    out = []
    for ex in train:
        shared = [g for g in _grams(normalise(distinctive(ex.task, ex.user_text())), n) if g in unique]
        if len(shared) >= hits:
            out.append((ex.id, len(shared), sorted({unique[g] for g in shared})))
    return out


# --- templates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateMatch:
    """A training template that resembles a benchmark item (see the module docstring)."""

    template: str  # "<task>/<name>"
    item: str
    sql_containment: float
    sql_jaccard: float
    wording: float

    def __str__(self) -> str:
        return (
            f"{self.template} ~ {self.item} (SQL skeleton: {self.sql_containment:.2f} of the item's, "
            f"Jaccard {self.sql_jaccard:.2f}; question wording {self.wording:.2f})"
        )


_QUOTED_SLOT = re.compile(r"'\{[^{}]+\}'")
_SLOT = re.compile(r"\{[^{}]+\}")


def sql_skeleton(sql: str) -> frozenset[tuple[str, str]]:
    """The features of a query's shape, with its constants abstracted (``{slot}`` placeholders allowed).

    Features: tables read, select expressions, WHERE conjuncts, GROUP BY, HAVING and ORDER BY expressions
    and the presence of LIMIT, over every SELECT of the query; literals become ``?``, ``ROUND(x, n)``
    becomes ``x``, column qualifiers and table aliases are dropped, and ORDER BY/GROUP BY references to
    a select alias are replaced by the aliased expression.
    """
    tree = sqlglot.parse_one(_SLOT.sub("1", _QUOTED_SLOT.sub("'x'", sql)), read="duckdb")
    for rounded in list(tree.find_all(exp.Round)):
        rounded.replace(rounded.this)
    for literal in list(tree.find_all(exp.Literal)):
        literal.replace(exp.Placeholder())
    for select in list(tree.find_all(exp.Select)):
        aliased = {e.alias: e.this for e in select.expressions if isinstance(e, exp.Alias)}
        for key in ("order", "group"):
            if clause := select.args.get(key):
                for col in list(clause.find_all(exp.Column)):
                    if not col.table and col.name in aliased:
                        col.replace(aliased[col.name].copy())
    for col in tree.find_all(exp.Column):
        col.set("table", None)
    for table in tree.find_all(exp.Table):
        table.set("alias", None)
    features: set[tuple[str, str]] = {("from", t.name) for t in tree.find_all(exp.Table)}
    for select in tree.find_all(exp.Select):
        features |= {
            ("select", (e.this if isinstance(e, exp.Alias) else e).sql()) for e in select.expressions
        }
        if where := select.args.get("where"):
            conjuncts = where.this.flatten() if isinstance(where.this, exp.And) else [where.this]
            features |= {("where", c.sql()) for c in conjuncts}
        for key in ("group", "order"):
            if clause := select.args.get(key):
                features |= {(key, e.sql()) for e in clause.expressions}
        if having := select.args.get("having"):
            features.add(("having", having.this.sql()))
        if select.args.get("limit"):
            features.add(("limit", "?"))
    return frozenset(features)


def _wording(question: str) -> set[tuple[str, ...]]:
    return _grams(normalise(_SLOT.sub(" slot ", question)), NGRAM)


def _question(item: BenchmarkItem) -> str:
    if item.task == "sql":
        return str(item.source.get("question") or question_of(item.prompt))
    return question_of(item.prompt)


def _item_sql(item: BenchmarkItem) -> list[str]:
    if item.task == "sql":
        return [str(item.ground_truth.get("sql", ""))]
    return [str(t.get("sql", "")) for t in item.source.get("tables", [])]


def template_catalogue() -> list[tuple[str, str, tuple[str, ...], str]]:
    """Every training template as ``(task, name, question wordings, SQL)``, held-out ones included."""
    from tucano_commerce.data._sql_templates import SQL_TEMPLATES
    from tucano_commerce.data._warehouse_tasks import INSIGHT_TEMPLATES

    return [("sql", t.name, t.questions, t.sql) for t in SQL_TEMPLATES] + [
        ("insights", t.name, (t.question,), t.sql) for t in INSIGHT_TEMPLATES
    ]


def template_matches(
    benchmark: Iterable[BenchmarkItem],
    templates: Iterable[tuple[str, str, tuple[str, ...], str]] | None = None,
) -> list[TemplateMatch]:
    """Every (template, benchmark item) pair of the same task where the template resembles the item."""
    items = [b for b in benchmark if b.task in ("sql", "insights")]
    prepared: list[tuple[BenchmarkItem, list[frozenset[Any]], set[Any]]] = [
        (b, [sql_skeleton(q) for q in _item_sql(b) if q], _wording(_question(b))) for b in items
    ]
    out = []
    for task, name, questions, sql in template_catalogue() if templates is None else templates:
        skeleton = sql_skeleton(sql)
        wording = set().union(*(_wording(q) for q in questions))
        for item, skeletons, item_wording in prepared:
            if item.task != task:
                continue
            contain = max((len(s & skeleton) / len(s) for s in skeletons if s), default=0.0)
            jaccard = max((len(s & skeleton) / len(s | skeleton) for s in skeletons if s), default=0.0)
            words = len(item_wording & wording) / len(item_wording) if item_wording else 0.0
            if (
                contain >= TEMPLATE_SQL_CONTAINMENT and jaccard >= TEMPLATE_SQL_JACCARD
            ) or words >= TEMPLATE_WORDING:
                out.append(
                    TemplateMatch(
                        template_key(task, name),
                        item.id,
                        round(contain, 2),
                        round(jaccard, 2),
                        round(words, 2),
                    )
                )
    return out


def check_templates(
    benchmark: Iterable[BenchmarkItem],
    templates: Iterable[tuple[str, str, tuple[str, ...], str]] | None = None,
) -> list[TemplateMatch]:
    """Templates that resemble a benchmark item but are not marked held out (empty: the catalogue is clean)."""
    return [m for m in template_matches(benchmark, templates) if m.template not in HELD_OUT]
