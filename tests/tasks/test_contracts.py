"""Output contracts: prompts agree with the models, and field-level normalisation is exact.

Run: PYTHONPATH=src .venv/bin/python -m pytest tests/tasks/test_contracts.py
"""

from __future__ import annotations

import typing

import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.tasks._contracts import (
    CHURN_FIELDS,
    CONTRACT_FIELDS,
    CONTRACTS,
    EXAMPLES,
    EXTRACTION_FIELDS,
    JSON_TASKS,
    SENTIMENT_FIELDS,
    SYSTEM_PROMPTS,
    check_output,
    normalize_ground_truth,
    present_fields,
)
from tucano_commerce.tasks._items import TASKS, BenchmarkItem
from tucano_commerce.tasks._parse import parse_response

VALID_EXTRACTION = EXAMPLES["extraction"].model_dump()


def test_field_tuples() -> None:
    assert len(EXTRACTION_FIELDS) == 10
    assert EXTRACTION_FIELDS[0] == "sentiment" and EXTRACTION_FIELDS[-1] == "main_complaint"
    assert SENTIMENT_FIELDS == ("sentiment", "sentiment_score")
    assert CHURN_FIELDS == ("churn_probability", "risk_level", "justificativa")
    assert set(CONTRACT_FIELDS) == set(JSON_TASKS) == set(CONTRACTS)


def test_every_task_has_a_system_prompt() -> None:
    assert set(SYSTEM_PROMPTS) == set(TASKS)
    assert all(p.strip() for p in SYSTEM_PROMPTS.values())


@pytest.mark.parametrize("task", JSON_TASKS)
def test_prompt_names_every_field_and_enum_value(task: str) -> None:
    prompt = SYSTEM_PROMPTS[task]
    for name, info in CONTRACTS[task].model_fields.items():
        assert f'"{name}"' in prompt
        if typing.get_origin(info.annotation) is typing.Literal:
            for label in typing.get_args(info.annotation):
                assert f'"{label}"' in prompt, (name, label)


@pytest.mark.parametrize("task", JSON_TASKS)
def test_prompt_example_parses_back_to_a_valid_object(task: str) -> None:
    parsed = parse_response(task, SYSTEM_PROMPTS[task].split("Exemplo:\n", 1)[1])
    assert parsed.status == "ok"
    check = check_output(task, parsed.value)
    assert check.ok and check.values == EXAMPLES[task].model_dump()


def test_sql_prompt_example_parses() -> None:
    parsed = parse_response("sql", SYSTEM_PROMPTS["sql"])
    assert parsed.status == "ok"
    assert parsed.value.startswith("SELECT order_status") and parsed.value.endswith("DESC")


@pytest.mark.parametrize("task", JSON_TASKS)
def test_json_schema_available_for_structured_output(task: str) -> None:
    schema = CONTRACTS[task].model_json_schema()
    assert set(schema["required"]) == set(CONTRACT_FIELDS[task])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("sentiment", "Negativo", "negativo"),
        ("sentiment", " POSITIVE. ", "positivo"),
        ("sentiment", "neutra", "neutro"),
        ("sentiment_score", "-0,5", -0.5),
        ("sentiment_score", "\u22120,25", -0.25),
        ("sentiment_score", "-50%", -0.5),
        ("sentiment_score", "+0.3", 0.3),
        ("sentiment_score", -1, -1.0),
        ("churn_risk", "0,8", 0.8),
        ("churn_risk", "75%", 0.75),
        ("churn_risk", "75 %", 0.75),
        ("churn_risk", 1, 1.0),
        ("repeat_intent", "0.05", 0.05),
        ("complaint_category", "Entrega", "entrega"),
        ("complaint_category", "preço", "preco"),
        ("complaint_category", "PREÇO", "preco"),
        ("complaint_category", "nenhum", "nenhuma"),
        ("complaint_category", "none", "nenhuma"),
        ("complaint_category", "", "nenhuma"),
        ("complaint_category", None, "nenhuma"),
        ("complaint_category", "outros", "outro"),
        ("complaint_category", "delivery", "entrega"),
        ("delivery_issue", "sim", True),
        ("delivery_issue", "Não", False),
        ("delivery_issue", "nao", False),
        ("delivery_issue", "verdadeiro", True),
        ("delivery_issue", "falso", False),
        ("delivery_issue", "yes", True),
        ("delivery_issue", "no", False),
        ("delivery_issue", 1, True),
        ("delivery_issue", 0, False),
        ("delivery_issue", "true", True),
        ("main_complaint", "  atraso  ", "atraso"),
        ("main_complaint", None, ""),
        ("main_complaint", "Nenhuma.", ""),
        ("main_complaint", "N/A", ""),
    ],
)
def test_extraction_value_normalisation(field: str, raw: object, expected: object) -> None:
    check = check_output("extraction", {**VALID_EXTRACTION, field: raw})
    assert check.ok, check.reason()
    assert check.values[field] == (pytest.approx(expected) if isinstance(expected, float) else expected)
    assert type(check.values[field]) is type(expected)


