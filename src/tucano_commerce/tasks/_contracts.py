"""Output contracts of the benchmark tasks and the pt-BR system prompts that state them.

The review tasks' decision rules (sentiment anchors, mixed reviews, would_recommend, seller_issue)
are worded once in ``_codebook`` and quoted by both these prompts and the codebook in
``benchmark/README.md``.

Each JSON task (extraction, sentiment, churn) has one pydantic model that is the single truth for its
fields: names, enums and numeric ranges. The field-level checker :func:`check_output` and the prompts'
examples are derived from those models, and tests check that every prompt names each field and label,
so they cannot drift apart. The sql
task answers with one DuckDB statement and the insights task with free pt-BR text; they have prompts
but no JSON contract.

:func:`check_output` never raises on model output: it returns the fields it could normalise plus a
list of :class:`FieldProblem` for the others, because scorers give credit field by field.

Normalisation decisions (what a model may write and still get the field):

* Keys: compared after stripping quotes and whitespace, lowercasing, removing accents and turning
  spaces/hyphens into ``_`` (``"Sentiment"`` and ``"sentiment "`` match). A small alias table maps the
  pt-BR translations of the field names (``"sentimento"``, ``"risco_churn"``, ``"justification"`` ...)
  onto them; the exact field name wins over an alias. Unknown keys are reported, never scored.
* Numbers: JSON numbers, or strings with a decimal comma (``"0,8"``, ``"-0,5"``), a unicode minus, a
  leading ``+`` or a trailing percent sign (``"75%"`` -> 0.75). A percentage is divided by 100 for
  every numeric field, ``sentiment_score`` included (``"-50%"`` -> -0.5): unusual, but the only
  reading that makes sense. A bare number outside the range (``75`` for a [0, 1] field) is
  out of range, not rescaled: guessing the scale would reward ambiguous output. Booleans, NaN and
  infinities are not numbers here.
* Booleans: JSON booleans, the integers 1/0 and the strings true/false, sim/não (with or without the
  accent), verdadeiro/falso, yes/no, "1"/"0". Anything else (including null) is invalid.
* Enums: compared case- and accent-insensitively with surrounding punctuation stripped
  (``"Negativo"``, ``"Médio"``, ``"preço"``). Synonyms, see ``_ENUM_SYNONYMS``: English labels
  (positive, medium, delivery ...), pt-BR feminine/plural forms (positiva, alta, outros ...), and for
  ``complaint_category`` every way of saying "none" (nenhum, none, n/a, "", JSON null) -> ``nenhuma``.
  "misto"/"mixed" is *not* mapped to neutro: a mixed review is not a neutral one.
* ``main_complaint``: stripped text; JSON null and placeholders that mean "no complaint" (nenhuma,
  nenhum, none, n/a, "-", "sem reclamação", "não há") become ``""`` so that they match an empty gold.
"""

from __future__ import annotations

import json
import math
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tucano_commerce.errors import DataError
from tucano_commerce.tasks._codebook import (
    MIXED_RULE,
    PARTIAL_DELIVERY_RULE,
    SCORE_RULE,
    SELLER_ISSUE_RULE,
    SENTIMENT_RULE,
    WOULD_RECOMMEND_RULE,
)
from tucano_commerce.tasks._items import BenchmarkItem

SentimentLabel = Literal["positivo", "negativo", "neutro"]
ComplaintCategory = Literal[
    "entrega", "produto", "vendedor", "atendimento", "preco", "pagamento", "outro", "nenhuma"
]
RiskLevel = Literal["baixo", "medio", "alto"]
JsonTask = Literal["extraction", "sentiment", "churn"]
JSON_TASKS: tuple[JsonTask, ...] = ("extraction", "sentiment", "churn")


