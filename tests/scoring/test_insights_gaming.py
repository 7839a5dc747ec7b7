"""Issue 11 §6 on the real benchmark: restating the table earns nothing, analysis earns the score.

Table-restating replies (``insights_replies.restating_replies``: 8 phrasings x 3 recommendation variants)
must score <= 0.2 on every insights item; the reference answers (the facts' sentences) and hand-written
paraphrases of them >= 0.9; and the GRPO insights reward, fed the same replies, gives the same numbers.
"""

from __future__ import annotations

import json

import pytest
from insights_replies import PARAPHRASES, restating_replies

from tucano_commerce.data._build import to_row
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.scoring import score_item
from tucano_commerce.tasks import read_items
from tucano_commerce.tasks._facts import reference_answer

ITEMS = [i for i in read_items() if i.task == "insights"]


def test_fifteen_items_with_claims() -> None:
    assert len(ITEMS) == 15
    for item in ITEMS:
        facts = item.ground_truth["key_facts"]
        assert len(facts) >= 2 and all(f["claim"] for f in facts), item.id


@pytest.mark.parametrize("item", ITEMS, ids=[i.id for i in ITEMS])
def test_restating_the_table_scores_at_most_0_2(item) -> None:
    replies = restating_replies(item.prompt)
    assert len(replies) == 24
    scores = {name: score_item(item, text).mean for name, text in replies.items()}
    assert max(scores.values()) <= 0.2, {k: v for k, v in scores.items() if v > 0.2}


@pytest.mark.parametrize("item", ITEMS, ids=[i.id for i in ITEMS])
def test_reference_and_paraphrase_score_at_least_0_9(item) -> None:
    reference = reference_answer(item.ground_truth["key_facts"])
    assert score_item(item, reference).mean == 1.0
    paraphrase = PARAPHRASES[item.id]
    assert paraphrase != reference
    score = score_item(item, paraphrase)
    assert score.mean >= 0.9, [f for f in score.details["key_facts"] if not f["covered"]]


def test_the_grpo_reward_applies_the_same_rules() -> None:
    from tucano_commerce.train._rewards import build_reward_functions

    _, partial, full = build_reward_functions(similarity=lambda a, b: 1.0)
    item = next(i for i in ITEMS if i.id == "ins-007")
    row = to_row(TrainingExample(id="train-ins-07", task="insights", label_source="synthetic", source={},
                                 prompt=[{"role": "system", "content": item.system},
                                         {"role": "user", "content": item.prompt}],
                                 ground_truth=item.ground_truth))  # fmt: skip
    replies = [reference_answer(item.ground_truth["key_facts"]), PARAPHRASES[item.id],
               *restating_replies(item.prompt).values()]  # fmt: skip
    cols = {"task": [row["task"]] * len(replies), "ground_truth": [row["ground_truth"]] * len(replies),
            "source": [row["source"]] * len(replies), "prompts": [row["prompt"]] * len(replies)}  # fmt: skip
    completions = [[{"role": "assistant", "content": r}] for r in replies]
    coverage = partial(completions, **cols)
    assert coverage == [score_item(item, r).metrics["key_fact_coverage"] for r in replies]
    assert coverage[:2] == [1.0, 1.0] and max(coverage[2:]) == 0.0
    assert full(completions, **cols)[:2] == [1.0, 1.0]
    assert json.loads(row["ground_truth"])["key_facts"][0]["claim"]


def test_no_row_label_reads_as_a_claim() -> None:
    """A row's name must not be a cue word ("domingo" once matched "domin*"): restating would make claims."""
    from tucano_commerce.scoring._key_facts import _CUE_RE, TableView, normalise
    from tucano_commerce.tasks._facts import WEEKDAYS, aliases

    labels = {label for item in ITEMS for label in TableView.of(item.prompt).labels} | set(WEEKDAYS)
    for label in labels:
        for name in aliases(label):
            assert not [k for k, cue in _CUE_RE.items() if cue.search(normalise(name))], name