@pytest.mark.parametrize(
    ("task", "field", "raw", "expected"),
    [
        ("churn", "risk_level", "médio", "medio"),
        ("churn", "risk_level", "Medio", "medio"),
        ("churn", "risk_level", "ALTA", "alto"),
        ("churn", "risk_level", "low", "baixo"),
        ("churn", "churn_probability", "72%", 0.72),
        ("churn", "justificativa", None, ""),
    ],
)
def test_other_contract_normalisation(task: str, field: str, raw: object, expected: object) -> None:
    check = check_output(task, {**EXAMPLES[task].model_dump(), field: raw})
    assert check.ok and check.values[field] == expected


@pytest.mark.parametrize(
    ("field", "raw", "kind"),
    [
        ("sentiment", "misto", "bad_enum"),
        ("sentiment", 1, "invalid_type"),
        ("sentiment_score", 1.5, "out_of_range"),
        ("sentiment_score", "-150%", "out_of_range"),
        ("churn_risk", 75, "out_of_range"),
        ("churn_risk", "alto", "invalid_type"),
        ("churn_risk", True, "invalid_type"),
        ("churn_risk", float("nan"), "invalid_type"),
        ("churn_risk", None, "invalid_type"),
        ("complaint_category", "frete", "bad_enum"),
        ("delivery_issue", "talvez", "invalid_type"),
        ("delivery_issue", None, "invalid_type"),
        ("delivery_issue", 2, "invalid_type"),
        ("main_complaint", ["a", "b"], "invalid_type"),
    ],
)
def test_field_problems_keep_the_other_fields(field: str, raw: object, kind: str) -> None:
    check = check_output("extraction", {**VALID_EXTRACTION, field: raw})
    assert not check.ok
    assert [(p.field, p.kind) for p in check.problems] == [(field, kind)]
    assert set(check.values) == set(EXTRACTION_FIELDS) - {field}
    assert field in (check.reason() or "")


def test_missing_fields_and_extra_keys() -> None:
    check = check_output("sentiment", {"sentiment": "positivo", "confidence": 0.9})
    assert check.values == {"sentiment": "positivo"}
    assert [(p.field, p.kind) for p in check.problems] == [("sentiment_score", "missing")]
    assert check.extra_keys == ("confidence",)


@pytest.mark.parametrize("obj", [None, [], "positivo", 3, [{"sentiment": "positivo"}]])
def test_non_object_has_every_field_missing(obj: object) -> None:
    check = check_output("sentiment", obj)
    assert check.values == {} and [p.kind for p in check.problems] == ["missing", "missing"]


def test_keys_are_case_accent_insensitive_with_aliases() -> None:
    check = check_output("sentiment", {" Sentiment ": "Positivo", "SENTIMENT-SCORE": "0,8"})
    assert check.ok and check.values == {"sentiment": "positivo", "sentiment_score": 0.8}
    check = check_output(
        "churn", {"Probabilidade de churn": 0.3, "nível de risco": "baixo", "justification": "x"}
    )
    assert check.ok and check.values == {
        "churn_probability": 0.3,
        "risk_level": "baixo",
        "justificativa": "x",
    }
    assert present_fields("sentiment", {"Sentimento": 1, "foo": 2}) == {"sentiment"}


def test_exact_key_beats_alias_whatever_the_order() -> None:
    check = check_output(
        "sentiment", {"sentimento": "negativo", "sentiment": "positivo", "sentiment_score": 0}
    )
    assert check.values["sentiment"] == "positivo"
    check = check_output(
        "sentiment", {"sentiment": "positivo", "sentimento": "negativo", "sentiment_score": 0}
    )
    assert check.values["sentiment"] == "positivo"


def _item(task: str, ground_truth: dict) -> BenchmarkItem:
    return BenchmarkItem(
        id=f"{task[:3]}-001",
        task=task,
        difficulty="easy",
        system=SYSTEM_PROMPTS[task],
        prompt="x",
        ground_truth=ground_truth,
        source={},
    )


def test_ground_truth_is_normalised_and_checked() -> None:
    assert normalize_ground_truth(
        "sentiment", _item("sentiment", {"sentiment": "Positivo", "sentiment_score": 1})
    )["sentiment"] == ("positivo")
    assert normalize_ground_truth(
        "sentiment", {"ground_truth": {"sentiment": "neutro", "sentiment_score": 0}}
    ) == {
        "sentiment": "neutro",
        "sentiment_score": 0.0,
    }
    with pytest.raises(DataError, match="sen-001.*sentiment_score"):
        normalize_ground_truth("sentiment", _item("sentiment", {"sentiment": "positivo"}))
    with pytest.raises(DataError, match="ground_truth"):
        normalize_ground_truth("sentiment", {"id": "x"})
    churn_gt = {"churn_probability": 0.2, "risk_level": "baixo", "churned": False}
    assert normalize_ground_truth(
        "churn", {"ground_truth": churn_gt}, fields=("churn_probability", "risk_level")
    )
