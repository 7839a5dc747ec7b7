"""A toy sixth task, whole in this one module: count the vowels of a word.

Everything the code needs to run, score, report, reward and validate it is here, in one ``TaskSpec``;
nothing else in the package changes. ``tests/scoring/test_toy_task.py`` registers it (``registered(TOY)``)
and takes it through ``tucano bench run`` / ``rescore`` / ``report``, ``bench validate``, the GRPO reward
functions, the contamination keys and the tiny model's warm-up pairs.

An item: ``{"task": "vowels", "prompt": "Palavra: abacaxi", "ground_truth": {"answer": 4}, ...}``; the reply
ends with a line ``Resposta: N``.
"""

from __future__ import annotations

import re

from tucano_commerce.scoring import ContaminationKeys, ItemScore, Metrics, ScoringResources, TaskSpec
from tucano_commerce.tasks import BenchmarkItem, strip_thinking

SYSTEM_PROMPT = "Conte as vogais (a, e, i, o, u) da palavra dada. Termine com uma linha 'Resposta: N'."
_ANSWER = re.compile(r"Resposta:\s*(-?\d+)\s*$", re.M)


class VowelMetrics(Metrics):
    """``exact``: the count is right; ``closeness``: 1 - |pred - gold| / max(gold, 1), floored at 0."""

    exact: float
    closeness: float


def read_answer(reply: str) -> int | None:
    """The last ``Resposta: N`` of the reply after thinking (None without one, or with thinking left open)."""
    answer, truncated, _ = strip_thinking(reply)
    found = _ANSWER.findall(answer)
    return None if truncated or not found else int(found[-1])


def score_vowels(item: BenchmarkItem, response: str, resources: ScoringResources) -> ItemScore:
    """Exact count, with closeness as partial credit; a reply without an answer line scores 0."""
    gold = int(item.ground_truth["answer"])
    pred = read_answer(response)
    if pred is None:
        zero = VowelMetrics(exact=0.0, closeness=0.0)
        return ItemScore(
            mean=0.0, metrics=zero.as_dict(), status="parse_error", reason="no 'Resposta: N' line"
        )
    metrics = VowelMetrics(
        exact=float(pred == gold), closeness=max(0.0, 1.0 - abs(pred - gold) / max(gold, 1))
    )
    return ItemScore(mean=metrics.exact, metrics=metrics.as_dict(), parsed=pred, details={"gold": gold})


def _problems(item: BenchmarkItem) -> list[tuple[str, str]]:
    answer = item.ground_truth.get("answer")
    ok = isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0
    return [] if ok else [("ground_truth.answer", f"expected a count >= 0, got {answer!r}")]


TOY = TaskSpec(
    name="vowels",
    label="Vowels",
    id_prefix="vow",
    difficulties=("short", "long"),
    system_prompt=SYSTEM_PROMPT,
    contract=None,
    score=score_vowels,
    partial_credit=lambda score: VowelMetrics.of(score).closeness,
    full_credit=lambda score: VowelMetrics.of(score).exact,
    format_check=lambda reply: 0.0 if read_answer(reply) is None else 1.0,
    reference_response=lambda item: f"Resposta: {item.ground_truth['answer']}",
    ground_truth_problems=_problems,
    contamination=ContaminationKeys(
        source_ids={"word": "same_word"}, distinctive=lambda text: text.removeprefix("Palavra: ")
    ),
    warm_start_reply=lambda rng: f"Resposta: {rng.randint(0, 9)}",
)
