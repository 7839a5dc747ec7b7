"""Key facts of insight items, written once for the benchmark's authoring script and the training data.

A key fact is a *claim* about the table (see ``tucano_commerce.scoring._key_facts``): a derived number
(difference, ratio, share, growth, rank), the names it is about and the claim kind it supports ("higher",
"up", "stable" ...), with a pt-BR sentence (``text``) that states it. The builders here compute the
derived numbers from table rows and write the sentence, so the benchmark and the GRPO insights reward
read facts of the same form; ``scoring.fact_problems`` checks that a fact needs analysis and that its own
text covers it (``tucano bench validate`` and the training-data build both run it).

Entities are given by their raw value ("2017-11", "credit_card", "SP", "cama_mesa_banho"); ``aliases``
lists the ways an answer may name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tucano_commerce._ptbr import MONTHS

Fact = dict[str, Any]
Row = tuple[Any, ...]

STATE_NAMES = {"SP": "São Paulo", "RJ": "Rio de Janeiro", "MG": "Minas Gerais", "RS": "Rio Grande do Sul",
               "PR": "Paraná", "SC": "Santa Catarina", "BA": "Bahia", "CE": "Ceará", "PE": "Pernambuco",
               "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás", "MA": "Maranhão", "PA": "Pará",
               "AL": "Alagoas", "SE": "Sergipe", "PB": "Paraíba", "RN": "Rio Grande do Norte", "PI": "Piauí",
               "MT": "Mato Grosso", "MS": "Mato Grosso do Sul", "AM": "Amazonas", "TO": "Tocantins",
               "RO": "Rondônia", "AP": "Amapá", "RR": "Roraima", "AC": "Acre"}  # fmt: skip

PAYMENT_ALIASES = {"credit_card": ["cartão de crédito", "crédito"], "debit_card": ["cartão de débito", "débito"],
                   "boleto": [], "voucher": ["vale"], "not_defined": []}  # fmt: skip
WEEKDAYS = (
    "domingo",
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
)
# Labels of the bands some training tables show, with the other ways of writing them.
BAND_ALIASES = {
    "até 500 g": ["até 500g", "até meio quilo"],
    "500 g a 2 kg": ["500g a 2kg", "500 g e 2 kg", "500g e 2kg", "entre 500 g e 2 kg"],
    "2 a 5 kg": ["2kg a 5kg", "2 e 5 kg", "entre 2 e 5 kg"],
    "5 kg ou mais": ["5kg ou mais", "mais de 5 kg", "mais de 5kg"],
    "até R$ 50": ["até 50 reais"],
    "R$ 50 a 100": ["R$ 50 a R$ 100", "50 a 100 reais", "entre R$ 50 e R$ 100"],
    "R$ 100 a 200": ["R$ 100 a R$ 200", "100 a 200 reais", "entre R$ 100 e R$ 200"],
    "R$ 200 a 500": ["R$ 200 a R$ 500", "200 a 500 reais", "entre R$ 200 e R$ 500"],
    "R$ 500 ou mais": ["mais de R$ 500", "mais de 500 reais", "500 reais ou mais"],
    "mesmo estado": ["mesmo estado", "mesma UF", "mesmo estado do cliente", "vendas locais", "locais"],
    "outro estado": ["outro estado", "outros estados", "interestadua*", "de fora do estado"],
}  # no cue word of scoring._key_facts.CLAIM_CUES in a label or its aliases ("acima", "menos" ...)


def aliases(entity: str) -> list[str]:
    """The ways an answer may name ``entity`` (a month, quarter, payment type, state, category ...)."""
    out = [entity]
    if len(entity) == 7 and entity[4] == "-" and entity[:4].isdigit() and entity[5:].isdigit():  # 2017-11
        year, month = entity[:4], MONTHS[int(entity[5:]) - 1]
        out += [
            f"{month} de {year}",
            f"{month}/{year}",
            f"{month[:3]}/{year}",
            f"{month[:3]}/{year[2:]}",
            f"{month} {year}",
            f"{month[:3]} {year}",
            f"{month} de {year[2:]}",
        ]
    elif "-T" in entity:  # 2018-T2
        year, q = entity.split("-T")
        out += [
            f"{q}º trimestre de {year}",
            f"{q}o trimestre de {year}",
            f"T{q} {year}",
            f"T{q}/{year}",
            f"{q}T{year[2:]}",
            f"T{q} de {year}",
            f"T{q}/{year[2:]}",
            f"{q}º tri de {year}",
        ]
    elif entity in BAND_ALIASES:
        out += BAND_ALIASES[entity]
    elif entity in WEEKDAYS:
        day = entity.split("-")[0]
        out += [day] + ([f"{day}s-feiras", f"{day}s"] if "-" in entity else [f"{day}s"])
    elif entity in PAYMENT_ALIASES:
        out += PAYMENT_ALIASES[entity]
    elif entity in STATE_NAMES:
        out.append(STATE_NAMES[entity])
    elif "_" in entity:  # category: cama_mesa_banho
        out.append(entity.replace("_", " "))
    elif entity[:-1].isdigit() and entity.endswith("x"):  # installments 7x
        out += [f"{entity[:-1]} vezes", f"{entity[:-1]} parcelas"] + (["à vista"] if entity == "1x" else [])
    elif entity[:1].isdigit() and "-" in entity:  # bands 0-90, 2-3x
        lo, hi = entity.rstrip("x").split("-")
        out += [f"{lo} a {hi}", f"{lo} e {hi}"] + ([f"até {hi}", f"últimos {hi}"] if lo == "0" else [])
    elif entity[:-1].isdigit() and entity.endswith("+"):  # open band 366+
        n = int(entity[:-1])
        out += [f"mais de {n - 1}", f"{n} ou mais"]
    return list(dict.fromkeys(out))


def name(entity: str) -> str:
    """How a fact's text names ``entity``: "março de 2018", "o 2º trimestre de 2018", "cartão de crédito", "SP"."""
    if "-T" in entity:
        return "o " + aliases(entity)[1]
    if (len(entity) == 7 and entity[4] == "-") or entity in ("credit_card", "debit_card"):
        return aliases(entity)[1]
    return entity


