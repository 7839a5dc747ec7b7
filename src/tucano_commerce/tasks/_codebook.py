"""The review codebook's decision rules, worded once, and a mechanical check of labels against them.

The annotators' codebook (``benchmark/README.md``, "Codebook for the review labels") and the extraction
and sentiment system prompts the models see must state the same rules. The pt-BR sentences below are
that single wording: ``_contracts.SYSTEM_PROMPTS`` is built from them and the codebook quotes them
verbatim (``tests/tasks/test_codebook.py`` checks both), so neither side can drift.

:func:`label_problems` checks what the rules make mechanically checkable in a label: the sentiment label
follows the score, the main complaint implies its issue flag, ``nenhuma`` has no flag and no complaint
text, and ``would_recommend`` is an explicit (non-ironic) recommendation cue if the text has one, else
"sentiment is positivo". ``tucano bench validate`` runs it on every review item; the synthetic grammar
and the silver labeller are tested against it. The cue detector :func:`recommendation_cue` is shared
with the silver labeller, so the labeller and the check read a text the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# --------------------------------------------------------------------------- the rules, in pt-BR

# Short on purpose: these sentences go into every extraction/sentiment prompt, and GRPO v3 caps prompts
# at 1,024 tokens (configs/grpo_v3.yaml); the codebook explains each rule at length around its quote.
# Anchors of sentiment_score (value, meaning), in the order the prompt lists them.
SCORE_ANCHORS: tuple[tuple[str, str], ...] = (
    ("-0,9", "furioso, quer o dinheiro de volta"),
    ("-0,7", "negativo"),
    ("-0,5", "negativo comedido"),
    ("-0,3", "misto, mais negativo"),
    ("0", "neutro"),
    ("0,3", "misto, mais positivo"),
    ("0,8", "positivo"),
    ("0,9", "entusiasmado"),
)
SCORE_RULE = "âncoras: " + "; ".join(f"{v} {m}" for v, m in SCORE_ANCHORS)
SENTIMENT_RULE = 'segue o sentiment_score: "positivo" se > 0,1, "negativo" se < -0,1, senão "neutro"'
MIXED_RULE = (
    'Texto misto (elogio e crítica): "positivo" 0,3 se pende para o bom (recomenda, segue comprando, fica '
    'com o produto, gostou no geral); "negativo" -0,3 se pende para o ruim (devolve, não gostou no geral); '
    '"neutro" se equilibrado, morno ("satisfatório", "razoável") ou indeciso'
)
WOULD_RECOMMEND_RULE = (
    "true se recomenda a compra, o produto ou a loja; false se diz que não recomenda, mesmo com ironia; "
    'sem menção, true só se o sentiment é "positivo"'
)
SELLER_ISSUE_RULE = (
    "true só se o vendedor mandou item, cor, tamanho ou modelo diferente do comprado ou cancelou a venda "
    "(atraso, entrega incompleta ou falta de resposta não contam, mesmo culpando o vendedor)"
)
PARTIAL_DELIVERY_RULE = 'faltou parte do pedido é "entrega", não "vendedor"'
# Every rule the codebook must quote verbatim, by name (the test reports the missing one by name).
RULES: dict[str, str] = {
    "SCORE_RULE": SCORE_RULE,
    "SENTIMENT_RULE": SENTIMENT_RULE,
    "MIXED_RULE": MIXED_RULE,
    "WOULD_RECOMMEND_RULE": WOULD_RECOMMEND_RULE,
    "SELLER_ISSUE_RULE": SELLER_ISSUE_RULE,
    "PARTIAL_DELIVERY_RULE": PARTIAL_DELIVERY_RULE,
}

# --------------------------------------------------------------------------- the rules, as code

NEUTRAL_BAND = 0.1  # |sentiment_score| <= 0.1 is neutro
# complaint_category -> the issue flag a main complaint of that category implies.
FLAG_OF_CATEGORY = {"entrega": "delivery_issue", "produto": "product_issue", "vendedor": "seller_issue"}
ISSUE_FLAGS = ("delivery_issue", "product_issue", "seller_issue")

# Recommendation cues, in folded text (lower case, no accents). A YES cue preceded (within 3 words of
# the same clause) by a negator, or followed in the same sentence by an irony marker, reads as NO.
RECOMMEND_NO = ("nao recomendo", "nao indico", "nao recomendaria", "nao indicaria", "nao aconselho")
RECOMMEND_YES = ("recomendo", "indico", "recomendaria", "indicaria", "pode comprar sem medo", "vale a pena")
IRONY_MARKERS = (r"so q(?:ue)? n(?:ao)?",)  # regexes: "só que não", abbreviated "só q ñ"
NEGATORS = frozenset({"nao", "nunca", "nem", "jamais", "sem", "nenhum", "nenhuma", "zero", "n"})
CLAUSE_BREAK = "ǀ"  # a letter-like token standing for punctuation, so negation stops at a comma
_CLAUSE_RE = re.compile(r"[.,;:!?()\n]+")


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def sentiment_of_score(score: float) -> str:
    """The sentiment label a ``sentiment_score`` implies (``SENTIMENT_RULE``).

    Example:
        >>> [sentiment_of_score(s) for s in (-0.3, 0.1, 0.3)]
        ['negativo', 'neutro', 'positivo']
    """
    if score > NEUTRAL_BAND + 1e-9:
        return "positivo"
    if score < -NEUTRAL_BAND - 1e-9:
        return "negativo"
    return "neutro"


def recommendation_cue(text: str) -> bool | None:
    """Whether the text explicitly recommends (True), says it does not (False), or neither (None).

    "não recomendo" and friends, a negated "recomendo" ("n recomendo", "jamais indico") and an ironic
    one ("recomendo... só que não") are False; any other "recomendo"/"indico"/"vale a pena" is True.

    Example:
        >>> [recommendation_cue(t) for t in ("Chegou rápido. Recomendo!", "N recomendo", "Chegou.")]
        [True, False, None]
    """
    clauses = fold(_CLAUSE_RE.sub(f" {CLAUSE_BREAK} ", text))
    if any(re.search(r"\b" + re.escape(p), clauses) for p in RECOMMEND_NO):
        return False
    said_yes = said_no = False
    for phrase in RECOMMEND_YES:
        for m in re.finditer(r"\b" + re.escape(phrase), clauses):
            scope = clauses[: m.start()].split()[-3:]
            if CLAUSE_BREAK in scope:  # a negation does not reach across a comma or full stop
                scope = scope[len(scope) - scope[::-1].index(CLAUSE_BREAK) :]
            after = " ".join(w for w in clauses[m.end() :].split() if w != CLAUSE_BREAK)
            ironic = any(re.match(r"(?:\w+ ){0,5}" + marker + r"\b", after) for marker in IRONY_MARKERS)
            if ironic or any(w in NEGATORS for w in scope):
                said_no = True
            else:
                said_yes = True
    if said_yes:
        return True
    return False if said_no else None


def label_problems(task: str, label: Mapping[str, Any], text: str | None = None) -> list[tuple[str, str]]:
    """The codebook rules a review label breaks, as ``(field, message)`` pairs.

    Only the mechanically checkable rules are checked; a field missing from ``label`` (or of the wrong
    type) is skipped, since the contract check reports it.

    Args:
        task: "extraction" or "sentiment".
        label: The label's normalised values (``check_output(task, ...).values``).
        text: The review as the model sees it; without it the ``would_recommend`` rule is only checked
            where it does not depend on the text.

    Returns:
        One ``(field, message)`` per broken rule; empty when the label follows the codebook.
    """
    problems: list[tuple[str, str]] = []
    sentiment, score = label.get("sentiment"), label.get("sentiment_score")
    if isinstance(score, int | float) and isinstance(sentiment, str):
        implied = sentiment_of_score(float(score))
        if implied != sentiment:
            problems.append(
                (
                    "sentiment",
                    f"'{sentiment}' but sentiment_score {score:g} means '{implied}' "
                    "(positivo > 0.1, negativo < -0.1, else neutro)",
                )
            )
    if task != "extraction":
        return problems
    category, complaint = label.get("complaint_category"), label.get("main_complaint")
    if (
        isinstance(category, str)
        and isinstance(complaint, str)
        and (category == "nenhuma") != (not complaint)
    ):
        problems.append(
            (
                "main_complaint",
                "must be empty exactly when complaint_category is nenhuma "
                f"(category '{category}', main_complaint {complaint!r})",
            )
        )
    flag = FLAG_OF_CATEGORY.get(category) if isinstance(category, str) else None
    if flag and label.get(flag) is False:
        problems.append((flag, f"the main complaint is '{category}', so {flag} must be true"))
    if category == "nenhuma":
        for f in ISSUE_FLAGS:
            if label.get(f) is True:
                problems.append(
                    (f, "true, but complaint_category is nenhuma (a reported problem is a complaint)")
                )
    recommend = label.get("would_recommend")
    if text is not None and isinstance(recommend, bool) and isinstance(sentiment, str):
        cue = recommendation_cue(text)
        expected = cue if cue is not None else sentiment == "positivo"
        if recommend != expected:
            why = (
                f"the text has no recommendation cue and sentiment is '{sentiment}'"
                if cue is None
                else f"the text {'recommends' if cue else 'says it does not recommend'}"
            )
            problems.append(("would_recommend", f"{recommend} but {why}, so it must be {expected}"))
    return problems
