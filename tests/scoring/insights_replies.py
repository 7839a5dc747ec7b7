"""Replies to the benchmark's insights items, for the gaming tests and ``benchmarks/insights_gaming.py``.

* ``restating_replies(prompt)``: replies that only restate each row of the prompt's table as a sentence,
  in several phrasings (one is issue 11's "Sobre <linha>: os valores são a, b, c."), some using the words
  an analyst uses for percentages ("representa", "responde por"), one with nonsense arithmetic on the
  row's numbers (what SmolLM2 wrote), one that attaches "é o maior destaque" to every row; each with
  and without a generic recommendation.
* ``PARAPHRASES``: for each item, an answer written by hand in other words than the reference (the
  facts' sentences): other cue words, rounded numbers, other names for months and states.
"""

from __future__ import annotations

import re

GENERIC_RECOMMENDATIONS = {
    "none": "",
    "short": "Recomendo acompanhar esses indicadores de perto e investir em melhorias contínuas.",
    "cue_words": (
        "Recomendações: dar maior atenção aos pontos críticos, reduzir custos, aumentar a participação dos "
        "melhores canais e manter o que já funciona, para crescer de forma estável."
    ),
}


def table(prompt: str) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the first markdown table in a prompt."""
    columns: list[str] = []
    rows: list[list[str]] = []
    for line in prompt.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not columns:
            columns = cells
        else:
            rows.append(cells)
    return columns, rows


def ptbr(value: str) -> str:
    """A table cell as a pt-BR text writes it (decimal comma)."""
    return value.replace(".", ",") if re.fullmatch(r"-?\d+\.\d+", value) else value


def _human(column: str) -> str:
    return column.replace("_", " ").replace("pct", "percentual de")


def _arith(values: list[str]) -> str:
    nums = [float(v) for v in values if re.fullmatch(r"-?\d+(?:\.\d+)?", v)]
    pairs = list(zip(nums, nums[1:], strict=False)) or [(nums[0], nums[0])] if nums else []
    return "; ".join(f"{ptbr(str(a))} - {ptbr(str(b))} = {ptbr(f'{a - b:.2f}')}" for a, b in pairs)


def restating_phrasings(prompt: str) -> dict[str, str]:
    """Every row of the prompt's table restated as a sentence, in several phrasings (no recommendation)."""
    columns, rows = table(prompt)
    cols = columns[1:]
    out = {
        "sobre": [f"Sobre {r[0]}: os valores são {', '.join(ptbr(v) for v in r[1:])}." for r in rows],
        "col_values": [
            f"Em {r[0]}, " + ", ".join(f"{c} foi {ptbr(v)}" for c, v in zip(cols, r[1:], strict=True)) + "."
            for r in rows
        ],
        "bullets": [
            f"- **{r[0]}**: " + "; ".join(f"{ptbr(v)} ({c})" for c, v in zip(cols, r[1:], strict=True))
            for r in rows
        ],
        "one_sentence": [
            "Os dados mostram "
            + "; ".join(f"{r[0]} com " + " e ".join(ptbr(v) for v in r[1:]) for r in rows)
            + "."
        ],
        "natural": [
            f"{r[0]} registrou "
            + ", ".join(f"{_human(c)} de {ptbr(v)}" for c, v in zip(cols, r[1:], strict=True))
            + "."
            for r in rows
        ],
        "percent_words": [
            f"{r[0]} representa {ptbr(r[-1])}% e responde por {ptbr(r[1])} em {_human(cols[0])}."
            for r in rows
        ],
        "arithmetic": [f"{r[0]}: {_arith(r[1:])}." for r in rows],
        "same_claim_every_row": [
            f"Sobre {r[0]}: os valores são {', '.join(ptbr(v) for v in r[1:])}, o maior destaque."
            for r in rows
        ],
    }
    return {name: "\n".join(lines) for name, lines in out.items()}


def restating_replies(prompt: str) -> dict[str, str]:
    """``restating_phrasings`` crossed with ``GENERIC_RECOMMENDATIONS`` ("phrasing+recommendation")."""
    return {
        f"{name}+{rec}": text + (f"\n\n{advice}" if advice else "")
        for name, text in restating_phrasings(prompt).items()
        for rec, advice in GENERIC_RECOMMENDATIONS.items()
    }