def _from_to(before: str, after: str) -> str:
    """ "De janeiro de 2017 para março de 2018", "Do 1º trimestre de 2017 para o 2º trimestre de 2018"."""
    a, b = name(before), name(after)
    return ("Do " + a[2:] if a.startswith("o ") else "De " + a) + " para " + b


class TieError(ValueError):
    """Two rows tie where a fact would name one of them as the leader."""


# --- pt-BR numbers ----------------------------------------------------------------------------------


def br(value: float, decimals: int = 2) -> str:
    """A number as a pt-BR text writes it: ``1.234,56``; zeros ending the decimals dropped (``4,3``)."""
    text = f"{abs(float(value)):,.{decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    out = whole.replace(",", ".") + ("," + frac if frac else "")
    return ("-" if float(value) < 0 and out.strip("0,.") else "") + out


def pct(value: float, decimals: int = 1) -> str:
    """``21,1%``."""
    return br(value, decimals) + "%"


def money(value: float) -> str:
    """``R$ 1.234,56`` (always two decimals)."""
    text = br(value, 2)
    whole, _, frac = text.partition(",")
    return f"R$ {whole},{frac.ljust(2, '0')}"


def times(value: float) -> str:
    """A multiple as a text writes it: ``1,35`` below 2 (one decimal would be 4 % off), else ``3,9``."""
    return br(value, 2 if abs(float(value)) < 2 else 1)


def ratio(a: float, b: float) -> float:
    """``a / b`` (how many times); 0 when ``b`` is 0."""
    return float(a) / float(b) if float(b) else 0.0


def growth(before: float, after: float) -> float:
    """Percentage change from ``before`` to ``after``."""
    return 100.0 * (float(after) / float(before) - 1.0) if float(before) else 0.0


# --- facts ------------------------------------------------------------------------------------------


def fact(
    text: str,
    numbers: Sequence[Any] | None = None,
    entities: Sequence[str | Sequence[str]] | None = None,
    tolerance: float = 0.02,
    claim: Sequence[str] = (),
) -> Fact:
    """A key fact in the scorer's format.

    Args:
        text: the claim as one pt-BR sentence (it must cover the fact itself: ``scoring.fact_problems``).
        numbers: number groups: a value, or a list of alternatives (e.g. ``[ratio, difference]``).
        entities: raw values (expanded by ``aliases``) or explicit lists of accepted names.
        tolerance: relative tolerance on the numbers.
        claim: claim kinds (``scoring._key_facts.CLAIM_CUES``), one of which the sentence must express.
    """

    def num(group: Any) -> float | list[float]:
        if isinstance(group, (list, tuple)):
            return list(dict.fromkeys(round(float(x), 2) for x in group))
        return round(float(group), 2)

    def ent(entity: str | Sequence[str]) -> list[str]:
        return aliases(entity) if isinstance(entity, str) else list(entity)

    return {
        "text": text,
        "numbers": [num(g) for g in numbers or []],
        "entities": [ent(e) for e in entities or []],
        "claim": list(claim),
        "tolerance": tolerance,
    }


