"""Compare a predicted query result with the gold result (docs/sources.md#sql-result-comparison).

The steps, each chosen to avoid a known failure of public evaluators:

1. **Normalise cells** (A.3.3) so equal facts look equal: ``COUNT(*)`` 5 == ``SUM(1.0)`` 5.0 ==
   ``Decimal('5')``; ``DATE``, midnight ``TIMESTAMP`` and ISO text are one string; NaN is NULL.
2. **Align columns by value multisets**, not by name or position (aliases and column order are free). The
   search is exact over positive-similarity candidates for up to 7 gold columns and Hungarian otherwise, so
   a 30-column ``SELECT *`` never triggers a factorial permutation search.
3. **Match rows as a bag** (duplicates count): exact multiset intersection first, then leftovers bucketed by
   their non-numeric cells and matched inside each bucket (augmenting paths). Numbers (``_cells_close``):
   two exact ones (integers, ``DECIMAL``) must be equal; with a float on either side they may differ by
   float noise, ``REL_TOL`` = 1e-9 relative (plus ``ABS_TOL`` near zero), not by a wrong cent. A gold
   ``ROUND(x, k)`` column accepts half a unit of its last decimal (``0.5 * 10**-k``) around the gold value
   *before* rounding when the caller has it (``unrounded_rows``): exactly the predictions that are ``x`` to
   at least ``k`` decimals, however the engine breaks ties (DuckDB rounds 2.675 to 2.67 on DOUBLE, 2.68 on
   DECIMAL); around the rounded gold value otherwise.
4. **Order** only when asked (the gold query's top-level ORDER BY), tie-aware: consecutive gold rows with
   equal sort keys form groups compared as bags.
5. **Partial credit** = column F1 x row-bag F1 x order factor; rows are whole aligned tuples, so mis-paired
   values earn nothing.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Literal, cast

from tucano_commerce.sql._normalize import Cell, Number, Row, is_number, normalize_rows

__all__ = ["Comparison", "compare_results"]


REL_TOL = 1e-9
"""Relative tolerance when a float is involved: float noise (different summation orders) is ~1e-12 here."""
ABS_TOL = 1e-9
"""Absolute tolerance when a float is involved, for values near zero (e.g. a difference of two float sums)."""
EXACT_SEARCH_MAX_GOLD_COLS = 7
# A same-kind column pair with no common value still gets this similarity, so e.g. a ROUND(x, 2) gold
# column aligns with an unrounded predicted one and is then judged by the tolerant row comparison.
_SAME_KIND_FLOOR = 1e-6
_TIE_EPS = 1e-9
_PURE_KINDS = frozenset({"num", "str", "other"})
_NUMBER_TYPES = frozenset({int, float, Decimal})
_EXACT: tuple[float, Decimal | int] = (ABS_TOL, 0)  # (tolerance with a float involved, between exact numbers)
_MAX_TIED_MAPPINGS = 720  # 6! : every mapping of six interchangeable columns
_ROW_WORK_BUDGET = 40_000  # rows (gold + pred) x tied mappings judged
_SEARCH_NODE_BUDGET = 20_000
_EDGE_BUDGET = 2_000_000  # tolerant matching beyond this many candidate pairs falls back to greedy


@dataclass(frozen=True)
class Comparison:
    """How a predicted result compares with the gold one.

    Attributes:
        ex: strict execution match: same columns (any order, any names), same row bag, order where it counts.
        ex_lenient: like ``ex`` but up to ``extra_cols_allowed`` extra predicted columns are tolerated.
        partial: ``col_f1 * row_f1 * order_factor`` in [0, 1] (1.0 whenever ``ex``).
        col_f1: F1 of aligned columns (precision over predicted, recall over gold columns).
        row_f1: F1 of the tolerant bag matching of aligned rows.
        order_factor: longest in-order run of matched rows (tie groups as one rank) over the longer side;
            1.0 when order does not matter.
        column_map: for each gold column, the predicted column aligned with it, or ``None``.
        n_matched_rows: size of the row matching.
        order_matters: whether order was checked (asked for, and gold has more than one row).
    """

    ex: bool
    ex_lenient: bool
    partial: float
    col_f1: float
    row_f1: float
    order_factor: float
    column_map: tuple[int | None, ...]
    n_matched_rows: int
    order_matters: bool


# ---------------------------------------------------------------------------------------------- compare


def compare_results(
    gold_rows: Sequence[Sequence[object]],
    pred_rows: Sequence[Sequence[object]],
    *,
    gold_width: int | None = None,
    pred_width: int | None = None,
    order_matters: bool = False,
    order_key_cols: Sequence[int] | None = None,
    round_to: Mapping[int, int] | None = None,
    duplicates: Literal["bag", "set"] = "bag",
    extra_cols_allowed: int = 2,
    normalized: bool = False,
    unrounded_rows: Sequence[Sequence[object]] | None = None,
) -> Comparison:
    """Compare two query results (lists of row tuples) the way the SQL scorer does.

    Args:
        gold_rows: the reference result, in the order the gold query returned it.
        pred_rows: the predicted result.
        gold_width: number of gold columns (needed when ``gold_rows`` is empty; else taken from a row).
        pred_width: number of predicted columns (same).
        order_matters: compare row order too (normally: the gold query has a top-level ORDER BY).
        order_key_cols: gold column indices of the ORDER BY keys; consecutive gold rows equal on them are
            ties and compared as a bag. ``None``: every row is its own position.
        round_to: gold column index -> ``k`` for ``ROUND(x, k)`` columns; numbers there match within half a
            unit of the last requested decimal, ``0.5 * 10**-k``.
        duplicates: ``"bag"`` (duplicates count) or ``"set"`` (both sides deduplicated first).
        extra_cols_allowed: extra predicted columns ``ex_lenient`` tolerates.
        normalized: the rows are already normalised (skips ``normalize_rows``).
        unrounded_rows: ``gold_rows`` with each ``round_to`` column holding the value before the gold's
            ``ROUND`` (same rows, same order). Given, a ``round_to`` column is compared with these values (so a
            prediction rounded another valid way passes, 20.81 against 20.80 does not); else with the rounded
            gold values.

    Returns:
        The comparison (strict and lenient EX, partial credit and its factors, the column alignment).
    """
    gold = _rows(gold_rows, normalized)
    pred = _rows(pred_rows, normalized)
    reference = None
    if unrounded_rows is not None:
        reference = _rows(unrounded_rows, normalized)
        if len(reference) != len(gold):
            raise ValueError(f"unrounded_rows has {len(reference)} rows, gold_rows {len(gold)}")
    g_width = gold_width if gold_width is not None else (len(gold[0]) if gold else 0)
    p_width = pred_width if pred_width is not None else (len(pred[0]) if pred else 0)
    if duplicates == "set":
        if reference is not None:  # keep each distinct gold row with its first unrounded companion
            first: dict[Row, Row] = {}
            for g, r in zip(gold, reference, strict=True):
                first.setdefault(g, r)
            reference = list(first.values())
        gold, pred = list(dict.fromkeys(gold)), list(dict.fromkeys(pred))
    elif duplicates != "bag":
        raise ValueError(f"duplicates must be 'bag' or 'set', got {duplicates!r}")
    if order_key_cols is not None and any(not 0 <= c < g_width for c in order_key_cols):
        raise ValueError(f"order_key_cols {list(order_key_cols)} out of range for {g_width} gold columns")
    ordered = order_matters and len(gold) > 1

    if not gold or not pred:
        # Both empty: equal only with the same width (an empty 3-column answer is not an empty 1-column one);
        # exactly one empty: nothing in common.
        same = not gold and not pred and g_width == p_width
        lenient = not gold and not pred and 0 <= p_width - g_width <= extra_cols_allowed
        return Comparison(same, lenient, float(same), float(same), float(same), 1.0, (), 0, ordered)

    tolerances = [_EXACT] * g_width
    for col, k in (round_to or {}).items():
        if 0 <= col < g_width:
            half_unit = Decimal(5).scaleb(-k - 1)  # exact: 0.005 for k = 2
            tolerances[col] = (float(half_unit), half_unit)
    groups, group_of = _tie_groups(gold, order_key_cols if ordered else None, ordered)
    judge = _Judge(reference if reference is not None else gold, pred, tolerances, groups, group_of, ordered)

    best = None
    if g_width == p_width and Counter(gold) == Counter(pred):  # fast path: identical, same column order
        candidate = judge.evaluate(tuple(range(g_width)))
        if candidate.ok:
            best = candidate
    if best is None:
        mappings = _candidate_mappings(_similarity(gold, pred, g_width, p_width), g_width, p_width)
        if len(mappings) > 1:
            mappings = _by_positional_agreement(mappings, gold, pred)
        # Each tied mapping costs a row matching; on big results judge only the first few.
        budget = max(1, min(len(mappings), _ROW_WORK_BUDGET // (len(gold) + len(pred))))
        for mapping in mappings[:budget]:
            candidate = judge.evaluate(mapping)
            if best is None or candidate.rank > best.rank:
                best = candidate
            if candidate.ok and None not in mapping:
                break  # nothing ranks higher: same columns mapped, rows and order perfect
        assert best is not None

    matched_cols = sum(k is not None for k in best.mapping)
    col_f1 = _f1(matched_cols, p_width, g_width)
    row_f1 = _f1(best.n_pairs, len(pred), len(gold))
    order_factor = 1.0 if best.order_ok else judge.order_factor(best.pairs)
    all_mapped = matched_cols == g_width
    ex = all_mapped and p_width == g_width and best.ok
    ex_lenient = all_mapped and 0 <= p_width - g_width <= extra_cols_allowed and best.ok
    partial = 1.0 if ex else col_f1 * row_f1 * order_factor
    return Comparison(
        ex=ex,
        ex_lenient=ex_lenient,
        partial=partial,
        col_f1=col_f1,
        row_f1=row_f1,
        order_factor=order_factor,
        column_map=best.mapping,
        n_matched_rows=best.n_pairs,
        order_matters=ordered,
    )


def _rows(rows: Sequence[Sequence[object]], normalized: bool) -> list[Row]:
    """``rows`` normalised, or as given when the caller says they already are (``normalized=True``)."""
    if normalized:
        # The caller's promise (the scorer passes rows it normalised once and cached), not re-checked:
        # checking every cell would cost what skipping the normalisation saves.
        return cast("list[Row]", list(rows))
    return normalize_rows(rows)


def _f1(matched: int, n_pred: int, n_gold: int) -> float:
    if matched == 0 or n_pred == 0 or n_gold == 0:
        return 0.0
    precision, recall = matched / n_pred, matched / n_gold
    return 2 * precision * recall / (precision + recall)


def _tie_groups(
    gold: list[Row], order_key_cols: Sequence[int] | None, ordered: bool
) -> tuple[list[tuple[int, int]], list[int]]:
    """Consecutive gold rows with equal sort keys, as ``(start, end)`` spans, and each row's group index."""
    n = len(gold)
    if not ordered or not order_key_cols:
        return [(i, i + 1) for i in range(n)], list(range(n))
    key = itemgetter(*order_key_cols)
    groups: list[tuple[int, int]] = []
    group_of: list[int] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or key(gold[i]) != key(gold[start]):
            groups.append((start, i))
            group_of.extend([len(groups) - 1] * (i - start))
            start = i
    return groups, group_of