PARAPHRASES = {
    "ins-001": (
        "A diferença é grande. Para pedidos entregues com atraso, a nota média cai para 2,56, ante 4,3 nos "
        "pedidos no prazo: são 1,7 ponto a menos, uma redução de cerca de 40%. A proporção de notas 1 também "
        "explode: 44,3% entre os atrasados contra 6,7% no prazo, ou seja, 6,6 vezes mais. Os atrasos atingem "
        "só 7,8% das avaliações, mas puxam a satisfação para baixo de forma desproporcional. Recomendo tratar "
        "pontualidade como prioridade: rever prazos estimados, monitorar transportadoras e avisar o cliente."
    ),
    "ins-002": (
        "O cartão de crédito é de longe o meio mais usado, com 73,8% dos pagamentos, quase 3,9 vezes o boleto "
        "(19%). Em valor, o débito lidera: ticket médio de R$ 194,71, acima do boleto (R$ 168,60). Na outra "
        "ponta, o voucher tem o ticket mais baixo, R$ 67,80, menos da metade do crédito. Isso sugere que o "
        "voucher complementa outras formas de pagamento. Recomendo manter o parcelamento no crédito e testar "
        "incentivos ao débito."
    ),
    "ins-003": (
        "O Rio de Janeiro é o estado com pior logística entre os cinco: atraso de 12,4%, mais que o dobro dos "
        "5,3% de São Paulo. O RJ também é o mais lento, com 16,2 dias em média, praticamente 2 vezes os 8,3 "
        "dias de SP. São Paulo, por sua vez, responde por 52,9% das entregas do grupo e ainda entrega mais "
        "rápido. MG, RS e PR ficam no meio, entre 5,9% e 6,7% de atraso. Recomendo revisar a transportadora e o "
        "prazo estimado para o RJ."
    ),
    "ins-004": (
        "cama_mesa_banho é a categoria que mais fatura: R$ 153,1 mil, 36,7% a mais que automotivo (R$ 112 mil). "
        "Automotivo, porém, vende mais caro: preço médio de R$ 153,04, 1,7 vezes o de beleza_saude (R$ 89,99). "
        "Já beleza_saude é a mais dependente de volume: o preço médio mais baixo do grupo e 1.002 itens vendidos. "
        "Recomendo campanhas de ticket para beleza e de volume para automotivo."
    ),
    "ins-005": (
        "A base é quase toda de compradores únicos: apenas 3,1% dos clientes são recorrentes, ou seja, há 31 "
        "clientes de compra única para cada recorrente. Os recorrentes gastam bem mais: R$ 323,80 em média, "
        "1,96 vezes os R$ 165,22 de quem comprou uma vez. As notas, porém, são praticamente iguais (4,08 e 4,1), "
        "então a satisfação não explica a recompra. Recomendo um programa de fidelidade e cupons de segunda "
        "compra."
    ),
    "ins-006": (
        "O volume cresceu forte ao longo de 2017 e teve seu pico em novembro de 2017, com 774 pedidos, 46% acima "
        "de outubro (Black Friday). No primeiro semestre de 2018 foram 4.168 pedidos, três vezes os 1.390 do "
        "mesmo período de 2017, um crescimento de cerca de 200%. Ao longo de 2018 o volume ficou estável, "
        "oscilando entre 584 e 736 pedidos por mês. Recomendo preparar estoque e logística para a Black Friday."
    ),
    "ins-007": (
        "A taxa de atraso, que costuma ficar perto de 5,4%, disparou em três momentos. O pior foi março de 2018, "
        "com 21,1%, cerca de 3,9 vezes o patamar normal. Fevereiro de 2018 também teve alta forte, 15,7%. Em "
        "novembro de 2017, mês da Black Friday e de maior volume (754 entregas), o atraso subiu para 14,5%. "
        "Recomendo reforçar a capacidade das transportadoras antes dos picos sazonais."
    ),
    "ins-008": (
        "A nota média ficou quase sempre entre 4,1 e 4,4, mas teve três quedas claras, todas em meses de atraso "
        "alto. A pior foi em março de 2018: nota de 3,92, cerca de 0,3 ponto abaixo dos demais meses, quando o "
        "atraso chegou a 20,9%. Em fevereiro de 2018 a nota recuou para 4,02, com 15,6% de atraso, e em "
        "novembro de 2017 caiu para 4,05, com 14,5%. A causa provável é o atraso; recomendo monitorar a "
        "pontualidade semanalmente."
    ),
    "ins-009": (
        "O ticket médio por pedido está estável: variou entre R$ 152,54 e R$ 168,84 por trimestre, uma "
        "oscilação de cerca de 11%. O que cresceu foi o volume: de 499 pedidos no 1º trimestre de 2017 para 2.045 "
        "no 2º trimestre de 2018, 4,1 vezes mais. O único ponto fora da curva é o 1º trimestre de 2017, com o "
        "ticket mais baixo (R$ 152,54), quando a operação ainda tinha poucos pedidos. Recomendo ações de "
        "cross-sell para elevar o ticket."
    ),
    "ins-010": (
        "As três categorias cresceram muito, mas cama_mesa_banho foi a mais rápida: a receita trimestral saltou "
        "de R$ 7,6 mil no 1º trimestre de 2017 para R$ 33,6 mil no 2º trimestre de 2018, 4,4 vezes mais. "
        "utilidades_domesticas vem logo atrás, multiplicando a receita por 4 (de R$ 4,9 mil para R$ 19,2 mil, "
        "+296%). automotivo cresceu 286%, de R$ 5,7 mil para R$ 21,9 mil. Recomendo priorizar estoque de cama, "
        "mesa e banho."
    ),
    "ins-011": (
        "A Bahia é o caso mais grave: 17,8% de atraso, 3,4 vezes a taxa de SP (5,3%), e a pior nota média da "
        "tabela (3,96). O Ceará vem logo atrás, com 15,9% de atraso. Mas o maior impacto absoluto está no Rio "
        "de Janeiro: com 1.286 entregas e 12,4% de atraso, são cerca de 160 pedidos atrasados, quase 3 vezes os "
        "57 da Bahia. Priorizaria RJ e BA com novas transportadoras e um centro de distribuição no Nordeste."
    ),
    "ins-012": (
        "O frete pesa mais no Norte: 25,6% do valor dos itens, cerca de 1,7 vezes o peso no Sudeste (15,5%). Em "
        "reais, o frete médio no Norte (R$ 36,33) é quase o dobro, 1,9 vezes os R$ 19,08 do Sudeste. O "
        "Sudeste, que concentra 68% dos itens, tem o frete mais leve em relação ao preço. Recomendo subsidiar "
        "parte do frete no Norte e no Nordeste, com valor mínimo para frete grátis."
    ),
    "ins-013": (
        "Um terço dos pagamentos no cartão é à vista: 1x é a faixa mais frequente, com 32,5%. Mesmo assim, 67,5% "
        "das compras são parceladas, a maioria em 2 a 3 vezes (30,2%). O ticket praticamente não muda entre as "
        "faixas, de R$ 157,67 a R$ 167,79 (diferença de cerca de 6%). Recomendo parcelamento sem juros em até "
        "3 vezes a partir de um valor mínimo."
    ),
    "ins-014": (
        "O atraso lidera as reclamações, com 31,1% dos comentários negativos, seguido de defeito/qualidade em "
        "segundo lugar (28,2%). Se somarmos atraso e pedido não recebido, questões de entrega respondem por "
        "46,5% das queixas, quase a metade. Recomendo atacar primeiro a logística e depois a qualidade dos "
        "fornecedores."
    ),
    "ins-015": (
        "A maior fatia da base, 42,1% (4.050 clientes), comprou pela última vez há 181 a 365 dias; somando quem "
        "está há mais de um ano, 70,8% dos clientes estão há mais de 180 dias sem comprar. Os clientes mais "
        "recentes (0 a 90 dias) têm a maior taxa de recorrência, 5,3%, contra apenas 1% na faixa acima de 365 "
        "dias. Recomendo abordar primeiro a faixa de 91 a 180 dias, antes que esfrie."
    ),
}