class ExtractionOutput(BaseModel):
    """What the extraction task asks for: ten fields read from one customer review."""

    model_config = ConfigDict(extra="forbid")

    sentiment: SentimentLabel = Field(description="Overall polarity of the review; follows sentiment_score.")
    sentiment_score: float = Field(
        ge=-1, le=1, description="-1 very negative ... 1 very positive, on anchors."
    )
    churn_risk: float = Field(ge=0, le=1, description="Chance that the customer does not buy again.")
    repeat_intent: float = Field(ge=0, le=1, description="Stated or implied intent to buy again.")
    complaint_category: ComplaintCategory = Field(description="Main complaint's category; nenhuma = none.")
    delivery_issue: bool = Field(description="The review reports a delivery problem.")
    product_issue: bool = Field(description="The review reports a problem with the product itself.")
    seller_issue: bool = Field(
        description="The review reports a seller error in the sale: wrong item sent or sale cancelled."
    )
    would_recommend: bool = Field(
        description="An explicit recommendation (or refusal) if the text has one, else sentiment == positivo."
    )
    main_complaint: str = Field(description='The main complaint in a few words; "" when there is none.')


class SentimentOutput(BaseModel):
    """What the sentiment task asks for: polarity and intensity of one review."""

    model_config = ConfigDict(extra="forbid")

    sentiment: SentimentLabel = Field(description="Overall polarity of the review; follows sentiment_score.")
    sentiment_score: float = Field(
        ge=-1, le=1, description="-1 very negative ... 1 very positive, on anchors."
    )


class ChurnOutput(BaseModel):
    """What the churn task asks for: a probability, its risk band and a short justification."""

    model_config = ConfigDict(extra="forbid")

    churn_probability: float = Field(ge=0, le=1, description="Probability that the customer churns.")
    risk_level: RiskLevel = Field(description="Risk band: baixo, medio or alto.")
    justificativa: str = Field(description="Short pt-BR justification.")


CONTRACTS: dict[JsonTask, type[BaseModel]] = {
    "extraction": ExtractionOutput,
    "sentiment": SentimentOutput,
    "churn": ChurnOutput,
}
EXTRACTION_FIELDS: tuple[str, ...] = tuple(ExtractionOutput.model_fields)
SENTIMENT_FIELDS: tuple[str, ...] = tuple(SentimentOutput.model_fields)
CHURN_FIELDS: tuple[str, ...] = tuple(ChurnOutput.model_fields)
CONTRACT_FIELDS: dict[JsonTask, tuple[str, ...]] = {t: tuple(m.model_fields) for t, m in CONTRACTS.items()}

# One short, valid example per JSON task; built from the models so the prompts can't show a bad one.
EXAMPLES: dict[JsonTask, BaseModel] = {
    "extraction": ExtractionOutput(
        sentiment="negativo",
        sentiment_score=-0.7,
        churn_risk=0.8,
        repeat_intent=0.1,
        complaint_category="entrega",
        delivery_issue=True,
        product_issue=False,
        seller_issue=False,
        would_recommend=False,
        main_complaint="pedido chegou com duas semanas de atraso",
    ),
    "sentiment": SentimentOutput(sentiment="positivo", sentiment_score=0.9),
    "churn": ChurnOutput(
        churn_probability=0.72,
        risk_level="alto",
        justificativa="Uma única compra há mais de um ano e avaliação negativa da entrega.",
    ),
}

_JSON_RULES = (
    "Responda APENAS com o objeto JSON, sem texto antes ou depois e sem comentários. "
    "Use aspas duplas, ponto como separador decimal e true/false sem aspas."
)


def _example_json(task: JsonTask) -> str:
    return json.dumps(EXAMPLES[task].model_dump(), ensure_ascii=False)