# ---------------------------------------------------------------------------------------------- columns


def _column_kind(column: Sequence[Cell]) -> str:
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if not kinds:
        return "null"
    if kinds <= _NUMBER_TYPES:
        return "num"
    if kinds == {str}:
        return "str"
    return "mixed" if kinds & (_NUMBER_TYPES | {str}) else "other"


def _coarse_bag(column: Sequence[Cell], kind: str) -> Counter[object]:
    """Multiset of a column's values, numbers at 4 significant digits (float noise and rounding aside)."""
    if kind in ("str", "null", "other"):
        return Counter(column)
    if kind == "num":  # numbers and NULLs
        return Counter(f"{float(c):.4g}" if is_number(c) else None for c in column)
    # Mixed columns: tag numbers so that the number 5 and the text '5' stay apart.
    return Counter(("\0num", f"{float(c):.4g}") if is_number(c) else c for c in column)


def _similarity(gold: list[Row], pred: list[Row], g_width: int, p_width: int) -> list[list[float]]:
    """``S[j][k]`` = |bag(gold j) ∩ bag(pred k)| / max(rows), on coarse keys, plus a same-kind floor."""
    g_cols = list(zip(*gold, strict=True)) if gold else [()] * g_width
    p_cols = list(zip(*pred, strict=True)) if pred else [()] * p_width
    g_kinds = [_column_kind(c) for c in g_cols]
    p_kinds = [_column_kind(c) for c in p_cols]
    g_bags = [_coarse_bag(c, kind) for c, kind in zip(g_cols, g_kinds, strict=True)]
    p_bags = [_coarse_bag(c, kind) for c, kind in zip(p_cols, p_kinds, strict=True)]
    denominator = max(len(gold), len(pred)) or 1
    matrix = []
    for j in range(g_width):
        row = []
        for k in range(p_width):
            score = 0.0
            # Columns of two different pure kinds (numbers vs text) cannot share a value: skip the count.
            if not (g_kinds[j] in _PURE_KINDS and p_kinds[k] in _PURE_KINDS and g_kinds[j] != p_kinds[k]):
                small, large = sorted((g_bags[j], p_bags[k]), key=len)
                common = sum(min(n, large[key]) for key, n in small.items() if key in large)
                score = common / denominator
            if g_kinds[j] == p_kinds[k] and g_kinds[j] != "mixed":
                score += _SAME_KIND_FLOOR
            row.append(score)
        matrix.append(row)
    return matrix


