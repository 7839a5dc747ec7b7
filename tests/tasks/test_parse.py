"""parse_response on messy model output: a table of exact cases plus property tests.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/tasks/test_parse.py
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tucano_commerce.errors import UnknownNameError
from tucano_commerce.tasks._contracts import EXTRACTION_FIELDS, check_output
from tucano_commerce.tasks._items import TASKS
from tucano_commerce.tasks._parse import ParseResult, parse_response, strip_thinking

POS = {"sentiment": "positivo", "sentiment_score": 0.8}
NEG = {"sentiment": "negativo", "sentiment_score": -0.5}
OBJ = '{"sentiment": "positivo", "sentiment_score": 0.8}'  # the reply that normalises to POS
SMART2 = "{\u201csentiment\u201d: \u201cpositivo\u201d, \u201csentiment_score\u201d: 0.8}"
SMART1 = "{\u2018sentiment\u2019: \u2018positivo\u2019, \u2018sentiment_score\u2019: 0.8}"
CHURN_75 = {"churn_probability": 0.75, "risk_level": "medio", "justificativa": "desconto de 10% ignorado"}

# (task, reply, status, normalised contract values or None)
JSON_CASES = [
    ("sentiment", OBJ, "ok", POS),
    ("sentiment", f"```json\n{OBJ}\n```", "ok", POS),
    ("sentiment", f"```\n{OBJ}\n```", "ok", POS),
    ("sentiment", f"Aqui está o JSON: {OBJ}. Espero ter ajudado!", "ok", POS),
    ("sentiment", '{"sentiment": "positivo", "sentiment_score": 0.8,}', "ok", POS),
    ("sentiment", '{\n  "sentiment": "negativo",\n  "sentiment_score": -0.5,\n}\n', "ok", NEG),
    ("sentiment", "{'sentiment': 'positivo', 'sentiment_score': 0.8}", "ok", POS),
    ("sentiment", '{"sentiment": "positivo", "sentiment_score": "0,8"}', "ok", POS),
    ("sentiment", '{"sentiment": "negativo", "sentiment_score": -0,5}', "ok", NEG),
    ("sentiment", '{"sentiment": "Negativo", "sentiment_score": "-0,5"}', "ok", NEG),
    ("sentiment", '{"sentiment": "POSITIVE", "sentiment_score": 80%}', "ok", POS),
    ("sentiment", SMART2, "ok", POS),
    ("sentiment", SMART1, "ok", POS),
    ("sentiment", '{"Sentiment": "positivo", "Sentiment_Score": 0.8}', "ok", POS),
    ("sentiment", '{"sentimento": "positivo", "sentiment_score": 0.8}', "ok", POS),
    ("sentiment", f"```\n```json\n{OBJ}\n```\n```", "ok", POS),
    ("sentiment", f'{{"resposta": {OBJ}}}', "ok", POS),
    ("sentiment", f"[{OBJ}]", "ok", POS),
    # two objects: the one with more contract keys wins, then the later one
    ("sentiment", f'{{"sentiment": "negativo"}} Corrigindo: {OBJ}', "ok", POS),
    ("sentiment", f'{OBJ} Nota: {{"sentiment": "x"}}', "ok", POS),
    ("sentiment", f'{{"sentiment": "negativo", "sentiment_score": -0.5}}\n{OBJ}', "ok", POS),
    ("sentiment", '{"sentiment": "positivo", "sentiment_score": 0.8, "nota": "usei {chaves}"}', "ok", POS),
    ("sentiment", '{"sentiment": "positivo", "sentiment_score": 0.8', "ok", POS),
    # thinking
    ("sentiment", f'<think>\nTalvez {{"sentiment": "negativo"}}\n</think>\n\n{OBJ}', "ok", POS),
    ("sentiment", f"<think>a</think><THINK>b</THINK>{OBJ}", "ok", POS),
    ("sentiment", f'Pensando... {{"sentiment": "negativo"}} </think>\n{OBJ}', "ok", POS),
    ("sentiment", f"<think>Vou analisar {OBJ}", "truncated", None),
    ("sentiment", "", "empty", None),
    ("sentiment", "  \n\t ", "empty", None),
    ("sentiment", "<think>só pensei</think>   ", "empty", None),
    ("sentiment", "O sentimento é positivo.", "parse_error", None),
    ("sentiment", '{"label": "positivo"}', "parse_error", None),
    ("sentiment", "{}", "parse_error", None),
    (
        "churn",
        "{'churn_probability': 0,8, 'risk_level': 'Alto', 'justificativa': None}",
        "ok",
        {"churn_probability": 0.8, "risk_level": "alto", "justificativa": ""},
    ),
    (
        "churn",
        '{"churn_probability": "75%", "risk_level": "médio", "justificativa": "desconto de 10% ignorado"}',
        "ok",
        CHURN_75,
    ),
    (
        "churn",
        '{"churn_probability": 75%, "risk_level": "Medio", "justificativa": "desconto de 10% ignorado"}',
        "ok",
        CHURN_75,
    ),
]

EXTRACTION_REPLY = (
    "Segue a extração:\n```json\n{'sentiment': 'Negativo', 'sentiment_score': '-0,6', 'churn_risk': '80%',\n"
    " 'repeat_intent': 0.1, 'complaint_category': 'Entrega', 'delivery_issue': 'sim',\n"
    " 'product_issue': 'não', 'seller_issue': False, 'would_recommend': None,\n"
    " 'main_complaint': 'atraso na entrega',}\n```"
)

COUNT = "SELECT COUNT(*) FROM orders"
WITH_Q = "WITH x AS (\n  SELECT 1 AS a\n)\nSELECT a FROM x"
CTE = "with recent as (select * from orders) select count(*) from recent"
LOWER = "select customer_state, count(*) from customers group by 1"
DELIVERED = "SELECT COUNT(*) FROM orders WHERE order_status = 'delivered'"

# (reply, expected SQL text)
SQL_CASES = [
    (f"```sql\n{COUNT};\n```", COUNT),
    (f"```SQL\n{COUNT}\n```\nEssa consulta conta os pedidos.", COUNT),
    (f"```\n{COUNT}\n```", COUNT),
    (f"A consulta é: {COUNT}", COUNT),
    (f"A consulta é: {COUNT}.", COUNT),
    (f"{COUNT}; -- conta\nExplicação: conta pedidos.", COUNT),
    ("SELECT a\nFROM t\n\nEsta consulta retorna a coluna a.", "SELECT a\nFROM t"),
    ("SELECT a\nFROM t\nEsta consulta retorna a coluna a.", "SELECT a\nFROM t"),
    (f"{COUNT}. Isso conta os pedidos.", COUNT),
    (LOWER, LOWER),
    ("SELECT a\nFROM t\n\nWHERE a > 1", "SELECT a\nFROM t\n\nWHERE a > 1"),
    (f"```sql\n{WITH_Q};\n```\nA CTE calcula...", WITH_Q),
    (f"Usando uma CTE: {CTE}", CTE),
    ("SELECT 'a;b' AS s, \"x;y\" FROM t; SELECT 2", "SELECT 'a;b' AS s, \"x;y\" FROM t"),
    (f"Usei SELECT com filtro: {DELIVERED}", DELIVERED),
    ("```sql\nSELECT 1\n```\nOu, melhor:\n```sql\nSELECT 2\n```", "SELECT 2"),
    ("```python\nprint(1)\n```\n```sql\nSELECT 1\n```", "SELECT 1"),
    ("<think>Talvez SELECT * FROM x</think>\n```sql\nSELECT 1\n```", "SELECT 1"),
    ("raciocínio SELECT errado</think>SELECT 1", "SELECT 1"),
    ("```sql\nSELECT order_id FROM orders", "SELECT order_id FROM orders"),
    ("Responda ```sql, sem texto.\n```sql\nSELECT 1\n```", "SELECT 1"),
]


@pytest.mark.parametrize(("task", "reply", "status", "expected"), JSON_CASES)
def test_json_cases(task: str, reply: str, status: str, expected: dict | None) -> None:
    result = parse_response(task, reply)
    assert result.status == status, result.reason
    if expected is None:
        assert result.value is None and result.reason
    else:
        check = check_output(task, result.value)
        assert check.ok, check.reason()
        assert check.values == expected


def test_extraction_reply_in_python_literal_style() -> None:
    result = parse_response("extraction", EXTRACTION_REPLY)
    assert result.status == "ok"
    check = check_output("extraction", result.value)
    assert check.values == {
        "sentiment": "negativo",
        "sentiment_score": -0.6,
        "churn_risk": 0.8,
        "repeat_intent": 0.1,
        "complaint_category": "entrega",
        "delivery_issue": True,
        "product_issue": False,
        "seller_issue": False,
        "main_complaint": "atraso na entrega",
    }
    assert [(p.field, p.kind) for p in check.problems] == [("would_recommend", "invalid_type")]


def test_notes_report_repairs() -> None:
    assert (
        "unclosed_json" in parse_response("sentiment", '{"sentiment": "positivo", "sentiment_score": 1').notes
    )
    assert "json_repaired" in parse_response("sentiment", "{'sentiment': 'positivo'}").notes
    assert parse_response("sentiment", '{"sentiment": "positivo"}').notes == ()
    assert "stray_think_close" in parse_response("insights", "x</think>y").notes


@pytest.mark.parametrize(("reply", "expected"), SQL_CASES)
def test_sql_cases(reply: str, expected: str) -> None:
    result = parse_response("sql", reply)
    assert result.status == "ok", result.reason
    assert result.value == expected


@pytest.mark.parametrize(
    ("reply", "status"),
    [("Não sei escrever essa consulta.", "parse_error"), ("", "empty"), ("<think>SELECT 1", "truncated")],
)
def test_sql_failures(reply: str, status: str) -> None:
    result = parse_response("sql", reply)
    assert (result.status, result.value) == (status, None)


@pytest.mark.parametrize(
    ("reply", "status", "value"),
    [
        ("  As vendas cresceram 10%.  ", "ok", "As vendas cresceram 10%."),
        ("<think>\nhmm\n</think>\nAs vendas cresceram.", "ok", "As vendas cresceram."),
        (" \n ", "empty", None),
        ("<think>pensando", "truncated", None),
    ],
)
def test_insights(reply: str, status: str, value: str | None) -> None:
    result = parse_response("insights", reply)
    assert (result.status, result.value) == (status, value)
    assert result.raw_answer == (value or "")


def test_strip_thinking() -> None:
    assert strip_thinking("<think>a</think>\n b") == ("\n b", False, ["think_stripped"])
    assert strip_thinking("< think >a</ think >b") == ("b", False, ["think_stripped"])
    assert strip_thinking("x <think>y") == ("x ", True, ["unclosed_think"])
    assert strip_thinking("plain") == ("plain", False, [])


# --------------------------------------------------------------------------- properties

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OUTCOMES = {"ok", "parse_error", "truncated", "empty"}


def _assert_well_formed(result: ParseResult) -> None:
    assert result.status in OUTCOMES
    assert (result.value is None) == (result.status != "ok")
    assert "parser_exception" not in result.notes, result.reason


@FAST
@given(task=st.sampled_from(TASKS), text=st.text(max_size=300))
def test_never_raises_on_arbitrary_text(task: str, text: str) -> None:
    _assert_well_formed(parse_response(task, text))


JSONISH = st.text(
    alphabet=st.sampled_from(list("{}[]\":,'0123456789.-%truefalsNoTF <think>/ \n`sqlSELECT;")), max_size=200
)


@FAST
@given(task=st.sampled_from(TASKS), text=JSONISH)
def test_never_raises_on_structural_noise(task: str, text: str) -> None:
    _assert_well_formed(parse_response(task, text))


TOKENS = st.lists(
    st.sampled_from(
        ["<think>", "</think>", "{", "}", "[", '"sentiment"', '"churn_probability"', ":", '"positivo"', ",",
         "'", '"', "```json\n", "```sql\n", "```", "SELECT", "FROM t", "WITH x AS (", ")", ";", "\n\n",
         " ", "sim", "0,8", "75%", "True", "None", "\u201c", "--", "/*"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@FAST
@given(task=st.sampled_from(TASKS), text=TOKENS)
def test_never_raises_on_token_soup(task: str, text: str) -> None:
    _assert_well_formed(parse_response(task, text))


@pytest.mark.parametrize(
    "text",
    ["<think> " * 20000, "{x} " * 5000, "SELECT a\n" + "isso é prosa.\n" * 3000, "with a (" * 20000],
)
def test_adversarial_replies_parse(text: str) -> None:
    # Their parse time (a quadratic parser took 16 s on these) is measured by benchmarks/harness_overhead.py.
    for task in ("sentiment", "sql"):
        _assert_well_formed(parse_response(task, text))


PHRASES = ["", "atraso na entrega", "produto veio quebrado", "cobrança em dobro", "vendedor não responde"]
unit = st.integers(0, 100).map(lambda k: k / 100)
signed = st.integers(-100, 100).map(lambda k: k / 100)
extraction_obj = st.fixed_dictionaries(
    {
        "sentiment": st.sampled_from(["positivo", "negativo", "neutro"]),
        "sentiment_score": signed,
        "churn_risk": unit,
        "repeat_intent": unit,
        "complaint_category": st.sampled_from(
            ["entrega", "produto", "vendedor", "atendimento", "preco", "pagamento", "outro", "nenhuma"]
        ),
        "delivery_issue": st.booleans(),
        "product_issue": st.booleans(),
        "seller_issue": st.booleans(),
        "would_recommend": st.booleans(),
        "main_complaint": st.sampled_from(PHRASES),
    }
)

_BOOL_WORDS = {True: ["sim", "Sim", "verdadeiro", "yes", 1], False: ["não", "nao", "falso", "no", 0]}
_LABEL_FORMS = {"preco": ["preço", "Preço"], "medio": ["médio"], "nenhuma": ["nenhum", "none", ""]}


@st.composite
def messy_value(draw: st.DrawFn, key: str, value: object) -> object:
    """One pt-BR-style rendering of a contract value that must normalise back to ``value``."""
    if isinstance(value, bool):
        return draw(st.sampled_from([value, *_BOOL_WORDS[value]]))
    if isinstance(value, float):
        forms = [value, f"{value:.2f}".replace(".", ","), str(value)]
        if key != "sentiment_score":
            forms.append(f"{round(value * 100)}%")
        return draw(st.sampled_from(forms))
    if key in ("sentiment", "complaint_category"):
        return draw(st.sampled_from([value, value.upper(), value.capitalize(), *_LABEL_FORMS.get(value, [])]))
    return value


@st.composite
def serialised_extraction(draw: st.DrawFn) -> tuple[dict, str]:
    obj = draw(extraction_obj)
    messy = {
        draw(st.sampled_from([k, k.capitalize(), k.upper()])): draw(messy_value(k, v)) for k, v in obj.items()
    }
    style = draw(st.sampled_from(["json", "pretty", "python", "trailing_comma"]))
    if style == "json":
        body = json.dumps(messy, ensure_ascii=False)
    elif style == "pretty":
        body = json.dumps(messy, ensure_ascii=False, indent=2)
    elif style == "python":
        body = repr(messy)
    else:
        body = json.dumps(messy, ensure_ascii=False, indent=1)[:-1].rstrip() + ",\n}"
    wrapper = draw(
        st.sampled_from(
            ["{}", "```json\n{}\n```", "```\n{}\n```", "Aqui está o JSON:\n{}\nEspero ter ajudado."]
        )
    )
    text = wrapper.replace("{}", body)
    if draw(st.booleans()):
        text = "<think>\nA cliente reclamou {talvez}.\n</think>\n" + text
    return obj, text


@FAST
@given(case=serialised_extraction())
def test_valid_object_round_trips_through_any_serialisation(case: tuple[dict, str]) -> None:
    obj, text = case
    result = parse_response("extraction", text)
    assert result.status == "ok", (result.reason, text)
    check = check_output("extraction", result.value)
    assert check.ok, (check.reason(), text)
    assert check.values == pytest.approx(obj)
    assert list(check.values) == list(EXTRACTION_FIELDS)


@FAST
@given(case=serialised_extraction(), data=st.data())
def test_never_raises_on_mutated_valid_output(case: tuple[dict, str], data: st.DataObject) -> None:
    _, text = case
    mutation = data.draw(st.sampled_from(["truncate", "insert", "unicode", "delete"]))
    i = data.draw(st.integers(0, len(text)))
    if mutation == "truncate":
        text = text[:i]
    elif mutation == "insert":
        text = text[:i] + data.draw(st.text(max_size=20)) + text[i:]
    elif mutation == "unicode":
        text = (
            text[:i]
            + data.draw(st.sampled_from(["\u201c", "\u2019", "\x00", "\ufeff", "🦜", "\u0301"]))
            + text[i:]
        )
    else:
        j = data.draw(st.integers(i, len(text)))
        text = text[:i] + text[j:]
    for task in ("extraction", "sentiment", "churn", "sql"):
        _assert_well_formed(parse_response(task, text))


def test_none_reply_is_empty_and_unknown_task_raises() -> None:
    assert parse_response("sentiment", None).status == "empty"
    with pytest.raises(UnknownNameError, match="valid tasks"):
        parse_response("translation", "x")  # type: ignore[arg-type]
