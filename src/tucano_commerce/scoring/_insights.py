"""Scoring of the insights task: judge-free key-fact coverage, plus an optional LLM judge.

Ground truth of an insights item (``BenchmarkItem.ground_truth``)::

    {
      "key_facts": [KEY_FACT, ...],         # required, may be empty (then coverage is None)
      "rubric": ["cita o impacto no NPS"],  # optional: item-specific grading hints, shown to the judge
      "context": "..."                      # optional: the data given to the model when it is not
    }                                       #   already inside the prompt

Key-fact format (one dict per fact)::

    {
      "text": "SP concentra 42% dos pedidos",   # required: the fact in pt-BR (what the judge reads)
      "numbers": [42.0],                         # values the answer must state
      "entities": ["SP", ["Sudeste", "região Sudeste"]],  # names the answer must state
      "tolerance": 0.05                          # optional relative tolerance on numbers (default 0.02)
    }

A fact needs at least one number or entity. It is *covered* when every number and every entity appears
in the answer:

* Numbers are written as the answer would say them: a percentage as 42 (not 0.42), money in reais
  (1234.5). Every number found in the answer is a candidate, and a fact number ``v`` is matched by a
  candidate ``c`` when ``|c - v| <= tolerance * |v|`` (exact match when ``v`` is 0). Signs are ignored
  (both sides compared as absolute values), because a pt-BR answer states direction in words ("queda
  de 12%"); put the direction word in ``entities`` when it matters.
* The answer's numbers are read in pt-BR format: ``1.234,56``, ``12,5``, ``42%``, ``42 %``,
  ``R$ 1.234``, ``R$1.234,00``; a lone separator followed by exactly three digits (``1.234``,
  ``1,234``) is ambiguous and yields both readings; English ``1,234.56`` also works. A following
  multiplier word (``mil``, ``milhão``/``milhões``/``mi``, ``bilhão``/``bilhões``/``bi``) yields the
  multiplied value as well as the bare one (``R$ 1,2 milhão`` matches 1200000 and 1.2).
* An entity is a string, or a list of alternative strings of which one must appear. Matching is case-
  and accent-insensitive on whole words (``"sao paulo"`` matches "São Paulo"; ``"SP"`` does not match
  inside "SPA").

Coverage = covered facts / total facts. The judge (see ``_judge``) sees the facts' ``text`` and the
rubric hints. The item's score is the judge score when a judge is configured and succeeded
(``details["score_source"] == "judge"``), otherwise the coverage (``"key_fact_coverage"``); a judge that
could not score makes the item unscored rather than falling back silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tucano_commerce.errors import DataError
from tucano_commerce.scoring._judge import DIMENSIONS, Judge
from tucano_commerce.scoring._types import ItemScore
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

DEFAULT_TOLERANCE = 0.02


class KeyFact(BaseModel):
    """One ground-truth fact of an insights item (format in the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The fact in pt-BR, as shown to the judge.")
    numbers: list[float] = Field(default_factory=list, description="Values the answer must state.")
    entities: list[str | list[str]] = Field(
        default_factory=list, description="Names the answer must state; a list = alternatives, one suffices."
    )
    tolerance: float = Field(
        default=DEFAULT_TOLERANCE, ge=0.0, le=1.0, description="Relative tolerance on each number."
    )

    @field_validator("entities")
    @classmethod
    def _non_blank_entities(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for entity in value:
            options = [entity] if isinstance(entity, str) else entity
            if not options or not all(_normalise(o) for o in options):
                raise ValueError(f"entity {entity!r} is blank; give a name or a non-empty list of names")
        return value

    @model_validator(mode="after")
    def _checkable(self) -> KeyFact:
        if not self.numbers and not self.entities:
            raise ValueError(
                f"key fact {self.text!r} has neither numbers nor entities, so coverage cannot check it; "
                "add the numbers/entities it states"
            )
        return self


# --- text normalisation and number reading ---------------------------------------------------------


def _normalise(text: str) -> str:
    """Lower-case, strip accents, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


_NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
_MULTIPLIER_RE = re.compile(r"\s*(mil|milhao|milhoes|mi|bilhao|bilhoes|bi)\b")
_MULTIPLIERS = {
    "mil": 1e3,
    "milhao": 1e6,
    "milhoes": 1e6,
    "mi": 1e6,
    "bilhao": 1e9,
    "bilhoes": 1e9,
    "bi": 1e9,
}


def _readings(token: str) -> list[float]:
    """Every plausible value of one digit/separator token (pt-BR first, English tolerated)."""
    seps = [c for c in token if c in ".,"]
    if not seps:
        return [float(token)]
    groups = re.split(r"[.,]", token)
    if len(set(seps)) == 2:  # both kinds: the last separator is the decimal one
        dec = seps[-1]
        thousands = "," if dec == "." else "."
        head, _, frac = token.rpartition(dec)
        parts = head.split(thousands)
        if thousands in frac or not all(len(p) == 3 for p in parts[1:]):
            return [float(g) for g in groups]
        return [float("".join(parts) + "." + frac)]
    if len(seps) > 1:  # 1.234.567 (thousands) or something else (dates, versions): read the parts
        if all(len(g) == 3 for g in groups[1:]):
            return [float("".join(groups))]
        return [float(g) for g in groups]
    head, frac = groups
    decimal = float(head + "." + frac)
    if len(frac) == 3 and not head.startswith("0"):  # 1.234 / 1,234: thousands or decimal
        return [float(head + frac), decimal]
    return [decimal]


def extract_numbers(text: str) -> list[float]:
    """All numbers an answer states, as absolute values, with multiplier readings added.

    >>> extract_numbers("SP tem 42% dos pedidos e R$ 1.234,56 de ticket; receita de 1,2 milhão")
    [42.0, 1234.56, 1.2, 1200000.0]
    """
    norm = _normalise(text)
    values: list[float] = []
    for match in _NUMBER_RE.finditer(norm):
        readings = _readings(match.group(0))
        values.extend(readings)
        mult = _MULTIPLIER_RE.match(norm, match.end())
        if mult:
            factor = _MULTIPLIERS[mult.group(1)]
            values.extend(r * factor for r in readings)
    return values


def _number_present(value: float, candidates: Iterable[float], tolerance: float) -> bool:
    target = abs(value)
    return any(abs(c - target) <= tolerance * target for c in candidates)


def _entity_present(entity: str | list[str], norm_answer: str) -> bool:
    options = [entity] if isinstance(entity, str) else entity
    for option in options:
        pattern = r"(?<!\w)" + re.escape(_normalise(option)) + r"(?!\w)"
        if re.search(pattern, norm_answer):
            return True
    return False


# --- public API -----------------------------------------------------------------------------------


def validate_key_facts(key_facts: Sequence[Any]) -> list[KeyFact]:
    """Check and type a ground-truth ``key_facts`` list.

    Raises:
        DataError: a fact does not follow the format (the message names which and why).
    """
    facts: list[KeyFact] = []
    for i, fact in enumerate(key_facts):
        if isinstance(fact, KeyFact):
            facts.append(fact)
            continue
        try:
            facts.append(KeyFact.model_validate(fact))
        except ValidationError as exc:
            raise DataError(
                f"key_facts[{i}] is not a valid key fact ({fact!r}): {exc}. See the format in "
                "tucano_commerce.scoring._insights."
            ) from exc
    return facts


def key_fact_coverage(answer: str, key_facts: Sequence[Any]) -> tuple[float | None, list[dict[str, Any]]]:
    """Fraction of ground-truth key facts that ``answer`` states, without any judge.

    Args:
        answer: The model's answer (free pt-BR text).
        key_facts: Facts in the module's format (dicts or ``KeyFact``).

    Returns:
        ``(score, per_fact)``: ``score`` = covered / total, None when there are no facts; ``per_fact``
        has one dict per fact with ``text``, ``covered``, ``missing_numbers`` and ``missing_entities``.

    Raises:
        DataError: a key fact is malformed.
    """
    facts = validate_key_facts(key_facts)
    if not facts:
        return None, []
    numbers = extract_numbers(answer)
    norm_answer = _normalise(answer)
    per_fact: list[dict[str, Any]] = []
    for fact in facts:
        missing_numbers = [v for v in fact.numbers if not _number_present(v, numbers, fact.tolerance)]
        missing_entities = [e for e in fact.entities if not _entity_present(e, norm_answer)]
        per_fact.append(
            {
                "text": fact.text,
                "covered": not missing_numbers and not missing_entities,
                "missing_numbers": missing_numbers,
                "missing_entities": missing_entities,
            }
        )
    covered = sum(f["covered"] for f in per_fact)
    return covered / len(per_fact), per_fact


def _squash(line: str) -> str:
    """A line with table pipes, markdown emphasis and all whitespace removed, for copy detection."""
    return re.sub(r"[\s|*`_#>-]+", "", line).casefold()


def strip_copied_lines(answer: str, prompt: str) -> str:
    """The answer without the lines it copied from the prompt (table rows, headings, the question).

    Lines are compared after removing pipes, emphasis and whitespace, so a table re-printed with other
    spacing still counts as copied; very short lines (< 8 characters once squashed) are kept.
    """
    copied = {sq for line in prompt.splitlines() if len(sq := _squash(line)) >= 8}
    return "\n".join(line for line in answer.splitlines() if _squash(line) not in copied)


def score_insights(item: BenchmarkItem, response: str, *, judge: Judge | None = None) -> ItemScore:
    """Score one free-text answer to an insights item.

    Metrics: ``key_fact_coverage`` always; with a judge also ``judge`` (in [0, 1]) and the 1–5 means
    ``relevance``, ``accuracy``, ``actionability``, ``portuguese``. ``mean`` is the judge score when a
    judge is given and succeeded, else the coverage; ``details["score_source"]`` says which. An
    unparseable judge makes the item unscored (``mean=None``), never 0. The reply is read by
    ``tasks._parse.parse_response("insights", ...)``: closed ``<think>`` blocks are dropped; an empty
    answer scores 0.0 (status "empty"), an unclosed ``<think>`` 0.0 (status "truncated"); neither calls
    the judge.

    Args:
        item: An insights item; ``ground_truth`` follows the module docstring.
        response: The model's raw reply.
        judge: Optional LLM judge.

    Raises:
        DataError: the item's ground truth has no ``key_facts`` list or a malformed fact.
        ConfigError: the judge endpoint rejected the model or key.
    """
    gt = item.ground_truth
    if not isinstance(gt.get("key_facts"), list):
        raise DataError(
            f"Insights item {item.id} has no ground_truth.key_facts list; add one (may be empty)."
        )
    facts = validate_key_facts(gt["key_facts"])
    source = "judge" if judge is not None else "key_fact_coverage"
    parse = parse_response("insights", response)
    if not parse.ok:  # empty, truncated (unclosed <think>) or, on a parser bug, parse_error
        metrics: dict[str, float | None] = {"key_fact_coverage": 0.0}
        if judge is not None:
            metrics.update({"judge": None, **dict.fromkeys(DIMENSIONS)})
        return ItemScore(
            mean=0.0,
            metrics=metrics,
            status=parse.status,
            reason=parse.reason,
            parsed=None,
            details={"score_source": source, "parse_notes": list(parse.notes)},
        )
    answer = str(parse.value)

    # Coverage reads only what the answer says itself: a reply that echoes the prompt's data table would
    # otherwise "state" every number in it (a base model that copies its prompt scored 0.875 this way).
    coverage, per_fact = key_fact_coverage(strip_copied_lines(answer, item.prompt), facts)
    metrics = {"key_fact_coverage": coverage}
    details: dict[str, Any] = {
        "score_source": source,
        "key_facts": per_fact,
        "parse_notes": list(parse.notes),
    }
    if judge is None:
        if coverage is None:
            return ItemScore(
                mean=None,
                metrics=metrics,
                status="unscored",
                reason="item has no key facts and no judge is configured",
                parsed=answer,
                details=details,
            )
        return ItemScore(mean=coverage, metrics=metrics, parsed=answer, details=details)

    hints = gt.get("rubric") or []
    hints = [hints] if isinstance(hints, str) else [str(h) for h in hints]
    result = judge.judge(item.prompt, str(gt.get("context") or ""), facts, answer, rubric_hints=hints)
    metrics["judge"] = result.score
    metrics.update(result.dimensions)
    details["judge"] = result.details()
    if result.score is None:
        errors = sorted({r.error for r in result.runs if r.error})
        return ItemScore(
            mean=None,
            metrics=metrics,
            status="unscored",
            reason=f"judge gave no valid score in {len(result.runs)} run(s): {'; '.join(errors)}",
            parsed=answer,
            details=details,
        )
    return ItemScore(mean=result.score, metrics=metrics, parsed=answer, details=details)
