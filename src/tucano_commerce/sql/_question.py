"""Does a gold query do what its pt-BR question says? Decimal places, top-N, date ranges, order.

``check_question(question, gold_sql)`` compares what the question *states* with what the gold query's tree
does, and returns one sentence per disagreement. A question that asks for one decimal place while its gold
rounds to two scores a prediction that follows the question as wrong, under every evaluator; this check
finds such items before a model is scored on them. It reads the phrasings the benchmark and the training
templates use:

- **decimal places**: "arredonde para 2 casas decimais", "(2 casas)", "com 1 casa decimal" -> the ``k`` of
  the outer ``ROUND(x, k)`` columns (both ways: stated but not rounded, rounded but not stated);
- **top-N**: "os 5 estados", "as {k} categorias", "quais 3 ..." (digits) -> the outer ``LIMIT``; a
  ``LIMIT 1`` also counts as stated by a singular superlative ("o estado com mais pedidos");
- **date ranges**: years ("em 2018") and month ranges ("de janeiro a agosto de 2018", "entre maio e julho
  de 2017", "entre o início de março e o fim de maio de 2018") -> ``year(...) = Y`` filters and date
  literals in comparisons (``>=``/``<`` month starts, ``BETWEEN``), anywhere in the query;
- **order**: "do maior para o menor", "em ordem decrescente/crescente/cronológica", "ordene pela posição"
  -> a top-level ORDER BY and the direction of its first key; a stated tie-breaker ("em caso de empate",
  "desempate", "depois pelo") -> a second ORDER BY key when the gold has a ``LIMIT``.

It is a lint, not a parser of Portuguese: phrasings outside these patterns are not understood (and then not
checked), so a new item should be worded like the existing ones.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from tucano_commerce._ptbr import MONTHS as _MONTH_NAMES
from tucano_commerce.sql._shape import describe_query

__all__ = ["check_question"]


def _fold(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed ("Março" -> "marco")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


MONTHS = tuple(_fold(m) for m in _MONTH_NAMES)  # folded, as the question text is: "março" -> "marco"
_NUMBER_WORDS = {"zero": 0, "uma": 1, "um": 1, "duas": 2, "dois": 2, "tres": 3, "quatro": 4}
_MONTH = "|".join(MONTHS)
_DECIMALS = re.compile(r"\b(\d+|zero|uma|um|duas|dois|tres|quatro)\s+casas?\b")
_TOP_N = re.compile(r"\b(?:os|as|quais(?:\s+sao)?(?:\s+os|\s+as)?)\s+(\d+)\b(?!\s*(?:casas?\b|%|,\d))")
_SUPERLATIVE = re.compile(r"\b(?:mais|maior|menor|menos|melhor|pior)\b")
_YEAR = re.compile(r"\b(20\d\d)\b")
_MONTH_RANGE = re.compile(
    rf"\b(?:de|entre)\s+(?:o\s+inicio\s+de\s+)?({_MONTH})\s+(?:a|e|ate)\s+(?:o\s+fim\s+de\s+)?({_MONTH})"
    r"\s+de\s+(20\d\d)\b"
)
_ONE_MONTH = re.compile(rf"\b({_MONTH})\s+de\s+(20\d\d)\b")
_TIE_BREAK = re.compile(r"\b(?:empates?|desempate|depois\s+pel[oa])\b")
_CLAUSE = re.compile(r"[.;,()]")
_DESC = re.compile(
    r"\b(?:d[oa] (?:maior|mais \w+) para [oa] (?:menor|menos \w+)|(?:em )?ordem decrescente|decrescente)\b"
)
_ASC = re.compile(
    r"\b(?:d[oa] (?:menor|menos \w+) para [oa] (?:maior|mais \w+)|(?:em )?ordem (?:crescente|cronologica|alfabetica)|crescente|cronologica"
    r"|da nota 1 a 5|orden\w+ pel[oa]s? \w+)\b"
)
_ANY_ORDER = re.compile(r"\b(?:orden\w+|em ordem|d[oa] mais \w+ para [oa] mais \w+)\b")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def check_question(question: str, gold_sql: str) -> list[str]:
    """Every disagreement between what ``question`` states and what ``gold_sql`` does.

    Args:
        question: the item's question (pt-BR), as shown to the model.
        gold_sql: its gold query.

    Returns:
        One sentence per problem (empty when they agree, or when the gold cannot be parsed: ``lint_gold``
        reports that).
    """
    try:
        # Every node sqlglot returns is an Expression; its stubs say Expr (the base), the test narrows.
        trees = [t for t in sqlglot.parse(gold_sql, dialect="duckdb") if isinstance(t, exp.Expression)]
    except (ParseError, TokenError, RecursionError):
        return []
    if len(trees) != 1:
        return []
    tree = trees[0]
    text = _fold(question)
    shape = describe_query(tree)
    return [
        *_check_decimals(text, sorted(set(shape.round_to.values()))),
        *_check_top_n(text, shape.limit),
        *_check_dates(text, tree),
        *_check_order(text, tree, shape.has_order_by, shape.limit),
    ]


def _check_decimals(text: str, rounded: list[int]) -> list[str]:
    stated = sorted({int(n) if n.isdigit() else _NUMBER_WORDS[n] for n in _DECIMALS.findall(text)})
    if stated == rounded:
        return []
    if not rounded:
        return [f"the question asks for {_places(stated)} but the gold query does not round (no outer ROUND)"]
    if not stated:
        return [f"the gold query rounds to {_places(rounded)} but the question does not ask for rounding"]
    return [f"the question asks for {_places(stated)} but the gold query rounds to {_places(rounded)}"]


def _places(values: list[int]) -> str:
    joined = " and ".join(str(v) for v in values)
    return f"{joined} decimal place{'' if values == [1] else 's'}"


def _check_top_n(text: str, limit: int | None) -> list[str]:
    stated = sorted({int(n) for n in _TOP_N.findall(text)})
    if limit is None:
        return (
            [f"the question asks for the top {stated[0]} but the gold query has no LIMIT"] if stated else []
        )
    if limit in stated:
        return []
    if stated:
        return [
            f"the question asks for the top {', '.join(map(str, stated))} but the gold query has LIMIT {limit}"
        ]
    if limit == 1 and _SUPERLATIVE.search(text):
        return []  # "qual é o estado com mais pedidos?": a top-1 in words
    return [f"the gold query has LIMIT {limit} but the question states no top {limit}"]


# -- dates -----------------------------------------------------------------------------------------------


def _check_dates(text: str, tree: exp.Expression) -> list[str]:
    years, months, lowers, uppers = _gold_date_filters(tree)
    stated_years = {int(y) for y in _YEAR.findall(text)}
    problems = []
    ranges = [(MONTHS.index(a) + 1, MONTHS.index(b) + 1, int(y)) for a, b, y in _MONTH_RANGE.findall(text)]
    if not ranges:
        ranges = [(MONTHS.index(m) + 1, MONTHS.index(m) + 1, int(y)) for m, y in _ONE_MONTH.findall(text)]
    bound_years = {d.year for d in lowers} | {(d - timedelta(days=1)).year for d in uppers}
    gold_years = years | bound_years
    for year in sorted(stated_years - gold_years):
        problems.append(
            f"the question names the year {year} but the gold query does not restrict dates to it"
        )
    for year in sorted(gold_years - stated_years):
        problems.append(f"the gold query restricts dates to {year} but the question does not name that year")
    for m1, m2, year in ranges:
        start = date(year, m1, 1)
        end = date(year + (m2 == 12), m2 % 12 + 1, 1)  # first day after the range
        by_bounds = start in lowers and end in uppers
        by_month = year in years and months == set(range(m1, m2 + 1))
        if not (by_bounds or by_month):
            problems.append(
                f"the question asks for {MONTHS[m1 - 1]}-{MONTHS[m2 - 1]} {year} but the gold query's date "
                f"bounds are {_describe_bounds(lowers, uppers, months)}"
            )
    if not ranges and (months or any(d.month != 1 or d.day != 1 for d in lowers | uppers)):
        problems.append(
            f"the gold query restricts dates to {_describe_bounds(lowers, uppers, months)} but the question "
            "names no months"
        )
    return problems


def _describe_bounds(lowers: set[date], uppers: set[date], months: set[int]) -> str:
    parts = [f">= {d}" for d in sorted(lowers)] + [f"< {d}" for d in sorted(uppers)]
    if months:
        parts.append(f"months {sorted(months)}")
    return ", ".join(parts) or "none"


def _gold_date_filters(tree: exp.Expression) -> tuple[set[int], set[int], set[date], set[date]]:
    """Years (``year(x) = Y``), months (``month(x)`` filters), inclusive lower and exclusive upper date bounds."""
    years: set[int] = set()
    months: set[int] = set()
    lowers: set[date] = set()
    uppers: set[date] = set()
    for node in tree.find_all(exp.EQ, exp.GTE, exp.GT, exp.LTE, exp.LT, exp.Between):
        part = _date_part(node.this)
        if isinstance(node, exp.Between):
            low, high = node.args.get("low"), node.args.get("high")
            if part is not None:
                first, last = _int(low), _int(high)
                if first is not None and last is not None:
                    (years if part == "year" else months).update(range(first, last + 1))
                continue
            lo, hi = _literal_date(low), _literal_date(high)
            if lo is not None and hi is not None:  # inclusive at both ends
                lowers.add(lo[0])
                uppers.add(hi[0] + timedelta(days=1))
            continue
        if part is not None:
            value = _int(node.expression)
            if value is None:
                continue
            target = years if part == "year" else months
            if isinstance(node, exp.EQ):
                target.add(value)
            continue
        literal = _literal_date(node.expression)
        if literal is None:
            continue
        day, has_time = literal
        if isinstance(node, exp.GTE):
            lowers.add(day)
        elif isinstance(node, exp.GT):
            lowers.add(day if has_time else day + timedelta(days=1))
        elif isinstance(node, exp.LT):
            uppers.add(day)
        elif isinstance(node, exp.LTE):
            uppers.add(day + timedelta(days=1))
    return years, months, lowers, uppers


def _date_part(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Year):
        return "year"
    if isinstance(node, exp.Month):
        return "month"
    if isinstance(node, exp.Extract) and isinstance(node.this, exp.Var | exp.Identifier):
        unit = node.this.name.lower()
        return unit if unit in ("year", "month") else None
    return None


def _int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _literal_date(node: exp.Expression | None) -> tuple[date, bool] | None:
    """A date literal (``'2018-01-01'``, ``TIMESTAMP '...'``, ``DATE '...'``) as (day, has a time part)."""
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    match = _ISO_DATE.match(node.this.strip())
    if match is None:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    has_time = match[4] is not None and (match[4], match[5], match[6] or "00") != ("00", "00", "00")
    return day, has_time


# -- order -----------------------------------------------------------------------------------------------


def _check_order(text: str, tree: exp.Expression, has_order_by: bool, limit: int | None) -> list[str]:
    primary_text = _without_tie_breaks(text)
    desc, asc = bool(_DESC.search(primary_text)), bool(_ASC.search(primary_text))
    stated = desc or asc or bool(_ANY_ORDER.search(primary_text))
    ties_stated = bool(_TIE_BREAK.search(text))
    keys = _order_keys(tree)
    problems = []
    if has_order_by and limit != 1 and not stated:
        problems.append(
            "the gold query orders its rows (top-level ORDER BY) but the question asks for no order, so a "
            "prediction in another order would be scored wrong"
        )
    if stated and not has_order_by:
        problems.append("the question asks for an order but the gold query has no top-level ORDER BY")
    if keys and desc != asc:
        first_desc = keys[0]
        if desc and not first_desc:
            problems.append(
                "the question asks for descending order but the gold query's first sort key is ascending"
            )
        if asc and first_desc:
            problems.append(
                "the question asks for ascending order but the gold query's first sort key is descending"
            )
    if limit is not None and len(keys) > 1 and not ties_stated:
        problems.append(
            f"the gold query breaks ties with {len(keys) - 1} more sort key(s) before LIMIT {limit} but the question "
            "states no tie-breaker"
        )
    if limit is not None and ties_stated and len(keys) == 1:
        problems.append("the question states a tie-breaker but the gold query sorts by one key only")
    return problems


def _without_tie_breaks(text: str) -> str:
    """The text without its tie-break clauses, whose words ("em ordem alfabética") do not give the main order.

    A clause (between punctuation) is cut at its cue ("empates", "desempate", "depois pelo"); when the cue
    ends its clause ("..., em caso de empate, em ordem alfabética da categoria"), the next clause goes too.
    """
    kept: list[str] = []
    cue_ended_clause = False
    for clause in _CLAUSE.split(text):
        cue = _TIE_BREAK.search(clause)
        if cue is not None:
            kept.append(clause[: cue.start()])
            cue_ended_clause = not clause[cue.end() :].strip()
        elif cue_ended_clause:
            cue_ended_clause = False
        else:
            kept.append(clause)
    return " ".join(kept)


def _order_keys(tree: exp.Expression) -> list[bool]:
    """``desc`` flag of each top-level ORDER BY key."""
    node = tree
    while isinstance(node, exp.Subquery) and not (node.args.get("order") or node.args.get("limit")):
        node = node.this
    order = node.args.get("order") if isinstance(node, exp.Query | exp.Subquery) else None
    if order is None:
        return []
    return [bool(o.args.get("desc")) for o in order.expressions]
