"""What a (gold) query's outermost SELECT says about how its result should be compared.

Everything here reads the sqlglot AST of the *top-level* query, never the text: an ORDER BY inside a
subquery, a CTE or a window does not make row order meaningful, and a ``ROUND`` deep inside an expression
does not make an output column rounded (docs/sources.md#gold-sql-lint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

__all__ = ["QueryShape", "describe_query", "with_limit", "with_sort_key_columns", "with_unrounded_columns"]

_SORT_KEY_ALIAS = "__tucano_sort_key_{}"
_UNROUNDED_ALIAS = "__tucano_unrounded_{}"


@dataclass(frozen=True)
class QueryShape:
    """Comparison-relevant facts about a query's outermost SELECT.

    Attributes:
        parsed: False when sqlglot could not parse the query; every other field is then a safe default.
        has_order_by: the outermost query has an ORDER BY.
        order_key_cols: output column indices of the ORDER BY keys, in ORDER BY order; ``None`` when there is
            no ORDER BY or some key is not an output column (then ties cannot be recognised in the result).
            A key that is the unrounded argument ``x`` of an output column ``ROUND(x, k)`` resolves to that
            column, and the keys after it are dropped: the answer shows ``x`` only to ``k`` decimals, so rows
            showing the same value are ties (the gold's own order among them came from hidden digits, not
            from the later keys), and order is checked at the precision the question asked for.
        limit: the outermost ``LIMIT k`` as a row count, or ``None`` (none, or a percentage/expression).
        offset: the outermost ``OFFSET``, or ``None``.
        distinct: the outermost SELECT is ``SELECT DISTINCT``.
        round_to: output column index -> decimals ``k`` for columns computed as ``ROUND(x, k)``.
    """

    parsed: bool = True
    has_order_by: bool = False
    order_key_cols: tuple[int, ...] | None = None
    limit: int | None = None
    offset: int | None = None
    distinct: bool = False
    round_to: dict[int, int] = field(default_factory=dict)


def describe_query(sql: str | exp.Expression, output_columns: Sequence[str] | None = None) -> QueryShape:
    """Read ORDER BY keys, LIMIT/OFFSET, DISTINCT and ROUND columns from the outermost query.

    Args:
        sql: the query text, or an already parsed sqlglot tree (dialect ``duckdb``).
        output_columns: the result's column names, if the query was run; they resolve ORDER BY keys written
            as names when the select list has a ``*``.

    Returns:
        The shape; ``QueryShape(parsed=False)`` if sqlglot cannot parse the text.
    """
    root = _parse(sql)
    if root is None:
        return QueryShape(parsed=False)
    query = _outer_query(root)
    if query is None:
        return QueryShape(parsed=False)
    selects = _branch_selects(query)
    select_list = list(selects[0].expressions) if selects else []
    has_star = any(isinstance(e, exp.Star) or _is_column_star(e) for e in select_list)
    names = _output_names(select_list, output_columns, has_star)

    order = query.args.get("order")
    keys: tuple[int, ...] | None = None
    if order is not None and order.expressions:
        resolved: list[int | None] = []
        for o in order.expressions:
            key = _resolve_key(o.this, select_list, names, has_star)
            if key is None and not has_star:
                key = _rounded_column_of(o.this, select_list)
                if key is not None:
                    resolved.append(key)
                    break  # later keys only ordered rows that were exact ties before rounding
            resolved.append(key)
        keys = None if any(k is None for k in resolved) else tuple(k for k in resolved if k is not None)

    return QueryShape(
        parsed=True,
        has_order_by=order is not None and bool(order.expressions),
        order_key_cols=keys,
        limit=_count(query.args.get("limit")),
        offset=_count(query.args.get("offset")),
        distinct=bool(isinstance(query, exp.Select) and query.args.get("distinct")),
        round_to=_round_columns(selects),
    )


def with_limit(sql: str | exp.Expression, limit: int) -> str | None:
    """Return the query with its outermost LIMIT replaced by ``limit`` (``None`` if it cannot be parsed)."""
    root = _parse(sql)
    if root is None:
        return None
    root = root.copy()
    query = _outer_query(root)
    if query is None:
        return None
    query.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return root.sql(dialect="duckdb")


def with_sort_key_columns(sql: str | exp.Expression) -> tuple[str, int] | None:
    """Append the outermost ORDER BY expressions to the select list as extra trailing columns.

    Used by the gold lint to see sort keys that are not output columns. Only possible for a plain,
    non-DISTINCT SELECT (adding columns would change what DISTINCT or a set operation returns).

    Args:
        sql: the query text or tree.

    Returns:
        ``(rewritten_sql, number_of_key_columns)``, or ``None`` when the rewrite does not apply.
    """
    root = _parse(sql)
    if root is None:
        return None
    root = root.copy()
    query = _outer_query(root)
    if not isinstance(query, exp.Select) or query.args.get("distinct") or query.args.get("order") is None:
        return None
    select_list = list(query.expressions)
    by_alias = {e.alias.lower(): e.unalias() for e in select_list if isinstance(e, exp.Alias)}
    keys = []
    for i, ordered in enumerate(query.args["order"].expressions):
        key = ordered.this
        if isinstance(key, exp.Literal) and not key.is_string:
            position = int(key.this) - 1
            if not 0 <= position < len(select_list) or isinstance(select_list[position], exp.Star):
                return None
            key = select_list[position].unalias()
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in by_alias:
            key = by_alias[key.name.lower()]
        keys.append(exp.alias_(key.copy(), _SORT_KEY_ALIAS.format(i)))
    query.set("expressions", select_list + keys)
    return root.sql(dialect="duckdb"), len(keys)


def with_unrounded_columns(sql: str | exp.Expression) -> tuple[str, list[int]] | None:
    """Append, for each output column computed as ``ROUND(x, k)``, the value ``x`` as an extra trailing column.

    The scorer compares a prediction with the gold value before rounding (within half a unit of the last
    decimal), so that any correct rounding passes and a neighbouring value does not. Appending columns leaves
    the original columns' rows unchanged, except where the select list itself defines the grouping or the
    deduplication; those queries are not rewritten.

    Args:
        sql: the query text or tree.

    Returns:
        ``(rewritten_sql, rounded_output_columns)`` with one trailing column per listed output column, in
        that order; ``None`` when no output column is rounded or the rewrite does not apply (not a plain
        SELECT, ``SELECT DISTINCT``, ``GROUP BY ALL``, or a ``*`` before a rounded column).
    """
    root = _parse(sql)
    if root is None:
        return None
    root = root.copy()
    query = _outer_query(root)
    if not isinstance(query, exp.Select) or query.args.get("distinct"):
        return None
    group = query.args.get("group")
    if group is not None and group.args.get("all"):
        return None  # GROUP BY ALL groups by every non-aggregate output column: an extra one would regroup
    select_list = list(query.expressions)
    rounded, extra = [], []
    for i, e in enumerate(select_list):
        if isinstance(e, exp.Star) or _is_column_star(e):
            break  # positions after a * are unknown statically (as in _round_columns)
        node = _strip_casts(e.unalias())
        if isinstance(node, exp.Round) and _round_decimals(node) is not None:
            rounded.append(i)
            extra.append(exp.alias_(node.this.copy(), _UNROUNDED_ALIAS.format(i)))
    if not rounded:
        return None
    query.set("expressions", select_list + extra)
    return root.sql(dialect="duckdb"), rounded


def _parse(sql: str | exp.Expression) -> exp.Expression | None:
    if isinstance(sql, exp.Expression):
        return sql
    try:
        # Every node sqlglot returns is an Expression; its stubs say Expr (the base), the test narrows.
        trees = [t for t in sqlglot.parse(sql, dialect="duckdb") if isinstance(t, exp.Expression)]
    except (ParseError, TokenError, RecursionError):
        return None
    return trees[0] if len(trees) == 1 else None


def _outer_query(root: exp.Expression) -> exp.Expression | None:
    """The node carrying the top-level ORDER BY/LIMIT: unwrap ``(SELECT ...)`` unless it has its own."""
    node = root
    while isinstance(node, exp.Subquery) and not (node.args.get("order") or node.args.get("limit")):
        node = node.this
    if isinstance(node, exp.Select | exp.SetOperation | exp.Subquery):
        return node
    return None


def _branch_selects(query: exp.Expression) -> list[exp.Select]:
    """The SELECTs whose lists define the output: the query itself, or every branch of a set operation."""
    out: list[exp.Select] = []
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Subquery):
            stack.append(node.this)
        elif isinstance(node, exp.SetOperation):
            stack.extend([node.expression, node.this])  # popped left-first: the left branch names the output
        elif isinstance(node, exp.Select):
            out.append(node)
    return out


def _is_column_star(e: exp.Expression) -> bool:
    return isinstance(e, exp.Column) and isinstance(e.this, exp.Star)


def _output_names(
    select_list: list[exp.Expression], output_columns: Sequence[str] | None, has_star: bool
) -> list[str] | None:
    if output_columns is not None and (has_star or len(output_columns) == len(select_list)):
        return [c.lower() for c in output_columns]
    if has_star:
        return None
    return [e.alias_or_name.lower() for e in select_list]


def _resolve_key(
    key: exp.Expression, select_list: list[exp.Expression], names: list[str] | None, has_star: bool
) -> int | None:
    """Map one ORDER BY expression to an output column index, or ``None`` if it is not an output column."""
    if isinstance(key, exp.Literal) and not key.is_string:
        try:
            position = int(key.this) - 1
        except ValueError:
            return None
        width = len(names) if names is not None else (None if has_star else len(select_list))
        return position if width is not None and 0 <= position < width else None
    if isinstance(key, exp.Column) and names is not None:
        hits = [i for i, name in enumerate(names) if name == key.name.lower()]
        if len(hits) == 1:
            return hits[0]
    if not has_star:
        rendered = key.sql(dialect="duckdb")
        for i, e in enumerate(select_list):
            if e.unalias().sql(dialect="duckdb") == rendered:
                return i
    return None


def _rounded_column_of(key: exp.Expression, select_list: list[exp.Expression]) -> int | None:
    """The output column computed as ``ROUND(key, k)``, if there is exactly one."""
    rendered = key.sql(dialect="duckdb")
    hits = [
        i
        for i, e in enumerate(select_list)
        if isinstance(node := _strip_casts(e.unalias()), exp.Round)
        and node.this.sql(dialect="duckdb") == rendered
    ]
    return hits[0] if len(hits) == 1 else None


def _count(node: exp.Expression | None) -> int | None:
    """The integer of a LIMIT/OFFSET clause, or ``None`` for a percentage, an expression or no clause."""
    if node is None or node.args.get("limit_options"):
        return None
    value = node.args.get("expression")
    if isinstance(value, exp.Literal) and not value.is_string:
        try:
            return int(value.this)
        except ValueError:
            return None
    return None


def _round_columns(selects: list[exp.Select]) -> dict[int, int]:
    """Output index -> decimals for ``ROUND(x, k)`` columns (fewest decimals if branches disagree)."""
    out: dict[int, int] = {}
    for select in selects:
        for i, e in enumerate(select.expressions):
            if isinstance(e, exp.Star) or _is_column_star(e):
                break  # positions after a * are unknown statically
            decimals = _round_decimals(e.unalias())
            if decimals is not None:
                out[i] = min(decimals, out.get(i, decimals))
    return out


def _strip_casts(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):  # ROUND(x, 2)::DECIMAL(10,2) is rounded
        node = node.this
    return node


def _round_decimals(node: exp.Expression) -> int | None:
    stripped = _strip_casts(node)
    if not isinstance(stripped, exp.Round):
        return None
    decimals = stripped.args.get("decimals")
    if decimals is None:
        return 0
    negative = isinstance(decimals, exp.Neg)
    literal = decimals.this if negative else decimals
    if not isinstance(literal, exp.Literal) or literal.is_string:
        return None
    try:
        value = int(literal.this)
    except ValueError:
        return None
    return -value if negative else value