def by_max(rows: Sequence[Row], col: int) -> Row:
    """The row with the largest value in ``col`` (ties: the first label in text order)."""
    return sorted(rows, key=lambda r: (-float(r[col]), str(r[0])))[0]


def by_min(rows: Sequence[Row], col: int) -> Row:
    """The row with the smallest value in ``col`` (ties: the first label in text order)."""
    return sorted(rows, key=lambda r: (float(r[col]), str(r[0])))[0]


def leader(
    rows: Sequence[Row],
    col: int,
    what: str,
    fmt: Any = br,
    *,
    article: str = "o",
    lowest: bool = False,
    against: str = "last",
    by: str = "ratio",
    unit: str = "",
    claim: Sequence[str] = (),
) -> Fact:
    """The row leading on ``col`` (or trailing, ``lowest``), quantified against another row.

    ``what`` is the measure's name ("taxa de atraso") and ``article`` its article ("a"). ``against="last"``
    compares with the opposite extreme, ``"second"`` with the runner-up; ``by="ratio"`` quantifies the lead
    as a multiple, ``by="diff"`` as a difference written with ``unit`` ("ponto", "dias"). Numbers: the
    leader's value or the lead (either suffices); claim: higher (lower), plus ``claim``.
    """
    ordered = sorted(rows, key=lambda r: ((1 if lowest else -1) * float(r[col]), str(r[0])))
    top, other = ordered[0], ordered[1] if against == "second" else ordered[-1]
    if float(ordered[0][col]) == float(ordered[1][col]):
        raise TieError(f"no single row leads on column {col}: {ordered[0][0]} and {ordered[1][0]} tie")
    if by == "ratio":
        lead = ratio(other[col], top[col]) if lowest else ratio(top[col], other[col])
        how = f"{times(lead)} vezes"
    else:
        lead = abs(float(top[col]) - float(other[col]))
        how = f"{br(lead)} {unit} {'a menos' if lowest else 'a mais'}".replace("  ", " ")
    word = "menor" if lowest else "maior"
    text = (
        f"{name(str(top[0]))} tem {article} {word} {what}, {fmt(top[col])}, contra {fmt(other[col])} de "
        f"{name(str(other[0]))} ({how})."
    )
    kinds = ["lower" if lowest else "higher", *claim]
    return fact(text, [[top[col], lead]], [str(top[0])], tolerance=0.03, claim=kinds)


def change(
    before: Row,
    after: Row,
    col: int,
    what: str,
    fmt: Any = br,
    *,
    points: bool = False,
    stable_below: float | None = None,
) -> Fact:
    """How ``col`` moved from row ``before`` to row ``after``, and the claim that makes (up/down/stable).

    The move is a growth in % or, with ``points``, a difference in percentage points (for a column that is
    already a percentage). Below ``stable_below`` (5 % or 1 p.p. by default) the claim is "stable".
    Entities: the later row's label; numbers: the move (or the multiple when it more than doubled; for a
    stable series also the two values).
    """
    a, b = float(before[col]), float(after[col])
    move = b - a if points else growth(a, b)
    limit = stable_below if stable_below is not None else (1.0 if points else 5.0)
    digits = 2 if abs(move) < 10 else 1
    size = f"{br(abs(move), digits)} p.p." if points else pct(abs(move), digits)
    if abs(move) < limit:
        kind, verb, alternatives = (
            "stable",
            f"ficou praticamente estável (variação de {size})",
            [abs(move), a, b],
        )
    else:
        kind, verb = ("up", f"cresceu {size}") if move > 0 else ("down", f"caiu {size}")
        alternatives = [abs(move)] + ([ratio(b, a)] if not points and move >= 100 else [])
    text = f"{_from_to(str(before[0]), str(after[0]))}, {what} {verb}, de {fmt(before[col])} para {fmt(after[col])}."
    return fact(text, [alternatives], [str(after[0])], tolerance=0.05, claim=[kind])


def share(part: float, total: float, label: str | Sequence[str], text: str) -> Fact:
    """``part`` as a share of ``total`` (a derived percentage); ``text`` has ``{share}`` where it goes."""
    value = 100.0 * float(part) / float(total)
    return fact(
        text.format(share=pct(value)), [value], [label], tolerance=0.05, claim=["share", "higher", "lower"]
    )


def reference_answer(key_facts: Sequence[Any]) -> str:
    """The facts' sentences as one answer (what ``tucano bench validate`` scores as the reference)."""
    return "\n".join(str(f["text"] if isinstance(f, dict) else f.text) for f in key_facts)