def _by_positional_agreement(
    mappings: list[tuple[int | None, ...]], gold: list[Row], pred: list[Row]
) -> list[tuple[int | None, ...]]:
    """Order tied mappings so that those agreeing with the prediction's row order come first.

    Tied mappings differ only between columns with equal value multisets; a prediction whose rows come in
    the gold order (often the case, and required when order matters) is resolved by the first one judged.
    """
    n = min(len(gold), len(pred))
    agreement: dict[tuple[int, int], int] = {}

    def agree(j: int, k: int) -> int:
        if (j, k) not in agreement:
            agreement[(j, k)] = sum(gold[i][j] == pred[i][k] for i in range(n))
        return agreement[(j, k)]

    return sorted(mappings, key=lambda m: -sum(agree(j, k) for j, k in enumerate(m) if k is not None))


def _candidate_mappings(sim: list[list[float]], g_width: int, p_width: int) -> list[tuple[int | None, ...]]:
    """Injective gold->pred column mappings maximising total similarity (all tied optima, up to a cap)."""
    if g_width > EXACT_SEARCH_MAX_GOLD_COLS:
        return [_hungarian(sim, g_width, p_width)]
    found = _exact_search(sim, g_width, p_width)
    return found if found else [_hungarian(sim, g_width, p_width)]