SYSTEM_PROMPTS: dict[str, str] = {
    "extraction": (
        "Você é um analista de avaliações de clientes de um e-commerce brasileiro. Leia a avaliação e "
        "responda com um objeto JSON com exatamente estes 10 campos:\n"
        f'- "sentiment": "positivo", "negativo" ou "neutro"; {SENTIMENT_RULE};\n'
        f'- "sentiment_score": número de -1 a 1; {SCORE_RULE};\n'
        '- "churn_risk": número de 0 a 1, a chance de o cliente não comprar de novo;\n'
        '- "repeat_intent": número de 0 a 1, a intenção do cliente de comprar de novo;\n'
        '- "complaint_category": a categoria da principal reclamação: "entrega" (atraso, não entregue, '
        'entrega incompleta), "produto" (defeito, má qualidade, não funciona, avariado), "vendedor" '
        '(enviou item, cor ou tamanho errado; cancelou a venda), "atendimento" (sem resposta, troca ou '
        'devolução), "preco" (preço ou frete caro), "pagamento" (cobrança, estorno), "outro", ou '
        f'"nenhuma" (sem reclamação sobre esta compra); {PARTIAL_DELIVERY_RULE};\n'
        '- "delivery_issue": true se o texto relata problema com a entrega (principal ou não), senão false;\n'
        '- "product_issue": true se o texto relata problema com o produto (principal ou não), senão false;\n'
        f'- "seller_issue": {SELLER_ISSUE_RULE}, senão false;\n'
        f'- "would_recommend": {WOULD_RECOMMEND_RULE};\n'
        '- "main_complaint": a principal reclamação em poucas palavras, ou "" se não houver.\n'
        f"{MIXED_RULE}.\n"
        "Avalie o que o texto diz, não a nota em estrelas.\n"
        f"{_JSON_RULES}\nExemplo:\n{_example_json('extraction')}"
    ),
    "sentiment": (
        "Você é um analista de avaliações de clientes de um e-commerce brasileiro. Classifique o "
        "sentimento da avaliação e responda com um objeto JSON com exatamente estes 2 campos:\n"
        f'- "sentiment": "positivo", "negativo" ou "neutro"; {SENTIMENT_RULE};\n'
        f'- "sentiment_score": número de -1 a 1; {SCORE_RULE}.\n'
        f"{MIXED_RULE}.\n"
        f"{_JSON_RULES}\nExemplo:\n{_example_json('sentiment')}"
    ),
    "churn": (
        "Você é um analista de retenção de clientes de um e-commerce brasileiro. A partir do histórico "
        "do cliente, estime o risco de ele não comprar mais (churn) e responda com um objeto JSON com "
        "exatamente estes 3 campos:\n"
        '- "churn_probability": número de 0 a 1, a probabilidade de churn;\n'
        '- "risk_level": "baixo" (probabilidade < 0,4), "medio" (0,4 a 0,7) ou "alto" (0,7 ou mais);\n'
        '- "justificativa": uma ou duas frases em português explicando a estimativa.\n'
        f"{_JSON_RULES}\nExemplo:\n{_example_json('churn')}"
    ),
    "sql": (
        "Você é um analista de dados de um e-commerce brasileiro. Escreva UMA única consulta SQL no "
        "dialeto do DuckDB que responda à pergunta, usando apenas as tabelas e colunas descritas. "
        "A consulta deve ser somente de leitura (SELECT, ou WITH ... SELECT). Responda apenas com a "
        "consulta dentro de um bloco ```sql, sem explicações.\nExemplo:\n"
        "```sql\nSELECT order_status, COUNT(*) AS pedidos\nFROM orders\nGROUP BY order_status\n"
        "ORDER BY pedidos DESC;\n```"
    ),
    "insights": (
        "Você é um analista de negócios de um e-commerce brasileiro. Responda à pergunta em português "
        "do Brasil, em texto corrido e objetivo (no máximo três parágrafos), citando os números "
        "fornecidos que sustentam cada conclusão e terminando com recomendações práticas. "
        "Não invente dados que não estejam no contexto.\nExemplo de estilo:\n"
        "As vendas de cama, mesa e banho cresceram 12% no trimestre, enquanto a nota média caiu de 4,2 "
        "para 3,9, puxada por atrasos na entrega. Recomendo renegociar prazos com as transportadoras "
        "das regiões Norte e Nordeste."
    ),
}

