"""A synthetic Olist world for tests that need review texts, made in the test session (no real data).

``make_synthetic_olist(root)`` writes:

- ``olist/olist_order_reviews_dataset.csv``: the Kaggle file's seven columns and quirks (quoted ids,
  comment-less rows, one review id on two orders, a CRLF inside a quoted message), with pt-BR texts
  invented here from the fragments below. Rows: one per benchmark review id (a short invented text each),
  plus a pool of longer invented reviews for the training-data builder.
- ``benchmark/``: a copy of the shipped benchmark in which each Olist review item's ``text_sha256`` is the
  hash of its invented text (and the manifest's ``prompts_sha256`` is recomputed); nothing else changes.

What it can stand in for: the shape of the data and every code path that reads it (the review readers,
``fill_reviews``, the training-data build with its contamination guard, GRPO runs on the built data, a
benchmark run of all 80 items). What it cannot: the real benchmark. Its review items are labelled real
reviews, referenced by id and text hash, so an invented text never matches the shipped ``text_sha256``;
the synthetic world therefore brings its own benchmark copy (``TUCANO_BENCHMARK_DIR``). Scores of review
items in that world measure nothing (the labels belong to the real texts), ``bench validate``'s review
and codebook checks need the real texts, and the contamination guard is exercised against invented
benchmark texts, not the real ones. Those stay covered by the tests that read ``$TUCANO_OLIST_DIR`` and
skip without it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from tucano_commerce.tasks._benchmark import benchmark_dir, review_text_hash
from tucano_commerce.tasks._olist_reviews import REVIEWS_CSV

COLUMNS = [
    "review_id",
    "order_id",
    "review_score",
    "review_comment_title",
    "review_comment_message",
    "review_creation_date",
    "review_answer_timestamp",
]
# Invented fragments (written for these tests; no Olist text): opening by polarity, delivery, closing.
OPENINGS = {
    5: [
        "Produto muito bom, igual ao anunciado no site.",
        "Gostei bastante da qualidade do material e do acabamento.",
        "Superou minhas expectativas, a panela aquece por igual.",
        "Chegou tudo certinho e funcionando desde o primeiro dia.",
    ],
    3: [
        "Produto razoável pelo preço que paguei, nada demais.",
        "Ainda não testei direito, mas parece cumprir o que promete.",
        "A mochila é boa, porém o zíper parece um pouco frágil.",
    ],
    1: [
        "O liquidificador veio com defeito na tampa e vaza.",
        "Não gostei, a cor da capa é bem diferente da foto.",
        "Comprei dois relógios e só recebi um até agora.",
        "Péssima experiência, mandei mensagem e ninguém responde.",
    ],
}
DELIVERY = [
    "A entrega foi rápida e a caixa veio bem protegida.",
    "Demorou mais do que o prazo informado na compra.",
    "Chegou três dias antes do previsto.",
    "A transportadora atrasou quase uma semana.",
]
CLOSINGS = [
    "Compraria novamente nesta loja.",
    "Não compro mais aqui.",
    "Vou esperar para ver se dura.",
    "Recomendo para quem precisa de algo simples.",
]
TITLES = ["Recomendo", "Decepcionado", "Ok", "Atraso", ""]


@dataclass(frozen=True)
class SyntheticOlist:
    """Where the synthetic world lives."""

    olist_dir: Path  # holds olist_order_reviews_dataset.csv
    benchmark_dir: Path  # the benchmark copy whose review hashes match the invented texts
    bench_texts: dict[str, str]  # benchmark review id -> its invented message


def _hex_id(kind: str, n: int) -> str:
    return hashlib.md5(f"synthetic-{kind}-{n}".encode()).hexdigest()  # 32 hex chars, like Olist ids


def _pool_review(rng: random.Random) -> tuple[int, str, str]:
    score = rng.choice([1, 2, 3, 4, 5])
    opening = rng.choice(OPENINGS[5 if score >= 4 else 3 if score == 3 else 1])
    parts = [opening, rng.choice(DELIVERY)]
    if rng.random() < 0.6:
        parts.append(rng.choice(CLOSINGS))
    return score, rng.choice(TITLES), " ".join(parts)


def _bench_review(n: int) -> str:
    # Fewer than 8 words: the contamination guard compares such texts exactly only, so no pool text can
    # count as a near duplicate of one, whatever fragments it drew.
    return f"Texto inventado {n} para testes."


def make_synthetic_olist(root: Path, *, pool: int = 160, seed: int = 0) -> SyntheticOlist:
    """Write the synthetic reviews CSV and benchmark copy under ``root`` (see the module docstring)."""
    rng = random.Random(seed)
    source = benchmark_dir()
    lines = (source / "prompts.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    bench_ids = [
        i["source"]["review_id"]
        for i in items
        if i["source"].get("dataset") == "olist" and "review_id" in i["source"]
    ]
    bench_texts = {rid: _bench_review(n) for n, rid in enumerate(bench_ids, 1)}

    rows: list[list[str]] = []
    for n, rid in enumerate(bench_ids, 1):
        title = "Avaliação" if n % 4 == 0 else ""
        created, answered = "2018-01-18 00:00:00", "2018-01-19 10:00:00"
        rows.append([rid, _hex_id("order", n), str(1 + n % 5), title, bench_texts[rid], created, answered])
    for n in range(pool):
        score, title, message = _pool_review(rng)
        if n == 7:
            message = "Primeira linha da avaliação.\r\nSegunda linha, produto bom e entrega no prazo."
        created, answered = "2018-02-01 00:00:00", "2018-02-02 08:30:00"
        rows.append(
            [_hex_id("review", n), _hex_id("order", 1000 + n), str(score), title, message, created, answered]
        )
    again = list(rows[len(bench_ids)])  # one review on two orders, as in the Kaggle file
    again[1] = _hex_id("order", 5000)
    rows.append(again)
    for n in range(20):  # reviews with stars only, like most of the Kaggle file
        created, answered = "2018-03-01 00:00:00", "2018-03-01 09:00:00"
        rows.append([_hex_id("silent", n), _hex_id("order", 6000 + n), "5", "", "", created, answered])

    olist = root / "olist"
    olist.mkdir(parents=True, exist_ok=True)
    with (olist / REVIEWS_CSV).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)

    bench = root / "benchmark"
    bench.mkdir(parents=True, exist_ok=True)
    for item in items:
        rid = item["source"].get("review_id")
        if rid in bench_texts:
            item["source"]["text_sha256"] = review_text_hash(bench_texts[rid])
    text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    (bench / "prompts.jsonl").write_text(text, encoding="utf-8")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["prompts_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (bench / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(source / "README.md", bench / "README.md")
    return SyntheticOlist(olist, bench, bench_texts)