def _exact_search(sim: list[list[float]], g_width: int, p_width: int) -> list[tuple[int | None, ...]]:
    """Branch and bound over positive-similarity candidates; returns [] if the node budget runs out."""
    candidates = [
        sorted(((sim[j][k], k) for k in range(p_width) if sim[j][k] > 0), reverse=True)
        for j in range(g_width)
    ]
    order = sorted(range(g_width), key=lambda j: -(candidates[j][0][0] if candidates[j] else 0.0))
    suffix = [0.0] * (g_width + 1)  # optimistic bound: best similarity of each remaining gold column
    for i in range(g_width - 1, -1, -1):
        j = order[i]
        suffix[i] = suffix[i + 1] + (candidates[j][0][0] if candidates[j] else 0.0)
    best = -1.0
    found: list[tuple[int | None, ...]] = []
    assign: list[int | None] = [None] * g_width
    used: set[int] = set()
    nodes = 0

    def visit(i: int, total: float) -> None:
        nonlocal best, found, nodes
        nodes += 1
        if nodes > _SEARCH_NODE_BUDGET:
            raise _BudgetExceeded
        bound = total + suffix[i]
        if bound < best - _TIE_EPS or (len(found) >= _MAX_TIED_MAPPINGS and bound <= best + _TIE_EPS):
            return
        if i == g_width:
            if total > best + _TIE_EPS:
                best, found = total, [tuple(assign)]
            else:
                found.append(tuple(assign))
            return
        j = order[i]
        for score, k in candidates[j]:
            if k not in used:
                assign[j] = k
                used.add(k)
                visit(i + 1, total + score)
                used.discard(k)
        assign[j] = None
        visit(i + 1, total)

    try:
        visit(0, 0.0)
    except _BudgetExceeded:
        return []
    return found