ProblemKind = Literal["missing", "invalid_type", "out_of_range", "bad_enum"]


class FieldProblem(BaseModel):
    """Why one contract field of a model's output could not be used."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(description="Contract field name.")
    kind: ProblemKind = Field(description="missing, invalid_type, out_of_range or bad_enum.")
    detail: str = Field(description="Human-readable explanation, with the offending value.")


class ContractCheck(BaseModel):
    """Field-level result of checking one parsed object against a task's contract."""

    model_config = ConfigDict(frozen=True)

    task: JsonTask
    values: dict[str, Any] = Field(description="Normalised values of the fields that passed, by field name.")
    problems: tuple[FieldProblem, ...] = Field(default=(), description="One entry per field that failed.")
    extra_keys: tuple[str, ...] = Field(
        default=(), description="Keys that are not contract fields (ignored)."
    )

    @property
    def ok(self) -> bool:
        """True when every contract field is present and valid."""
        return not self.problems

    def reason(self) -> str | None:
        """One line listing the problems, or None when there are none."""
        if not self.problems:
            return None
        return "; ".join(f"{p.field}: {p.detail}" for p in self.problems)


# --------------------------------------------------------------------------- field specs from the models


class _Spec(typing.NamedTuple):
    kind: Literal["enum", "number", "bool", "text"]
    choices: tuple[str, ...] = ()
    lo: float = -math.inf
    hi: float = math.inf


def _spec_of(info: Any) -> _Spec:
    ann = info.annotation
    if typing.get_origin(ann) is Literal:
        return _Spec("enum", choices=tuple(typing.get_args(ann)))
    if ann is bool:
        return _Spec("bool")
    if ann is float:
        lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), -math.inf)
        hi = next((m.le for m in info.metadata if hasattr(m, "le")), math.inf)
        return _Spec("number", lo=float(lo), hi=float(hi))
    if ann is str:
        return _Spec("text")
    raise TypeError(f"unsupported contract annotation {ann!r}")  # a bug in this module, not model data


_SPECS: dict[JsonTask, dict[str, _Spec]] = {
    task: {name: _spec_of(info) for name, info in model.model_fields.items()}
    for task, model in CONTRACTS.items()
}

# pt-BR / English names a model may use for a field (folded keys, "|"-separated); only consulted when
# the exact field name is absent.
_ALIAS_TABLE: dict[str, str] = {
    "sentiment": "sentimento|polaridade",
    "sentiment_score": "pontuacao_sentimento|score_sentimento",
    "churn_risk": "risco_churn|risco_de_churn",
    "repeat_intent": "intencao_recompra|intencao_de_recompra",
    "complaint_category": "categoria_reclamacao|categoria_da_reclamacao",
    "delivery_issue": "problema_entrega",
    "product_issue": "problema_produto",
    "seller_issue": "problema_vendedor",
    "would_recommend": "recomendaria",
    "main_complaint": "reclamacao_principal",
    "churn_probability": "probabilidade_churn|probabilidade_de_churn",
    "risk_level": "nivel_risco|nivel_de_risco",
    "justificativa": "justification",
}
KEY_ALIASES: dict[str, str] = {alias: f for f, alts in _ALIAS_TABLE.items() for alias in alts.split("|")}

