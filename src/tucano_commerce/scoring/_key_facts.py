"""Key facts of insights items and how an answer covers them (judge-free, deterministic).

Key-fact format (one dict per fact)::

    {
      "text": "Pedidos atrasados têm nota média 1,74 ponto menor que os entregues no prazo.",
      "numbers": [[1.74, 40.5]],      # groups: each a value or a list of alternatives (one suffices)
      "entities": [["atrasado*", "atraso*"]],   # names: a string or a list of alternatives
      "claim": ["lower", "higher", "worst"],    # claim kinds (``CLAIM_CUES``): one must be expressed
      "tolerance": 0.05                # relative tolerance on every number (default 0.02)
    }

**A fact is a claim, matched inside one sentence.** It is covered when a single sentence of the answer
states every number group, names every entity and, when ``claim`` is given, uses a cue word of one of its
kinds ("maior", "pico", "cresceu", "queda", "estável", "participação" ...; the vocabulary is
``CLAIM_CUES``). Numbers scattered over the answer, or a name in one sentence and its number in another,
cover nothing.

**A number copied from the table covers nothing by itself.** The item's prompt tables give the *cells*
(``TableView``). A fact with a ``claim`` may use cells as evidence (the peak month's value); a fact
without one is covered only through a number that is *not* a cell (a difference, ratio, share, growth or
sum computed from the table), so restating the table never covers it; and a derived value is matched only
by a number of the answer that is not itself a cell (a copied cell within tolerance of it proves nothing).
Authors give every fact a claim and, where they can, a derived number; ``analysis_problems`` says when a
fact could be covered by copying.

**Selecting, not dumping.** A fact covered through a derived number earns 1. A fact covered through table
cells only earns the breadth factor of ``table_breadth``: 1 while the answer cites at most
``max(BREADTH_FREE_CELLS, BREADTH_FREE_SHARE * cells)`` distinct cells, falling linearly to 0 when it cites
every cell (a reply that dumps the table is not selecting). And a claim kind the answer attaches to more
than ``CLAIM_SPREAD_MAX`` of the row labels of a table with at least ``CLAIM_SPREAD_MIN_ROWS`` rows ("X é o
maior" said of every month; a sentence's claim is about the first row it names) covers nothing
(``indiscriminate_claims``).

Reading rules:

* Numbers are written as the answer would say them: a percentage as 42 (not 0.42), money in reais
  (1234.5). A fact number ``v`` is matched by a number ``c`` of the sentence when
  ``|c - v| <= tolerance * |v|`` (exact when ``v`` is 0). Signs are ignored; direction is a claim.
* The answer's numbers are read in pt-BR format: ``1.234,56``, ``12,5``, ``42%``, ``R$ 1.234``; a lone
  separator followed by exactly three digits (``1.234``) is ambiguous and yields both readings; English
  ``1,234.56`` also works. A following ``mil``/``milhão``/``bilhão`` (and ``mi``/``bi``) adds the
  multiplied value (``R$ 1,2 milhão`` matches 1200000 and 1.2).
* Entities and cues match case- and accent-insensitively on whole words; a trailing ``*`` makes the
  last word a prefix (``"atrasad*"`` matches "atrasados"). A list of strings is a set of alternatives.
* Sentences end at ``.``, ``!`` or ``?`` followed by a space, and at line breaks; ``1.234``, ``4,3`` and
  an abbreviation such as ``p.p.`` or ``vs.`` do not end one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tucano_commerce.errors import DataError

DEFAULT_TOLERANCE = 0.02
BREADTH_FREE_CELLS = 8
BREADTH_FREE_SHARE = 0.5
CLAIM_SPREAD_MAX = 0.5
CLAIM_SPREAD_MIN_ROWS = 8
_CELL_TOLERANCE = 0.005  # a cited number "is" a table cell when within 0.5 % of it

# Cue words of each claim kind, accent-free and lower case; "*" = prefix. They only count next to the
# fact's names and numbers (same sentence), so common words are acceptable here; but no row label of a
# table may contain one ("domingo" once matched "domin*"; "em 3 vezes" is an instalment, "3 vezes o" a
# ratio), which the tests check for the benchmark's and the training data's labels.
CLAIM_CUES: dict[str, tuple[str, ...]] = {
    "higher": ("maior", "maiores", "acima", "superior*", "mais alt*", "mais elevad*", "a mais", "supera*",
               "pico", "picos", "recorde*", "maxim*", "lider*", "topo", "domina", "dominam", "dominou", "dominante*",
               "dominio", "dobro", "triplo", "quadruplo", "vezes o", "vezes a", "vezes os", "vezes as", "vezes do",
               "vezes da", "vezes dos", "vezes das", "vezes mais", "vezes maior*", "vezes superior*", "vezes acima",
               "mais car*", "mais vend*", "mais frequente*",
               "mais comu*", "mais pes*", "mais usad*", "mais popular*", "mais lent*", "mais demorad*",
               "primeiro lugar", "a frente", "a dianteira", "concentra*", "mais forte*", "campea", "campeao", "puxa*",
               "ultrapass*", "excede*"),
    "lower": ("menor", "menores", "abaixo", "inferior*", "mais baix*", "a menos", "minim*", "mais barat*",
              "mais rapid*", "menos", "piso", "ultimo lugar", "lanterna", "metade", "mais frac*", "mais lev*",
              "fica atras", "ficam atras", "apenas", "somente", "so", "poucos", "poucas"),
    "up": ("cresc*", "subi*", "sobe", "sobem", "aument*", "alta", "altas", "avanc*", "saltou", "saltaram", "salto",
           "expan*", "expand*", "dobr*", "tripl*", "quadrupl*", "multiplic*", "disparou", "dispararam", "dispara",
           "aceler*", "ganhou", "ganho"),
    "down": ("cai", "caiu", "caem", "cair", "caindo", "queda*", "recuo", "recuou", "recua", "recuar", "diminu*",
             "reduz*", "reduc*", "baixa", "baixou", "encolh*", "despenc*", "retracao", "retraiu", "perdeu", "perda",
             "declin*", "piora*", "piorou", "afund*"),
    "stable": ("estavel", "estaveis", "estabil*", "oscil*", "lateral", "constante*", "praticamente", "se mant*",
               "mantem", "mantev*", "manteve", "sem tendencia", "pouca variacao", "pequena variacao", "variou pouco",
               "varia pouco", "flutu*", "plato", "patamar", "similar*", "semelhante*", "parecid*", "equivalente*",
               "igual", "iguais", "mesmo nivel", "mesmo patamar", "empat*", "nao muda*", "pouco mudou",
               "quase o mesmo", "quase a mesma", "sem grande*"),
    "share": ("participa*", "fatia*", "do total", "da base", "responde*", "concentra*", "represent*", "uma parcela",
              "a parcela", "pequena parcela", "proporc*", "metade", "terco*", "quarto", "maioria", "minoria",
              "de cada", "a cada"),
    "second": ("em segundo", "segundo lugar", "segunda posicao", "segundo maior", "segunda maior", "segundo pior",
               "segunda pior", "segundo colocad*", "segunda colocad*", "vice", "logo atras", "em seguida",
               "na sequencia", "vem depois", "vem atras"),
    "worst": ("pior", "piores", "critic*", "problemat*", "gargalo*", "preocup*", "alarm*", "grave*", "ruim",
              "ruins", "mais afetad*", "destaque negativo"),
    "best": ("melhor", "melhores", "excelente*", "destaque positivo", "mais eficien*", "mais satisf*"),
}  # fmt: skip


class KeyFact(BaseModel):
    """One ground-truth fact of an insights item (format in the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The fact in pt-BR, as shown to the judge.")
    numbers: list[float | list[float]] = Field(
        default_factory=list, description="Number groups the sentence must state; a list = alternatives."
    )
    entities: list[str | list[str]] = Field(
        default_factory=list,
        description="Names the sentence must state; a list = alternatives, one suffices.",
    )
    claim: list[str] = Field(
        default_factory=list, description="Claim kinds (CLAIM_CUES); the sentence must express one of them."
    )
    tolerance: float = Field(
        default=DEFAULT_TOLERANCE, ge=0.0, le=1.0, description="Relative tolerance on each number."
    )

    @field_validator("numbers")
    @classmethod
    def _non_empty_groups(cls, value: list[float | list[float]]) -> list[float | list[float]]:
        if any(isinstance(g, list) and not g for g in value):
            raise ValueError("a number group is an empty list; give a value or a list of alternatives")
        return value

    @field_validator("entities")
    @classmethod
    def _non_blank_entities(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for entity in value:
            options = [entity] if isinstance(entity, str) else entity
            if not options or not all(normalise(o).strip("*") for o in options):
                raise ValueError(f"entity {entity!r} is blank; give a name or a non-empty list of names")
        return value

    @field_validator("claim")
    @classmethod
    def _known_claims(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CLAIM_CUES]
        if unknown:
            raise ValueError(f"unknown claim kind(s) {unknown}; use {sorted(CLAIM_CUES)}")
        return value

    @model_validator(mode="after")
    def _checkable(self) -> KeyFact:
        if not self.numbers and not self.entities:
            raise ValueError(
                f"key fact {self.text!r} has neither numbers nor entities, so coverage cannot check it; "
                "add the numbers/entities it states"
            )
        return self

    def groups(self) -> list[list[float]]:
        """The number groups, each as a list of alternatives."""
        return [[float(v) for v in g] if isinstance(g, list) else [float(g)] for g in self.numbers]


# --- text normalisation, sentences and number reading ----------------------------------------------


def normalise(text: str) -> str:
    """Lower-case, strip accents, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


_BREAK = re.compile(r"[.!?]+\s+|\n+")
# Words that end with a period without ending the sentence ("p.p.", "vs.", "aprox.", "R$ 1.234 mil.").
_ABBREVIATIONS = {
    "p.p",
    "pp",
    "vs",
    "aprox",
    "ex",
    "obs",
    "etc",
    "sr",
    "sra",
    "dr",
    "n",
    "nº",
    "no",
    "pag",
    "tel",
}


def sentences(text: str) -> list[str]:
    """The answer cut into sentences: at ``.``, ``!`` or ``?`` followed by a space, and at line breaks.

    A period after an abbreviation ("p.p.", "vs.", "aprox.") or a single letter does not end a sentence;
    ``1.234`` and ``4,3`` never do (no space follows the separator).
    """
    out, start = [], 0
    for m in _BREAK.finditer(text):
        if "\n" not in m.group(0) and m.group(0).startswith("."):
            words = text[start : m.start()].split()
            last = words[-1].casefold().strip("(") if words else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


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
    """All numbers a text states, as absolute values, with multiplier readings added.

    >>> extract_numbers("SP tem 42% dos pedidos e R$ 1.234,56 de ticket; receita de 1,2 milhão")
    [42.0, 1234.56, 1.2, 1200000.0]
    """
    norm = normalise(text)
    values: list[float] = []
    for match in _NUMBER_RE.finditer(norm):
        readings = _readings(match.group(0))
        values.extend(readings)
        mult = _MULTIPLIER_RE.match(norm, match.end())
        if mult:
            factor = _MULTIPLIERS[mult.group(1)]
            values.extend(r * factor for r in readings)
    return values


def _close(value: float, candidates: Iterable[float], tolerance: float) -> bool:
    target = abs(value)
    return any(abs(c - target) <= tolerance * target for c in candidates)


def _phrase_pattern(phrase: str) -> str:
    prefix = phrase.endswith("*")
    words = normalise(phrase.rstrip("*")).split()
    body = r"\s+".join(re.escape(w) for w in words)
    return r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)")


_CUE_RE = {kind: re.compile("|".join(_phrase_pattern(c) for c in cues)) for kind, cues in CLAIM_CUES.items()}


def _entity_present(entity: str | list[str], norm_sentence: str) -> bool:
    options = [entity] if isinstance(entity, str) else entity
    return any(re.search(_phrase_pattern(o), norm_sentence) for o in options)


def _claim_present(kinds: Sequence[str], norm_sentence: str) -> bool:
    return any(_CUE_RE[k].search(norm_sentence) for k in kinds)


# --- the prompt's tables ---------------------------------------------------------------------------

_CELL_RE = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class TableView:
    """What an answer is checked against: the numeric cells and the row labels of the prompt's tables."""

    cells: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()  # first column of every data row, in order, without repeats

    @classmethod
    def of(cls, prompt: str) -> TableView:
        """Parse the markdown tables of a prompt (as ``tasks._context.render_table`` writes them)."""
        cells: set[float] = set()
        labels: dict[str, None] = {}
        header = True
        for line in prompt.splitlines():
            line = line.strip()
            if not line.startswith("|"):
                header = True  # the next table starts with its header row
                continue
            if set(line) <= set("|-: "):
                continue
            row = [c.strip() for c in line.strip("|").split("|")]
            if header:
                header = False
                continue
            if row and not _CELL_RE.fullmatch(row[0]):
                labels[row[0]] = None
            cells.update(abs(float(c)) for c in row if _CELL_RE.fullmatch(c))
        return cls(tuple(sorted(cells)), tuple(labels))


def table_cells(prompt: str) -> list[float]:
    """The distinct numeric cells of the markdown tables in a prompt."""
    return list(TableView.of(prompt).cells)


def is_cell(value: float, cells: Sequence[float], tolerance: float = _CELL_TOLERANCE) -> bool:
    """Whether ``value`` is (within ``tolerance``, relative) one of the table's cells."""
    return _close(value, cells, tolerance) if value else 0.0 in cells


def table_breadth(answer: str, cells: Sequence[float]) -> dict[str, Any]:
    """How many of the table's numeric cells the answer cites, and the discount that implies.

    Returns:
        ``{"cells": n, "cited": k, "free": allowance, "discount": factor}``: ``factor`` is 1 up to the
        allowance (``max(BREADTH_FREE_CELLS, BREADTH_FREE_SHARE * n)``) and falls linearly to 0 when every
        cell is cited. It scales the credit of facts matched through table cells only.
    """
    numbers = extract_numbers(answer)
    cited = sum(1 for c in cells if (_close(c, numbers, _CELL_TOLERANCE) if c else 0.0 in numbers))
    n = len(cells)
    free = max(BREADTH_FREE_CELLS, BREADTH_FREE_SHARE * n)
    factor = 1.0
    if n > free and cited > free:
        factor = max(0.0, (n - cited) / (n - free))
    return {"cells": n, "cited": cited, "free": round(free, 2), "discount": round(factor, 4)}


def indiscriminate_claims(parts: Sequence[str], labels: Sequence[str]) -> list[str]:
    """Claim kinds the answer attaches to more than ``CLAIM_SPREAD_MAX`` of the table's row labels.

    "X é o maior" said of every month is not a finding; such a kind covers no fact. A sentence attaches its
    claim kinds to the first row label it names (its subject: in "A tem o maior X, contra B" the claim is
    about A). Only tables with at least ``CLAIM_SPREAD_MIN_ROWS`` labels are checked (in a small table most
    rows deserve a remark).
    """
    if len(labels) < CLAIM_SPREAD_MIN_ROWS:
        return []
    from tucano_commerce.tasks._facts import aliases  # the names an answer may use for a row label

    patterns = {label: re.compile("|".join(_phrase_pattern(a) for a in aliases(label))) for label in labels}
    attached: dict[str, set[str]] = {kind: set() for kind in CLAIM_CUES}
    for norm in parts:
        kinds = [k for k in CLAIM_CUES if _CUE_RE[k].search(norm)]
        found = [(m.start(), label) for label, pattern in patterns.items() if (m := pattern.search(norm))]
        if kinds and found:
            subject = min(found)[1]
            for kind in kinds:
                attached[kind].add(subject)
    return sorted(k for k, rows in attached.items() if len(rows) > CLAIM_SPREAD_MAX * len(labels))


# --- facts ----------------------------------------------------------------------------------------


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
                "tucano_commerce.scoring._key_facts."
            ) from exc
    return facts


def analysis_problems(fact: KeyFact, cells: Sequence[float]) -> list[str]:
    """Why ``fact`` does not require analysis of a table with these ``cells`` (empty: it does).

    A fact requires analysis when it states a claim and either names its subject or has a number that is
    not a table cell; without a claim, one of its number groups must have an alternative that is not a
    cell. A "share" claim must not accept a cell (a percentage column read aloud is not a share computed).
    """
    derived = [any(not is_cell(v, cells) for v in g) for g in fact.groups()]
    if not fact.claim:
        if not any(derived):
            return ["no claim and every number is a table cell: restating the table would cover it"]
        return []
    problems = []
    if not fact.entities and not any(derived):
        problems.append(
            "a claim with neither a name nor a derived number: any sentence with the cue covers it"
        )
    if "share" in fact.claim and any(is_cell(v, cells) for g in fact.groups() for v in g):
        problems.append(
            "a 'share' claim that accepts a table cell: reading a percentage column would cover it"
        )
    return problems


@dataclass
class Coverage:
    """The result of checking an answer against an item's key facts."""

    score: float | None  # credited facts / total facts (None: no facts)
    covered: float | None  # covered facts / total facts, before the breadth discount
    per_fact: list[dict[str, Any]] = field(default_factory=list)
    breadth: dict[str, Any] = field(default_factory=dict)
    indiscriminate: list[str] = field(default_factory=list)


def _match(
    fact: KeyFact, norm: str, numbers: list[float], cells: Sequence[float], kinds: Sequence[str]
) -> tuple[dict[str, Any], bool]:
    """What the sentence lacks for ``fact``, and whether a derived (non-cell) number matched.

    A derived alternative is matched only by a number of the sentence that is not itself a table cell (a
    copied cell that happens to lie within tolerance of a derived value proves no computation); a cell
    alternative, only when the fact states a claim.
    """
    computed = [c for c in numbers if not is_cell(c, cells)]
    derived_hit = False
    missing_numbers = []
    for group in fact.groups():
        derived = [v for v in group if not is_cell(v, cells) and _close(v, computed, fact.tolerance)]
        copied = [v for v in group if fact.claim and is_cell(v, cells) and _close(v, numbers, fact.tolerance)]
        if not derived and not copied:
            missing_numbers.append(group if len(group) > 1 else group[0])
        derived_hit |= bool(derived)
    missing_entities = [e for e in fact.entities if not _entity_present(e, norm)]
    claim_ok = not fact.claim or _claim_present(kinds, norm)
    found = {
        "missing_numbers": missing_numbers,
        "missing_entities": missing_entities,
        "missing_claim": [] if claim_ok else list(fact.claim),
    }
    return found, derived_hit


def check_coverage(answer: str, key_facts: Sequence[Any], *, prompt: str = "") -> Coverage:
    """Which key facts ``answer`` states as claims, and the score that earns (module docstring).

    Args:
        answer: The model's answer (free pt-BR text), copied prompt lines already removed.
        key_facts: Facts in the module's format (dicts or ``KeyFact``).
        prompt: The item's prompt; its tables give the cells and row labels (none when it has no table).

    Raises:
        DataError: a key fact is malformed.
    """
    facts = validate_key_facts(key_facts)
    if not facts:
        return Coverage(score=None, covered=None)
    table = TableView.of(prompt)
    parts = [(normalise(s), extract_numbers(s)) for s in sentences(answer)] or [("", [])]
    shotgun = indiscriminate_claims([p[0] for p in parts], table.labels)
    breadth = table_breadth(answer, table.cells)
    per_fact: list[dict[str, Any]] = []
    for fact in facts:
        kinds = [k for k in fact.claim if k not in shotgun]
        best: tuple[int, int, dict[str, Any], bool] | None = None
        for i, (norm, numbers) in enumerate(parts):
            found, derived = _match(fact, norm, numbers, table.cells, kinds)
            missing = sum(len(v) for v in found.values())
            if best is None or (missing, not derived) < (best[0], not best[3]):
                best = (missing, i, found, derived)
            if not missing and derived:
                break
        assert best is not None
        covered = best[0] == 0
        via = None if not covered else ("derived" if best[3] else "cells")
        credit = 0.0 if not covered else (1.0 if via == "derived" else breadth["discount"])
        per_fact.append(
            {
                "text": fact.text,
                "covered": covered,
                "via": via,
                "credit": credit,
                "sentence": best[1],
                **best[2],
            }
        )
    n = len(per_fact)
    return Coverage(
        score=sum(f["credit"] for f in per_fact) / n,
        covered=sum(f["covered"] for f in per_fact) / n,
        per_fact=per_fact,
        breadth=breadth,
        indiscriminate=shotgun,
    )


def key_fact_coverage(
    answer: str, key_facts: Sequence[Any], *, prompt: str = ""
) -> tuple[float | None, list[dict[str, Any]]]:
    """``(score, per_fact)`` of ``check_coverage``: the judge-free score of an answer.

    ``per_fact`` has one dict per fact with ``text``, ``covered``, ``via`` ("derived" when a number that
    is not a table cell matched, "cells" otherwise), ``credit``, ``sentence`` (index of the covering
    sentence, or of the closest one) and what that sentence lacks: ``missing_numbers``,
    ``missing_entities``, ``missing_claim``.
    """
    result = check_coverage(answer, key_facts, prompt=prompt)
    return result.score, result.per_fact


def fact_problems(fact: Any, prompt: str) -> list[str]:
    """What is wrong with one key fact for an item whose prompt is ``prompt`` (empty: nothing).

    A fact must require analysis (``analysis_problems`` on the prompt's table cells) and its own
    ``text`` must cover it, so that the sentences of the facts form a reference answer scoring 1.0.
    """
    (typed,) = validate_key_facts([fact])
    problems = analysis_problems(typed, table_cells(prompt))
    _, (result,) = key_fact_coverage(typed.text, [typed], prompt=prompt)
    if not result["covered"]:
        lacks = {k: v for k, v in result.items() if k.startswith("missing_") and v}
        problems.append(f"its text does not state it (lacks {lacks})")
    return problems
