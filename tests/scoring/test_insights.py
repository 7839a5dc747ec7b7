"""Insights scoring: judge-free key-fact coverage, and score_insights with and without a real local judge.

PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_insights.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.openai_server import FakeOpenAI
from tucano_commerce.errors import DataError
from tucano_commerce.scoring._insights import extract_numbers, key_fact_coverage, score_insights
from tucano_commerce.scoring._judge import Judge, judge_from_spec
from tucano_commerce.tasks._items import BenchmarkItem

FACTS: list[dict[str, Any]] = [
    {"text": "SP concentra 42% dos pedidos", "numbers": [42.0], "entities": ["SP"]},
    {"text": "O ticket médio é R$ 1.234,56", "numbers": [1234.56], "entities": []},
    {"text": "A nota média caiu de 4,2 para 3,9", "numbers": [4.2, 3.9], "entities": [["caiu", "queda"]]},
    {"text": "Maranhão tem o maior atraso", "entities": ["Maranhão"]},
]

GOOD = (
    "São Paulo (SP) concentra 42 % dos pedidos, com ticket médio de R$ 1.234,56. A nota média teve "
    "queda de 4,2 para 3,9, e o Maranhao lidera os atrasos. Recomendo renegociar prazos no Nordeste."
)


def item(key_facts: list[Any] | None = None, **gt: Any) -> BenchmarkItem:
    return BenchmarkItem(
        id="ins-001",
        task="insights",
        difficulty="comparison",
        system="Você é um analista de negócios.",
        prompt="Compare os estados por volume de pedidos e avaliação. Dados: SP 42%, RJ 13%.",
        ground_truth={"key_facts": FACTS if key_facts is None else key_facts, **gt},
        source={"dataset": "synthetic"},
    )


class TestNumbers:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("1.234,56", 1234.56),
            ("42%", 42.0),
            ("42 %", 42.0),
            ("R$ 1.234", 1234.0),
            ("R$1.234,00", 1234.0),
            ("12,5", 12.5),
            ("1,234.56", 1234.56),
            ("1.234.567", 1234567.0),
            ("R$ 3 mil", 3000.0),
            ("R$ 1,2 milhão", 1_200_000.0),
            ("2,5 milhões de pedidos", 2_500_000.0),
            ("R$ 1,5 mi", 1_500_000.0),
            ("queda de -12%", 12.0),
            ("0,123", 0.123),
        ],
    )
    def test_pt_br_formats(self, text: str, value: float) -> None:
        assert value in extract_numbers(text)

    def test_ambiguous_thousands_gives_both_readings(self) -> None:
        assert {1234.0, 1.234} <= set(extract_numbers("1.234"))
        assert 12.5 not in extract_numbers("125")  # no invented decimals


class TestCoverage:
    def test_all_covered(self) -> None:
        score, per_fact = key_fact_coverage(GOOD, FACTS)
        assert score == 1.0
        assert all(f["covered"] for f in per_fact)

    def test_partial_coverage_exact_fraction(self) -> None:
        answer = "SP concentra 42% dos pedidos. A nota média subiu de 4,2 para 3,9."
        score, per_fact = key_fact_coverage(answer, FACTS)
        assert score == pytest.approx(1 / 4)
        assert [f["covered"] for f in per_fact] == [True, False, False, False]
        assert per_fact[1]["missing_numbers"] == [1234.56]
        assert per_fact[2]["missing_entities"] == [["caiu", "queda"]]
        assert per_fact[3]["missing_entities"] == ["Maranhão"]

    def test_three_of_five(self) -> None:
        facts = [{"text": f"fato {i}", "numbers": [float(v)]} for i, v in enumerate([10, 20, 30, 40, 50])]
        score, _ = key_fact_coverage("Vimos 10, 30 e 50.", facts)
        assert score == pytest.approx(3 / 5)

    @pytest.mark.parametrize(
        ("answer", "tolerance", "covered"),
        [
            ("cresceu 42,3%", 0.02, True),
            ("cresceu 43%", 0.02, False),
            ("cresceu 43%", 0.05, True),
            ("cresceu 40%", 0.05, True),
            ("cresceu 39%", 0.05, False),
        ],
    )
    def test_tolerance(self, answer: str, tolerance: float, covered: bool) -> None:
        score, _ = key_fact_coverage(answer, [{"text": "42%", "numbers": [42.0], "tolerance": tolerance}])
        assert score == (1.0 if covered else 0.0)

    def test_default_tolerance_accepts_rounded_money(self) -> None:
        fact = {"text": "receita de R$ 1.234.567", "numbers": [1_234_567.0]}
        assert key_fact_coverage("receita de R$ 1,23 milhão", [fact])[0] == 1.0
        assert key_fact_coverage("receita de R$ 1,1 milhão", [fact])[0] == 0.0

    def test_zero_needs_exact(self) -> None:
        fact = {"text": "nenhum cancelamento", "numbers": [0.0]}
        assert key_fact_coverage("houve 0 cancelamentos", [fact])[0] == 1.0
        assert key_fact_coverage("houve 1 cancelamento", [fact])[0] == 0.0

    @pytest.mark.parametrize(
        ("entity", "answer", "covered"),
        [
            ("São Paulo", "sao paulo lidera", True),
            ("sao paulo", "SÃO PAULO lidera", True),
            ("Maranhão", "o MARANHÃO atrasa", True),
            ("SP", "SPA e spam não contam", False),
            ("SP", "lidera (SP).", True),
            ("cama mesa banho", "Cama  mesa   banho cresceu", True),
            (["RJ", "Rio de Janeiro"], "o Rio de Janeiro vem depois", True),
        ],
    )
    def test_entities(self, entity: Any, answer: str, covered: bool) -> None:
        assert key_fact_coverage(answer, [{"text": "x", "entities": [entity]}])[0] == (
            1.0 if covered else 0.0
        )

    def test_no_facts_is_none(self) -> None:
        assert key_fact_coverage("qualquer coisa", []) == (None, [])

    @pytest.mark.parametrize(
        "fact",
        [
            {"text": "sem nada verificável"},
            {"numbers": [1.0]},
            {"text": "x", "numbers": [1.0], "unknown": 1},
            {"text": "x", "entities": [""]},
            {"text": "x", "entities": [[]]},
            {"text": "x", "numbers": [1.0], "tolerance": -0.1},
        ],
    )
    def test_malformed_fact_is_data_error(self, fact: dict[str, Any]) -> None:
        with pytest.raises(DataError, match=r"key_facts\[0\]"):
            key_fact_coverage("x", [fact])


class TestScoreWithoutJudge:
    def test_coverage_is_the_score(self) -> None:
        score = score_insights(item(), GOOD)
        assert score.mean == 1.0 and score.status == "ok"
        assert score.metrics == {"key_fact_coverage": 1.0}
        assert score.details["score_source"] == "key_fact_coverage"
        assert score.parsed == GOOD

    def test_partial(self) -> None:
        score = score_insights(item(), "SP concentra 42% dos pedidos.")
        assert score.mean == pytest.approx(0.25)

    def test_closed_think_is_stripped(self) -> None:
        score = score_insights(item(), "<think>Talvez RJ com 13%... R$ 1.234,56</think>\nSP tem 42%.")
        assert score.mean == pytest.approx(0.25) and score.status == "ok"
        assert score.parsed == "SP tem 42%."

    def test_stray_think_close_keeps_what_follows(self) -> None:  # Qwen3 templates open <think> in the prompt
        score = score_insights(item(), "Talvez R$ 1.234,56...\n</think>\n\nSP tem 42%.")
        assert score.mean == pytest.approx(0.25) and score.parsed == "SP tem 42%."

    def test_unclosed_think_is_truncated(self) -> None:
        score = score_insights(item(), "<think>SP tem 42% e o ticket é R$ 1.234,56 e ")
        assert score.mean == 0.0 and score.status == "truncated"

    @pytest.mark.parametrize("response", ["", "   \n", "<think>hmm</think>  "])
    def test_empty(self, response: str) -> None:
        score = score_insights(item(), response)
        assert score.mean == 0.0 and score.status == "empty"

    def test_missing_key_facts_is_data_error(self) -> None:
        bad = item()
        bad.ground_truth.pop("key_facts")
        with pytest.raises(DataError, match="ins-001"):
            score_insights(bad, GOOD)

    def test_no_facts_no_judge_is_unscored(self) -> None:
        score = score_insights(item(key_facts=[]), GOOD)
        assert score.mean is None and score.status == "unscored"


# --- with a judge on a real local server --------------------------------------------------------

REPLIES = {
    "good-judge": json.dumps(
        {"justificativa": "ok", "relevance": 5, "accuracy": 4, "actionability": 4, "portuguese": 5}
    ),
    "bad-judge": "Não sei avaliar.",
}


@pytest.fixture(scope="module")
def judge_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(lambda request: REPLIES[request.model]) as server:
        yield server


def local_judge(url: str, model: str) -> Judge:
    return judge_from_spec(f"openai:{model}@{url}", api_key_env="TUCANO_NO_SUCH_KEY", runs=3, timeout_s=2.0)


class TestScoreWithJudge:
    def test_judge_score_is_the_mean(self, judge_server: FakeOpenAI) -> None:
        with local_judge(judge_server.base_url, "good-judge") as judge:
            score = score_insights(
                item(rubric=["cita o Nordeste"]), "SP concentra 42% dos pedidos.", judge=judge
            )
        assert score.status == "ok"
        assert score.mean == pytest.approx((4.5 - 1) / 4)
        assert score.details["score_source"] == "judge"
        assert score.metrics["key_fact_coverage"] == pytest.approx(0.25)
        assert score.metrics["judge"] == pytest.approx(0.875)
        assert score.metrics["relevance"] == 5.0 and score.metrics["accuracy"] == 4.0
        assert score.metrics["actionability"] == 4.0 and score.metrics["portuguese"] == 5.0
        assert score.details["judge"]["valid_runs"] == 3
        user = judge_server.requests[-1].body["messages"][1]["content"]
        assert "SP concentra 42% dos pedidos" in user and "Maranhão tem o maior atraso" in user
        assert "cita o Nordeste" in user and "Compare os estados" in user

    def test_unparseable_judge_is_unscored_but_reports_coverage(self, judge_server: FakeOpenAI) -> None:
        with local_judge(judge_server.base_url, "bad-judge") as judge:
            score = score_insights(item(), GOOD, judge=judge)
        assert score.mean is None and score.status == "unscored"
        assert score.metrics["key_fact_coverage"] == 1.0
        assert score.metrics["judge"] is None and score.metrics["accuracy"] is None
        assert score.details["score_source"] == "judge"
        assert "no JSON object" in (score.reason or "")

    def test_empty_answer_skips_judge(self, judge_server: FakeOpenAI) -> None:
        before = judge_server.count
        with local_judge(judge_server.base_url, "good-judge") as judge:
            score = score_insights(item(), "", judge=judge)
        assert score.mean == 0.0 and score.status == "empty"
        assert judge_server.count == before


def test_copying_the_prompt_earns_no_key_fact_coverage():
    """A reply that echoes the data table must not 'state' its numbers (a base model does exactly that)."""
    from tucano_commerce.scoring._insights import strip_copied_lines
    from tucano_commerce.tasks import read_items

    item = next(i for i in read_items() if i.task == "insights")
    echoed = score_insights(item, item.prompt)
    assert echoed.metrics["key_fact_coverage"] == 0.0
    respaced = item.prompt.replace(" | ", "|")  # the table re-printed with other spacing is still a copy
    assert score_insights(item, respaced).metrics["key_fact_coverage"] == 0.0
    table = "| estado | pedidos | pct |\n| SP | 4073 | 40.96 |"
    assert strip_copied_lines(table + "\nSP tem 42% dos pedidos", table) == "SP tem 42% dos pedidos"


# --- facts as claims (issue 11 §6) -------------------------------------------------------------------

TABLE_PROMPT = """Dados:

