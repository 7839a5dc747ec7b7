"""Key facts of insight items: the scorer's format, with the accepted names of each entity.

Shared by the benchmark's authoring script and the training-data generator, so a month, quarter,
payment type, state or category is accepted under the same names in both.
"""

from __future__ import annotations

from typing import Any

Fact = dict[str, Any]
MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
          "novembro", "dezembro")  # fmt: skip
# Olist's own SQL conditions, written once.
LATE = "o.order_delivered_customer_date > o.order_estimated_delivery_date"
DELIVERED = "o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL"

STATE_NAMES = {"SP": "São Paulo", "RJ": "Rio de Janeiro", "MG": "Minas Gerais", "RS": "Rio Grande do Sul",
               "PR": "Paraná", "SC": "Santa Catarina", "BA": "Bahia", "CE": "Ceará", "PE": "Pernambuco",
               "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás", "MA": "Maranhão", "PA": "Pará",
               "AL": "Alagoas", "SE": "Sergipe", "PB": "Paraíba", "RN": "Rio Grande do Norte", "PI": "Piauí",
               "MT": "Mato Grosso", "MS": "Mato Grosso do Sul", "AM": "Amazonas", "TO": "Tocantins",
               "RO": "Rondônia", "AP": "Amapá", "RR": "Roraima", "AC": "Acre"}  # fmt: skip

PAYMENT_ALIASES = {"credit_card": ["cartão de crédito", "crédito"], "debit_card": ["cartão de débito", "débito"],
                   "boleto": [], "voucher": ["vale"], "not_defined": []}  # fmt: skip


def aliases(entity: str) -> list[str]:
    """The ways an answer may name ``entity`` (a month, quarter, payment type, state, category ...)."""
    out = [entity]
    if len(entity) == 7 and entity[4] == "-" and entity[:4].isdigit() and entity[5:].isdigit():  # 2017-11
        year, month = entity[:4], MONTHS[int(entity[5:]) - 1]
        out += [f"{month} de {year}", f"{month}/{year}", f"{month[:3]}/{year}", f"{month[:3]}/{year[2:]}"]
    elif "-T" in entity:  # 2018-T2
        year, q = entity.split("-T")
        out += [f"{q}º trimestre de {year}", f"{q}o trimestre de {year}", f"T{q} {year}", f"T{q}/{year}",
                f"{q}T{year[2:]}"]  # fmt: skip
    elif entity in PAYMENT_ALIASES:
        out += PAYMENT_ALIASES[entity]
    elif entity in STATE_NAMES:
        out.append(STATE_NAMES[entity])
    elif "_" in entity:  # category: cama_mesa_banho
        out.append(entity.replace("_", " "))
    elif entity[:-1].isdigit() and entity.endswith("x"):  # installments 7x
        out += [f"{entity[:-1]} vezes", f"{entity[:-1]} parcelas"] + (["à vista"] if entity == "1x" else [])
    elif entity[:1].isdigit() and "-" in entity:  # bands 0-90, 2-3x
        lo, hi = entity.rstrip("x").split("-")
        out += [f"{lo} a {hi}", f"{lo} e {hi}"]
    return out


def fact(text: str, numbers: list[Any] | None = None, entities: list[str] | None = None,
         tolerance: float = 0.02) -> Fact:  # fmt: skip
    """A key fact in the scorer's format; each entity becomes its list of accepted names."""
    return {"text": text, "numbers": [round(float(x), 2) for x in numbers or []],
            "entities": [aliases(str(e)) for e in entities or []], "tolerance": tolerance}  # fmt: skip
