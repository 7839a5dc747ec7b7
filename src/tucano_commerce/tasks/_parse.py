"""Turn a model's raw reply into the answer a scorer (or a GRPO reward) works on.

:func:`parse_response` never raises on model text. What it does, in order:

1. **Thinking.** Every closed ``<think>...</think>`` block is removed (tags case-insensitive, inner
   whitespace allowed). A stray ``</think>`` with no opening tag (Qwen3 chat templates put ``<think>``
   in the prompt) keeps only what follows the last one. A ``<think>`` that is never closed means the
   reply ran out before the answer: status ``truncated``, value None, scored as an empty answer.
2. **Empty.** Nothing but whitespace left: status ``empty``.
3. **Per task.**

   * JSON tasks (extraction, sentiment, churn): every top-level ``{...}`` span is a candidate, found by
     a brace scanner that respects double-quoted strings, so fences (```json, bare, nested) and
     surrounding prose don't matter; an object left open at the end of the text is a candidate too
     (note ``unclosed_json``). Each span is decoded with :func:`json.loads`, else with ``json_repair``
     (trailing commas, single quotes, Python ``True``/``None``, smart quotes, missing braces) after
     two targeted fixes it cannot do itself: bare percentages (``75%``, which it would turn into 75)
     are quoted so the contract reads them as 0.75, and curly single quotes become ``'``. Candidates
     include objects nested inside others (``{"resposta": {...}}``) and inside arrays. The winner has
     the most contract fields (see :func:`present_fields`); ties go to the *later* object, since a
     model that writes two objects is usually correcting the first. No candidate with at least one
     contract field: ``parse_error``. ``json_repair`` returns ``""``, a list or a scalar on non-JSON;
     only dicts count.
   * sql: the statement in the last ```sql (or duckdb/postgres/sqlite) fence, else the last bare or
     other fence whose body starts with a SQL keyword, else from a ``SELECT`` or ``WITH name AS (`` in
     the prose (the first of up to five such starts whose statement parses, else the first one). The
     statement is cut at its first ``;`` outside strings, identifiers and comments (the ``;`` is
     dropped; later statements and prose are ignored) and before a blank line followed by a line
     that does not look like SQL. For prose (no fence) only, when the text still does not
     parse with sqlglot's DuckDB dialect, trailing lines or sentences are dropped until it does. No
     SQL found: ``parse_error``. Nothing is executed.
   * insights: the stripped answer text.

Statuses: ``ok`` (value set), ``parse_error`` (no usable answer in the text), ``truncated`` (unclosed
``<think>``), ``empty`` (no answer text). ``value`` is not None exactly when ``status == "ok"``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Literal

import json_repair
from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.tasks._contracts import JSON_TASKS, present_fields
from tucano_commerce.tasks._items import TASKS, Task

ParseStatus = Literal["ok", "parse_error", "truncated", "empty"]


class ParseResult(BaseModel):
    """What :func:`parse_response` found in one reply."""

    model_config = ConfigDict(frozen=True)

    task: Task
    status: ParseStatus = Field(description="ok, parse_error, truncated (unclosed <think>) or empty.")
    value: Any = Field(
        default=None,
        description="dict (JSON tasks), SQL text (sql), answer text (insights); None unless status is ok.",
    )
    reason: str | None = Field(default=None, description="Why the status is not ok.")
    raw_answer: str = Field(default="", description="The reply after removing thinking, stripped.")
    notes: tuple[str, ...] = Field(
        default=(),
        description="What was repaired or skipped: think_stripped, unclosed_json, json_repaired ...",
    )

    @property
    def ok(self) -> bool:
        """True when a value was found."""
        return self.status == "ok"


# --------------------------------------------------------------------------- thinking

_THINK_OPEN = re.compile(r"<\s*think\s*>", re.I)
_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.I)


def strip_thinking(text: str) -> tuple[str, bool, list[str]]:
    """Remove reasoning blocks from a reply.

    Args:
        text: The raw reply.

    Returns:
        ``(answer, truncated, notes)``: the answer text (not stripped), whether an unclosed ``<think>``
        was found (the answer is then the text before it), and notes on what was removed.
    """
    # A linear scan, not re.sub(r"<think>.*?</think>"): that regex is quadratic on many unclosed tags.
    notes: list[str] = []
    kept: list[str] = []
    pos = 0
    while (opened := _THINK_OPEN.search(text, pos)) is not None:
        closed = _THINK_CLOSE.search(text, opened.end())
        if closed is None:
            break
        kept.append(text[pos : opened.start()])
        pos = closed.end()
        if "think_stripped" not in notes:
            notes.append("think_stripped")
    answer = "".join(kept) + text[pos:]
    closes = list(_THINK_CLOSE.finditer(answer))
    if closes:
        answer = answer[closes[-1].end() :]
        notes.append("stray_think_close")
    opened = _THINK_OPEN.search(answer)
    if opened:
        return answer[: opened.start()], True, [*notes, "unclosed_think"]
    return answer, False, notes


# --------------------------------------------------------------------------- JSON


def _object_spans(text: str) -> list[tuple[str, bool]]:
    """Top-level ``{...}`` spans of ``text`` as ``(span, closed)``; string-aware inside objects only."""
    spans: list[tuple[str, bool]] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if depth == 0:
            if ch == "{":
                depth, start = 1, i
            continue  # prose quotes outside objects must not open a string
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                spans.append((text[start : i + 1], True))
    if depth > 0:
        spans.append((text[start:], False))
    return spans


_DQ_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BARE_PERCENT = re.compile(r"(:\s*)([-+\u2212]?\d+(?:[.,]\d+)?)\s*%")


def _prepare_for_repair(span: str) -> str:
    """Fixes json_repair does not make: bare ``75%`` is quoted, curly single quotes become ``'``."""
    span = span.replace("\u2018", "'").replace("\u2019", "'")
    out: list[str] = []
    pos = 0
    for m in _DQ_STRING.finditer(span):  # rewrite only between double-quoted strings
        out.append(_BARE_PERCENT.sub(r'\1"\2%"', span[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(_BARE_PERCENT.sub(r'\1"\2%"', span[pos:]))
    return "".join(out)


def _decode(span: str) -> tuple[Any, bool]:
    """Decode one span; returns ``(value, repaired)``, value None when nothing usable came out."""
    try:
        return json.loads(span), False
    except (ValueError, RecursionError):
        pass
    try:
        value = json_repair.loads(_prepare_for_repair(span))
    except Exception:  # json_repair is best-effort; any failure just means "not JSON"
        return None, True
    return value, True


def _dicts_in(value: Any, depth: int = 0) -> list[dict[Any, Any]]:
    """Dicts in a decoded value, outer before inner, in document order (bounded depth)."""
    if depth > 8:
        return []
    found: list[dict[Any, Any]] = []
    if isinstance(value, dict):
        found.append(value)
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return []
    for child in children:
        found.extend(_dicts_in(child, depth + 1))
    return found


def _parse_json(task: Any, answer: str) -> tuple[dict[Any, Any] | None, str | None, list[str]]:
    spans = _object_spans(answer)
    if not spans:
        return None, "no JSON object found", []
    best: tuple[int, dict[Any, Any], bool, bool] | None = None  # (n_fields, obj, closed, repaired)
    for span, closed in spans:
        value, repaired = _decode(span)
        for obj in _dicts_in(value):
            n_fields = len(present_fields(task, obj))
            if n_fields and (best is None or n_fields >= best[0]):  # >=: a later object wins ties
                best = (n_fields, obj, closed, repaired)
    if best is None:
        return None, "no JSON object with any of the contract fields", []
    notes = [n for n, on in (("unclosed_json", not best[2]), ("json_repaired", best[3])) if on]
    if len(spans) > 1:
        notes.append("several_json_objects")
    return best[1], None, notes


# --------------------------------------------------------------------------- SQL

# An opener is ``` + optional language tag + end of line; "```sql, sem explicações" in prose is not one.
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)
_FENCE_MARKER = re.compile(r"```[\w+-]*")
_SQL_TAGS = frozenset({"sql", "duckdb", "postgresql", "postgres", "sqlite", "psql", "mysql"})
_SQL_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*)*(?:select|with|from|values|explain|show|describe|summarize|pragma|insert|update|"
    r"delete|create|drop|alter|copy|attach|detach|install|load|set|call|export|import|pivot|unpivot|table)\b",
    re.I,
)
_PROSE_SQL_START = re.compile(
    r"\bwith\s+(?:recursive\s+)?[\w\"]+\s*(?:\([^)]{0,300}\)\s*)?as\s*(?:not\s+)?(?:materialized\s+)?\(|\bselect\b",
    re.I,
)
_SQL_LINE = re.compile(
    r"^\s*(?:[(),*+\-/'\"]|--|(?:select|from|where|group|order|having|limit|offset|join|inner|left|right|full|"
    r"cross|natural|on|and|or|not|union|except|intersect|window|qualify|case|when|then|else|end|as|with|"
    r"using|in|is|between|like|ilike|over|partition|desc|asc|distinct|all|exists|values|filter)\b)"
    r"|^\s*[\w.\"]+\s*(?:,|\)|$)|^\s*[\w.\"()]+\s+(?:as\s+)?[\w\"]+\s*,?\s*$",
    re.I,
)
_SENTENCE_END = re.compile(r"\.\s+(?=[A-ZÀ-Ú])")


def _first_statement_end(sql: str) -> int:
    """Index of the first ``;`` outside strings, quoted identifiers and comments, or -1."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            close = sql.find(ch, i + 1)
            while close != -1 and sql.startswith(ch * 2, close):  # '' / "" are escapes
                close = sql.find(ch, close + 2)
            if close == -1:
                return -1
            i = close + 1
            continue
        if sql.startswith("--", i):
            nl = sql.find("\n", i)
            if nl == -1:
                return -1
            i = nl + 1
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                return -1
            i = end + 2
            continue
        if ch == ";":
            return i
        i += 1
    return -1


def _cut_at_prose_paragraph(sql: str) -> str:
    """Drop everything from a blank line whose next non-blank line does not look like SQL."""
    lines = sql.split("\n")
    next_text: str | None = None  # the next non-blank line below the current one, scanning upwards
    cut = len(lines)
    for i in range(len(lines) - 1, 0, -1):
        if lines[i].strip():
            next_text = lines[i]
        elif next_text is not None and not _SQL_LINE.match(next_text):
            cut = i  # keep scanning: the earliest such blank line wins
    return "\n".join(lines[:cut])


@functools.lru_cache(maxsize=512)  # prose trimming asks about the same prefixes more than once
def _sql_parses(sql: str) -> bool:
    try:
        import sqlglot  # lazy: only prose answers need it

        return sqlglot.parse_one(sql, read="duckdb") is not None
    except Exception:  # any sqlglot failure means "does not parse"
        return False


_TRIM_WINDOW_CHARS = 3000  # a prose-embedded statement longer than this is not worth searching for
_TRIM_MAX_CUTS = 40


def _trim_trailing_prose(sql: str) -> str:
    """Longest prefix ending at a line or sentence boundary that parses; else ``sql`` unchanged."""
    if _sql_parses(sql):
        return sql
    head = sql[:_TRIM_WINDOW_CHARS]
    cuts = sorted(
        {m.start() for m in re.finditer(r"\n", head)} | {m.start() for m in _SENTENCE_END.finditer(head)}
    )
    # Bounded: a long reply must not cost hundreds of parses. The first boundaries cover "short SQL, long
    # explanation", the last ones "long SQL, short remark".
    half = _TRIM_MAX_CUTS // 2
    for cut in sorted(set(cuts[:half] + cuts[-half:]), reverse=True):
        prefix = sql[:cut].rstrip()
        if prefix and _sql_parses(prefix):
            return prefix
    return sql


def _clean_statement(sql: str, *, from_prose: bool) -> str:
    end = _first_statement_end(sql)
    if end != -1:
        sql = sql[:end]
    sql = _cut_at_prose_paragraph(sql).strip()
    if from_prose:
        sql = _trim_trailing_prose(sql.rstrip(". ").strip() if sql.endswith(".") else sql)
    return sql.strip()


def _parse_sql(answer: str) -> tuple[str | None, str | None, list[str]]:
    fences = [(tag.lower(), body) for tag, body in _FENCE.findall(answer)]
    tagged = [body for tag, body in fences if tag in _SQL_TAGS and body.strip()]
    other = [body for tag, body in fences if tag not in _SQL_TAGS and _SQL_START.match(body)]
    for bodies, note in ((tagged, "sql_fence"), (other, "bare_fence")):
        if bodies:
            sql = _clean_statement(bodies[-1], from_prose=False)
            if sql:
                return sql, None, [note] + (["several_fences"] if len(bodies) > 1 else [])
    prose = _FENCE_MARKER.sub("\n", answer)
    fallback: str | None = None
    # "Usei SELECT com GROUP BY: SELECT ..." -> the first keyword may be prose; take the first start
    # whose statement parses, else the first one (the sandbox will then report the SQL error).
    for start in list(_PROSE_SQL_START.finditer(prose))[:5]:
        sql = _clean_statement(prose[start.start() :], from_prose=True)
        if sql and _sql_parses(sql):
            return sql, None, ["sql_from_prose"]
        fallback = fallback or sql
    if not fallback:
        return None, "no SQL statement found", []
    return fallback, None, ["sql_from_prose"]


# --------------------------------------------------------------------------- entry point


def _parse(task: Task, text: str) -> ParseResult:
    value: dict[Any, Any] | str | None
    reason: str | None
    more: list[str]
    answer, truncated, notes = strip_thinking(text if isinstance(text, str) else str(text))
    answer = answer.strip()
    if truncated:
        reason = "reply ended inside an unclosed <think> block; no answer"
        return ParseResult(
            task=task, status="truncated", reason=reason, raw_answer=answer, notes=tuple(notes)
        )
    if not answer:
        return ParseResult(
            task=task, status="empty", reason="empty answer", raw_answer="", notes=tuple(notes)
        )
    if task in JSON_TASKS:
        value, reason, more = _parse_json(task, answer)
    elif task == "sql":
        value, reason, more = _parse_sql(answer)
    else:
        value, reason, more = answer, None, []
    status: ParseStatus = "ok" if value is not None else "parse_error"
    return ParseResult(
        task=task, status=status, value=value, reason=reason, raw_answer=answer, notes=(*notes, *more)
    )


def parse_response(task: Task, text: str | None) -> ParseResult:
    """Extract the answer for ``task`` from a model reply; never raises on any text.

    Args:
        task: One of ``TASKS``.
        text: The model's raw reply, reasoning included.

    Returns:
        A :class:`ParseResult`; see the module docstring for statuses and rules.

    Raises:
        UnknownNameError: ``task`` is not one of ``TASKS`` (the only exception; text never raises).

    Example:
        >>> parse_response("sentiment", 'Aqui: {"sentiment": "Positivo", "sentiment_score": "0,8"}').value
        {'sentiment': 'Positivo', 'sentiment_score': '0,8'}
    """
    if task not in TASKS:  # a caller bug, not model output: fail loudly
        raise UnknownNameError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    if text is None:  # OpenAI-compatible servers may return null content
        text = ""
    try:
        return _parse(task, text)
    except Exception as exc:  # a parser bug must not kill a long eval/RL run; tests assert it never happens
        return ParseResult(
            task=task,
            status="parse_error",
            reason=f"parser bug ({type(exc).__name__}: {exc}); please report",
            raw_answer=text if isinstance(text, str) else "",
            notes=("parser_exception",),
        )