# Words that mean "no complaint" (folded): complaint_category -> nenhuma, main_complaint -> "".
_NONE_ALTS = "nenhuma|nenhum|none|null|n/a|na|-|sem reclamacao|nao ha|no complaint|"
_NONE_WORDS = frozenset(_NONE_ALTS.split("|"))
# label -> other (folded) ways a model writes it; "|"-separated to keep the table readable.
_SYNONYM_TABLE: dict[str, dict[str, str]] = {
    "sentiment": {
        "positivo": "positive|positiva",
        "negativo": "negative|negativa",
        "neutro": "neutral|neutra",
    },
    "risk_level": {
        "baixo": "low|baixa",
        "medio": "medium|media|moderado|moderada",
        "alto": "high|alta|elevado|elevada",
    },
    "complaint_category": {
        "entrega": "delivery",
        "produto": "product",
        "vendedor": "seller",
        "atendimento": "customer service|customer_service|suporte",
        "preco": "price",
        "pagamento": "payment",
        "outro": "other|outros|outra",
        "nenhuma": _NONE_ALTS,
    },
}
_ENUM_SYNONYMS: dict[str, dict[str, str]] = {
    field: {alt: label for label, alts in table.items() for alt in alts.split("|")}
    for field, table in _SYNONYM_TABLE.items()
}
_TRUE = frozenset({"true", "sim", "verdadeiro", "yes", "1"})
_FALSE = frozenset({"false", "nao", "falso", "no", "0"})
_QUOTES = "\"'“”‘’`"