class _BudgetExceeded(Exception):
    pass


def _hungarian(sim: list[list[float]], g_width: int, p_width: int) -> tuple[int | None, ...]:
    """Maximum-similarity assignment (Kuhn-Munkres with potentials, O(n^3)) on the square-padded matrix."""
    n = max(g_width, p_width)
    cost = [[-(sim[j][k] if j < g_width and k < p_width else 0.0) for k in range(n)] for j in range(n)]
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    owner = [0] * (n + 1)  # owner[column] = row (1-based), 0 = free
    way = [0] * (n + 1)
    for row in range(1, n + 1):
        owner[0] = row
        column = 0
        min_slack = [inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[column] = True
            current_row, delta, next_column = owner[column], inf, 0
            for k in range(1, n + 1):
                if not used[k]:
                    slack = cost[current_row - 1][k - 1] - u[current_row] - v[k]
                    if slack < min_slack[k]:
                        min_slack[k], way[k] = slack, column
                    if min_slack[k] < delta:
                        delta, next_column = min_slack[k], k
            for k in range(n + 1):
                if used[k]:
                    u[owner[k]] += delta
                    v[k] -= delta
                else:
                    min_slack[k] -= delta
            column = next_column
            if owner[column] == 0:
                break
        while column:
            previous = way[column]
            owner[column] = owner[previous]
            column = previous
    mapping: list[int | None] = [None] * g_width
    for k in range(1, n + 1):
        j = owner[k] - 1
        if j < g_width and k - 1 < p_width and sim[j][k - 1] > 0:
            mapping[j] = k - 1
    return tuple(mapping)


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _Evaluation:
    mapping: tuple[int | None, ...]
    pairs: list[tuple[int, int]]
    n_pairs: int
    bag_ok: bool
    order_ok: bool

    @property
    def ok(self) -> bool:
        return self.bag_ok and self.order_ok

    @property
    def rank(self) -> tuple[bool, int, bool, int]:
        mapped = sum(k is not None for k in self.mapping)
        return (self.ok, self.n_pairs, self.order_ok, mapped)


class _Judge:
    """Row-level judgement of one column mapping (bag matching, then tie-aware order)."""

    def __init__(
        self,
        gold: list[Row],
        pred: list[Row],
        tolerances: list[tuple[float, Decimal | int]],
        groups: list[tuple[int, int]],
        group_of: list[int],
        ordered: bool,
    ) -> None:
        self.gold, self.pred, self.tolerances = gold, pred, tolerances
        self.groups, self.group_of, self.ordered = groups, group_of, ordered

    def evaluate(self, mapping: tuple[int | None, ...]) -> _Evaluation:
        pairs_of_cols = [(j, k) for j, k in enumerate(mapping) if k is not None]
        if not pairs_of_cols:
            return _Evaluation(mapping, [], 0, False, False)
        g_proj = _project(self.gold, [j for j, _ in pairs_of_cols])
        p_proj = _project(self.pred, [k for _, k in pairs_of_cols])
        tols = tuple(self.tolerances[j] for j, _ in pairs_of_cols)
        pairs = match_rows(g_proj, p_proj, tols)
        bag_ok = len(pairs) == len(self.gold) == len(self.pred)
        order_ok = not self.ordered or (bag_ok and self._order_ok(g_proj, p_proj, tols))
        return _Evaluation(mapping, pairs, len(pairs), bag_ok, order_ok)

    def _order_ok(self, g_proj: list[Row], p_proj: list[Row], tols: _Tolerances) -> bool:
        for start, end in self.groups:
            if end - start == 1:
                if not _rows_close(g_proj[start], p_proj[start], tols):
                    return False
            elif len(match_rows(g_proj[start:end], p_proj[start:end], tols)) != end - start:
                return False
        return True

    def order_factor(self, pairs: list[tuple[int, int]]) -> float:
        """Longest run of matched predicted rows whose gold tie groups never go backwards, over max length."""
        if not self.ordered:
            return 1.0
        ranks = [self.group_of[g] for g, _ in sorted(pairs, key=itemgetter(1))]
        tails: list[int] = []  # patience sorting for the longest non-decreasing subsequence
        for rank in ranks:
            position = bisect_right(tails, rank)
            if position == len(tails):
                tails.append(rank)
            else:
                tails[position] = rank
        return len(tails) / max(len(self.gold), len(self.pred))


def _project(rows: list[Row], columns: list[int]) -> list[Row]:
    if len(columns) == 1:
        c = columns[0]
        return [(row[c],) for row in rows]
    getter = itemgetter(*columns)
    return [getter(row) for row in rows]


# Per column: (tolerance when a float is involved, tolerance between two exact numbers).
_Tolerances = Sequence[tuple[float, Decimal | int]]


def _cells_close(x: Cell, y: Cell, tol: tuple[float, Decimal | int]) -> bool:
    """Equal cells, or numbers within tolerance: exactly (or within a ROUND half unit) when both are exact."""
    if x == y:
        return True
    if not (is_number(x) and is_number(y)):
        return False
    # isinstance is type() here: a normalised number is exactly an int, float or Decimal.
    if isinstance(x, float) or isinstance(y, float):
        fx, fy = float(x), float(y)
        return abs(fx - fy) <= tol[0] + REL_TOL * max(abs(fx), abs(fy))  # inf/inf was equal above
    return -tol[1] <= x - y <= tol[1]  # int/Decimal arithmetic is exact


def _rows_close(a: Row, b: Row, tols: _Tolerances) -> bool:
    return all(x == y or _cells_close(x, y, tol) for x, y, tol in zip(a, b, tols, strict=True))


def _key_function(columns: list[int]) -> Callable[[Row], object]:
    """A fast (C-level) function from a row to the cells at ``columns``."""
    if not columns:
        return lambda row: ()
    return itemgetter(*columns)


def match_rows(gold: Sequence[Row], pred: Sequence[Row], tols: _Tolerances) -> list[tuple[int, int]]:
    """Maximum tolerance-aware matching between two row bags, as ``(gold_index, pred_index)`` pairs.

    Exact matches first (each predicted row takes the earliest unmatched equal gold row, which keeps the
    pairing order-friendly); leftovers are bucketed by their non-numeric cells and matched within each bucket
    by augmenting paths, an edge meaning every number is equal within tolerance.

    Args:
        gold: normalised gold rows (already projected onto the aligned columns).
        pred: normalised predicted rows, same width.
        tols: per column, ``(tolerance when a float is involved, tolerance between exact numbers)``; the first
            is added to ``REL_TOL`` relative (see ``_cells_close``).

    Returns:
        The matched index pairs.
    """
    waiting: dict[Row, list[int]] = {}
    for i in range(len(gold) - 1, -1, -1):  # reversed, so pop() yields the earliest index
        waiting.setdefault(gold[i], []).append(i)
    pairs: list[tuple[int, int]] = []
    pred_left: list[int] = []
    for i, row in enumerate(pred):
        queue = waiting.get(row)
        if queue:
            pairs.append((queue.pop(), i))
        else:
            pred_left.append(i)
    if not pred_left:
        return pairs
    gold_left = sorted(i for queue in waiting.values() for i in queue)
    if not gold_left:
        return pairs

    # Leftovers can only match rows with the same non-numeric cells: bucket on those, gold side first,
    # and skip predicted rows whose bucket has no gold row.
    patterns: dict[tuple[bool, ...], list[int]] = {}
    for i in gold_left:
        patterns.setdefault(tuple(is_number(c) for c in gold[i]), []).append(i)
    for pattern, g_rows in patterns.items():
        numeric = [c for c, is_number in enumerate(pattern) if is_number]
        if not numeric:  # rows without numbers only match exactly, which already happened
            continue
        fixed = [c for c, is_number in enumerate(pattern) if not is_number]
        key_of = _key_function(fixed)
        buckets: dict[object, tuple[list[int], list[int]]] = {}
        for i in g_rows:
            buckets.setdefault(key_of(gold[i]), ([], []))[0].append(i)
        for i in pred_left:
            bucket = buckets.get(key_of(pred[i]))
            if bucket is not None and all(is_number(pred[i][c]) for c in numeric):
                bucket[1].append(i)
        matched_pred: set[int] = set()
        for g_idx, p_idx in buckets.values():
            if p_idx:
                found = list(_match_bucket(gold, pred, g_idx, p_idx, numeric, tols))
                pairs.extend(found)
                matched_pred.update(p for _, p in found)
        if matched_pred:
            pred_left = [i for i in pred_left if i not in matched_pred]
    return pairs


def _match_bucket(
    gold: Sequence[Row],
    pred: Sequence[Row],
    g_idx: list[int],
    p_idx: list[int],
    numeric: list[int],
    tols: _Tolerances,
) -> Iterator[tuple[int, int]]:
    first = numeric[0]
    p_sorted = sorted(p_idx, key=lambda i: _number(pred[i][first]))
    values = [_number(pred[i][first]) for i in p_sorted]
    adjacency: dict[int, list[int]] = {}
    edges = 0
    for g in g_idx:
        v = gold[g][first]
        if isinstance(v, float) and not math.isfinite(v):
            window = [p for p in p_sorted if pred[p][first] == v]
        else:
            # _cells_close(v, y) implies |v - y| <= (tol + rel * |v|) / (1 - rel): a safe search window (the
            # float tolerance bounds the exact one too).
            fv = float(_number(v))
            delta = (tols[first][0] + REL_TOL * abs(fv)) / (1 - REL_TOL) * (1 + 1e-9)
            window = p_sorted[bisect_left(values, fv - delta) : bisect_right(values, fv + delta)]
        adjacency[g] = [p for p in window if _rows_close(gold[g], pred[p], tols)]
        edges += len(adjacency[g])
        if edges > _EDGE_BUDGET:  # pathological bucket: a greedy matching (valid, maybe not maximum)
            return _greedy(adjacency)
    return _max_matching(adjacency)


def _number(cell: Cell) -> Number:
    """A cell of a column the bucket's pattern marks numeric (``match_rows`` checked it with ``is_number``)."""
    if is_number(cell):
        return cell
    raise TypeError(f"expected a number in a numeric column, got {cell!r}")


def _greedy(adjacency: dict[int, list[int]]) -> Iterator[tuple[int, int]]:
    taken: set[int] = set()
    for g, candidates in adjacency.items():
        for p in candidates:
            if p not in taken:
                taken.add(p)
                yield g, p
                break


def _max_matching(adjacency: dict[int, list[int]]) -> Iterator[tuple[int, int]]:
    """Kuhn's augmenting-path matching, iterative (buckets can be deeper than Python's recursion limit)."""
    owner: dict[int, int] = {}  # pred -> gold
    matched: set[int] = set()
    for g, candidates in adjacency.items():  # greedy start: usually already maximum
        for p in candidates:
            if p not in owner:
                owner[p] = g
                matched.add(g)
                break
    for root in adjacency:
        if root in matched or not adjacency[root]:
            continue
        visited: set[int] = set()
        stack = [(root, iter(adjacency[root]))]
        path: list[int] = []  # path[i] = pred chosen by stack[i]
        while stack:
            _, untried = stack[-1]
            for p in untried:
                if p in visited:
                    continue
                visited.add(p)
                path.append(p)
                if p not in owner:
                    for (gold_row, _), pred_row in zip(stack, path, strict=True):
                        owner[pred_row] = gold_row
                    matched.add(root)
                    stack = []
                    break
                stack.append((owner[p], iter(adjacency[owner[p]])))
                break
            else:
                stack.pop()
                if path:
                    path.pop()
    return ((g, p) for p, g in owner.items())