**Atraso por mês**

| mes | entregues | pct_atraso |
|---|---|---|
| 2018-01 | 691 | 4.2 |
| 2018-02 | 669 | 15.7 |
| 2018-03 | 702 | 21.1 |
| 2018-04 | 723 | 5.8 |

Pergunta: Em quais meses o atraso disparou?"""

PEAK = {"text": "março de 2018 teve o pico de atraso, 21,1%, 3,6 vezes o de abril", "numbers": [[21.1, 3.64]],
        "entities": [["2018-03", "março de 2018"]], "claim": ["higher", "up"], "tolerance": 0.03}  # fmt: skip
GAP = {
    "text": "fevereiro ficou 11,5 p.p. acima de janeiro",
    "numbers": [11.5],
    "entities": [],
    "tolerance": 0.03,
}


def table_item(facts: list[dict[str, Any]]) -> BenchmarkItem:
    return BenchmarkItem(id="ins-099", task="insights", difficulty="trend", system="s", prompt=TABLE_PROMPT,
                         ground_truth={"key_facts": facts}, source={"dataset": "test"})  # fmt: skip


class TestClaims:
    def test_a_claim_is_matched_inside_one_sentence(self) -> None:
        facts = [PEAK]
        assert (
            key_fact_coverage("O pico foi em março de 2018, com 21,1%.", facts, prompt=TABLE_PROMPT)[0] == 1.0
        )
        scattered = "Março de 2018 teve 702 entregas. O pico geral foi alto. A taxa chegou a 21,1% num mês."
        score, (fact,) = key_fact_coverage(scattered, facts, prompt=TABLE_PROMPT)
        assert score == 0.0 and not fact["covered"]

    def test_the_claim_word_is_required(self) -> None:
        _, (fact,) = key_fact_coverage(
            "Em março de 2018 foram 21,1% de atrasos.", [PEAK], prompt=TABLE_PROMPT
        )
        assert not fact["covered"] and fact["missing_claim"] == ["higher", "up"]
        assert (
            key_fact_coverage("Em março de 2018 o atraso disparou: 21,1%.", [PEAK], prompt=TABLE_PROMPT)[0]
            == 1.0
        )

    def test_a_copied_cell_covers_nothing_without_a_claim(self) -> None:
        copied = {"text": "taxa de março", "numbers": [21.1], "entities": [["2018-03"]]}
        answer = "Em 2018-03 a taxa foi 21,1%."
        assert key_fact_coverage(answer, [copied])[0] == 1.0  # no table: the old rule
        assert key_fact_coverage(answer, [copied], prompt=TABLE_PROMPT)[0] == 0.0  # the number is a cell

    def test_a_derived_number_counts_without_a_claim(self) -> None:
        answer = "Fevereiro ficou 11,5 pontos acima de janeiro."
        score, (fact,) = key_fact_coverage(answer, [GAP], prompt=TABLE_PROMPT)
        assert score == 1.0 and fact["via"] == "derived"

    def test_number_alternatives(self) -> None:
        ratio_only = "O pico de março de 2018 foi 3,6 vezes o nível de abril."
        assert key_fact_coverage(ratio_only, [PEAK], prompt=TABLE_PROMPT)[0] == 1.0

    def test_unknown_claim_kind_is_a_data_error(self) -> None:
        with pytest.raises(DataError, match="unknown claim kind"):
            key_fact_coverage("x", [{**PEAK, "claim": ["biggest"]}])

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("A nota caiu 1,7 p.p. acima do normal. Depois subiu.", 2),
            ("R$ 1.234,56 vs. 2,3 aprox. 4 mil", 1),
            ("utilidades cresceu 4 vezes. automotivo cresceu 286%.", 2),
            ("- item um\n- item dois", 2),
        ],
    )
    def test_sentences(self, text: str, expected: int) -> None:
        from tucano_commerce.scoring._key_facts import sentences

        assert len(sentences(text)) == expected


class TestAnalysisProblems:
    def test_cells_only_without_claim(self) -> None:
        from tucano_commerce.scoring._key_facts import KeyFact, analysis_problems, table_cells

        cells = table_cells(TABLE_PROMPT)
        assert cells == [4.2, 5.8, 15.7, 21.1, 669.0, 691.0, 702.0, 723.0]
        assert analysis_problems(KeyFact(text="t", numbers=[21.1]), cells)
        assert not analysis_problems(KeyFact(text="t", numbers=[11.5]), cells)
        assert not analysis_problems(KeyFact.model_validate(PEAK), cells)
        share_of_cell = KeyFact(text="t", numbers=[15.7], entities=["2018-02"], claim=["share"])
        assert "share" in analysis_problems(share_of_cell, cells)[0]


class TestSelecting:
    def test_citing_most_cells_discounts_facts_matched_through_cells(self) -> None:
        from tucano_commerce.scoring._key_facts import table_breadth, table_cells

        prompt = TABLE_PROMPT.replace("| 2018-04 | 723 | 5.8 |", "| 2018-04 | 723 | 5.8 |\n| 2018-05 | 657 | 5.5 |\n"
                                      "| 2018-06 | 615 | 4.4 |")  # fmt: skip
        selective = "Março de 2018 teve o pico, 21,1%."
        dump = selective + " Os demais: 691, 4,2; 669, 15,7; 702; 723, 5,8; 657, 5,5; 615, 4,4."
        assert table_breadth(selective, table_cells(prompt))["discount"] == 1.0
        breadth = table_breadth(dump, table_cells(prompt))
        assert breadth["cited"] == breadth["cells"] == 12 and breadth["discount"] == 0.0
        assert key_fact_coverage(selective, [PEAK], prompt=prompt)[0] == 1.0
        assert key_fact_coverage(dump, [PEAK], prompt=prompt)[0] == 0.0
        with_ratio = (
            "Março de 2018 teve o pico, 3,6 vezes abril. " + dump
        )  # a derived number keeps its credit
        assert key_fact_coverage(with_ratio, [PEAK], prompt=prompt)[0] == 1.0

    def test_a_claim_made_of_most_rows_covers_nothing(self) -> None:
        from tucano_commerce.scoring._key_facts import check_coverage
        from tucano_commerce.tasks._facts import aliases, name

        rows = "\n".join(f"| 2017-{m:02d} | {100 + m} | {m}.5 |" for m in range(1, 11))
        prompt = f"| mes | entregues | pct_atraso |\n|---|---|---|\n{rows}"
        peak = {
            "text": "pico em outubro",
            "numbers": [10.5],
            "entities": [aliases("2017-10")],
            "claim": ["higher"],
        }
        assert check_coverage("Outubro de 2017 foi o pico, 10,5%.", [peak], prompt=prompt).score == 1.0
        # "the highest" said of every month; the numbers are one column only, so breadth alone would not catch it
        shotgun = " ".join(f"Em {name(f'2017-{m:02d}')} a taxa foi a maior, {m},5%." for m in range(1, 11))
        result = check_coverage(shotgun, [peak], prompt=prompt)
        assert result.breadth["discount"] == 1.0
        assert result.indiscriminate == ["higher"] and result.score == 0.0
        # a few rows with the claim (the spikes) are a selection, not a shotgun
        three = " ".join(f"Em {name(f'2017-{m:02d}')} a taxa foi a maior, {m},5%." for m in (8, 9, 10))
        assert check_coverage(three, [peak], prompt=prompt).score == 1.0