def fold_text(text: str) -> str:
    """Lowercase, strip accents, collapse whitespace and surrounding quotes/punctuation.

    Args:
        text: Any string.

    Returns:
        The folded string, e.g. ``" Médio. "`` -> ``"medio"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    no_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(no_accents.lower().split()).strip(_QUOTES + ".!;: ")


def canonical_key(task: JsonTask, key: Any) -> str | None:
    """Map a key written by a model onto a contract field name, or None if it is not one.

    Args:
        task: The JSON task whose contract applies.
        key: The key as parsed (usually a str).

    Returns:
        The field name, or None.
    """
    folded = fold_text(str(key)).replace(" ", "_").replace("-", "_")
    if folded in _SPECS[task]:
        return folded
    alias = KEY_ALIASES.get(folded)
    return alias if alias in _SPECS[task] else None


def present_fields(task: JsonTask, obj: Mapping[Any, Any]) -> set[str]:
    """The contract fields that a parsed object has keys for (valid or not).

    Args:
        task: The JSON task whose contract applies.
        obj: A parsed JSON object.

    Returns:
        The set of field names.
    """
    return {f for k in obj if (f := canonical_key(task, k)) is not None}


# --------------------------------------------------------------------------- value normalisers


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):  # bool is an int subclass; True is not a probability
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        s = "".join(value.split()).replace("\u2212", "-").lstrip("+")
        percent = s.endswith("%")
        s = s.rstrip("%")
        if "," in s and "." in s:  # the later separator is the decimal one: 1.234,5 / 1,234.5
            thousands = "." if s.rfind(",") > s.rfind(".") else ","
            s = s.replace(thousands, "").replace(",", ".")
        else:
            s = s.replace(",", ".")
        try:
            number = float(s)
        except ValueError:
            return None
        if percent:
            number /= 100
    else:
        return None
    return number if math.isfinite(number) else None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        folded = fold_text(value)
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    return None


def _check_field(field: str, spec: _Spec, value: Any) -> tuple[Any, FieldProblem | None]:
    """Normalise one value; returns (value, None) or (None, problem)."""

    def problem(kind: ProblemKind, detail: str) -> tuple[None, FieldProblem]:
        return None, FieldProblem(field=field, kind=kind, detail=detail)

    shown = repr(value)[:80]
    if spec.kind == "number":
        number = _to_number(value)
        if number is None:
            return problem("invalid_type", f"not a number: {shown}")
        if not spec.lo <= number <= spec.hi:
            return problem("out_of_range", f"{number:g} outside [{spec.lo:g}, {spec.hi:g}]")
        return number, None
    if spec.kind == "bool":
        flag = _to_bool(value)
        return (flag, None) if flag is not None else problem("invalid_type", f"not a boolean: {shown}")
    if spec.kind == "enum":
        if value is None and field == "complaint_category":
            return "nenhuma", None  # null = "no complaint", the same as the documented "" / "nenhum"
        if not isinstance(value, str):
            return problem("invalid_type", f"not a label: {shown}")
        folded = fold_text(value)
        label = folded if folded in spec.choices else _ENUM_SYNONYMS.get(field, {}).get(folded)
        if label is None:
            return problem("bad_enum", f"{shown} not one of {', '.join(spec.choices)}")
        return label, None
    # text
    if value is None:
        return "", None
    if not isinstance(value, str):
        return problem("invalid_type", f"not text: {shown}")
    text = value.strip()
    if field == "main_complaint" and fold_text(text) in _NONE_WORDS:
        text = ""
    return text, None


def check_output(task: JsonTask, obj: Any) -> ContractCheck:
    """Check a parsed object against a task's contract, field by field; never raises.

    Args:
        task: "extraction", "sentiment" or "churn".
        obj: The parsed JSON value (normally a dict; anything else yields all fields missing).

    Returns:
        A :class:`ContractCheck` with the normalised valid fields and one problem per bad field.
    """
    specs = _SPECS[task]
    found: dict[str, Any] = {}
    extra: list[str] = []
    exact: set[str] = set()
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            field = canonical_key(task, key)
            if field is None:
                extra.append(str(key))
                continue
            is_exact = fold_text(str(key)).replace(" ", "_").replace("-", "_") == field
            # The exact field name beats an alias; among equals the first occurrence wins.
            if field not in found or (is_exact and field not in exact):
                found[field] = value
                if is_exact:
                    exact.add(field)
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for field, spec in specs.items():
        if field not in found:
            problems.append(FieldProblem(field=field, kind="missing", detail="field missing"))
            continue
        value, problem = _check_field(field, spec, found[field])
        if problem is None:
            values[field] = value
        else:
            problems.append(problem)
    return ContractCheck(task=task, values=values, problems=tuple(problems), extra_keys=tuple(extra))


def item_ground_truth(item: BenchmarkItem | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The id and ground truth of a benchmark item given as a model or a dict in its schema.

    Args:
        item: A :class:`BenchmarkItem` or a mapping with at least ``ground_truth`` (and ideally ``id``).

    Returns:
        ``(id, ground_truth)``; id is ``"?"`` when the mapping has none.

    Raises:
        DataError: The item has no ground-truth mapping.
    """
    if isinstance(item, BenchmarkItem):
        return item.id, dict(item.ground_truth)
    item_id = str(item.get("id", "?")) if isinstance(item, Mapping) else "?"
    gt = item.get("ground_truth") if isinstance(item, Mapping) else None
    if not isinstance(gt, Mapping):
        raise DataError(f"benchmark item {item_id} has no ground_truth object; fix benchmark/prompts.jsonl.")
    return item_id, dict(gt)


def normalize_ground_truth(
    task: JsonTask, item: BenchmarkItem | Mapping[str, Any], *, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """Normalise an item's ground truth with the same rules as model output.

    Args:
        task: The JSON task whose contract applies.
        item: A :class:`BenchmarkItem` or a dict in its schema.
        fields: The contract fields the ground truth must have (default: all). Churn items, for
            example, carry no reference ``justificativa``.

    Returns:
        The normalised ground-truth values of the required fields (and any other valid ones).

    Raises:
        DataError: A required ground-truth field is missing or invalid (a benchmark bug, not model output).
    """
    item_id, gt = item_ground_truth(item)
    check = check_output(task, gt)
    required = set(CONTRACT_FIELDS[task] if fields is None else fields)
    bad = [p for p in check.problems if p.field in required]
    if bad:
        listed = "; ".join(f"{p.field}: {p.detail}" for p in bad)
        raise DataError(
            f"benchmark item {item_id}: ground truth does not satisfy the {task} contract "
            f"({listed}); fix benchmark/prompts.jsonl."
        )
    return dict(check.values)
