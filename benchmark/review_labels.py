"""Hand labels for the 35 review items (extraction and sentiment), following the codebook in README.md.

Review texts are NOT here: items reference Olist reviews by ``review_id`` and the text is read from
the data directory at load time. ``text_sha256`` (first 16 hex of the SHA-256 of the NFC message,
CRLF -> LF, stripped) lets ``tucano bench validate`` detect a different file. The few reviews
written by us (``authored``, marked A*) carry their text, since they are our own.

Field order of an extraction label:
(sentiment, sentiment_score, churn_risk, repeat_intent, complaint_category,
 delivery_issue, product_issue, seller_issue, would_recommend, main_complaint)
"""

from __future__ import annotations

EXTRACTION_FIELDS = (
    "sentiment", "sentiment_score", "churn_risk", "repeat_intent", "complaint_category",
    "delivery_issue", "product_issue", "seller_issue", "would_recommend", "main_complaint",
)  # fmt: skip

# (review_id or authored key, difficulty, label tuple, edge case / why the label is what it is)
EXTRACTION = [
    # -- easy: clear sentiment ------------------------------------------------------------------
    (
        "7c38b0697f3d800e6314b76b382a9f7e",
        "easy",
        ("positivo", 0.9, 0.1, 0.8, "nenhuma", False, False, False, True, ""),
        "clear praise of product and early delivery",
    ),
    (
        "4fad62c70a959a91be9c95a8311e8b82",
        "easy",
        ("positivo", 0.9, 0.05, 0.9, "nenhuma", False, False, False, True, ""),
        "explicitly loyal customer (bought many times) -> repeat_intent 0.9, churn 0.05",
    ),
    (
        "c26d26ef5400382d47efb066b192e00e",
        "easy",
        ("positivo", 0.9, 0.1, 0.7, "nenhuma", False, False, False, True, ""),
        "informal spelling and a Spanish word; clearly positive, recommends",
    ),
    (
        "1763e2bc36d5dec2d8b8d99df353860e",
        "easy",
        ("positivo", 0.8, 0.1, 0.8, "nenhuma", False, False, False, True, ""),
        "praise with emojis; 'sempre competente' implies earlier purchases",
    ),
    (
        "3c2cb00748904de8d82a85bdca2c5ba0",
        "easy",
        ("positivo", 0.9, 0.1, 0.7, "nenhuma", False, False, False, True, ""),
        "early delivery and careful packaging",
    ),
    (
        "f4d2c6ed9bebda9d41573e30f3d629b5",
        "easy",
        (
            "negativo",
            -0.7,
            0.6,
            0.3,
            "produto",
            False,
            True,
            False,
            False,
            "MP3 player não funciona, precisou devolver",
        ),
        "product does not work; returned",
    ),
    (
        "266f20b18269dbe41c940ea11acc5d3d",
        "easy",
        (
            "negativo",
            -0.6,
            0.6,
            0.3,
            "entrega",
            True,
            False,
            False,
            False,
            "pedido consta como entregue mas não chegou",
        ),
        "marked delivered, never arrived",
    ),
    (
        "45bc8c8cad9e508f40d7c29279e0fde1",
        "easy",
        (
            "negativo",
            -0.7,
            0.7,
            0.2,
            "pagamento",
            False,
            False,
            True,
            False,
            "compra cancelada e valor não devolvido",
        ),
        "charged, sale canceled by the store, no refund: payment is the main complaint; the cancellation is the seller's doing",
    ),
    (
        "1b9e9fd24f1b77defa3da16f03f26531",
        "easy",
        ("negativo", -0.7, 0.6, 0.3, "produto", False, True, False, False, "toalhas de péssima qualidade"),
        "poor quality, wants to return",
    ),
    (
        "6724babb3b9952660bc345b5f5a4db07",
        "easy",
        ("negativo", -0.9, 0.95, 0.0, "entrega", True, False, False, False, "quase um mês para entregar"),
        "'não compro mais', 'jamais' -> churn 0.95, repeat 0.0; the complaint is the delay, blamed on named "
        "companies: a delay is a delivery issue whoever is blamed, so seller_issue is false",
    ),
    # -- hard: mixed, ambiguous, sarcasm, slang, incomplete ----------------------------------------
    (
        "0ed5802ea93f04e9bf2364c664dadbbd",
        "hard",
        (
            "negativo",
            -0.8,
            0.8,
            0.1,
            "vendedor",
            False,
            False,
            True,
            False,
            "enviaram massageador diferente e inferior ao comprado",
        ),
        "sarcasm ('ninguém erra mandando um superior'); wrong item sent = seller issue",
    ),
    (
        "3387e9091f4c1b16214dc8f25234ec3d",
        "hard",
        ("positivo", 0.3, 0.2, 0.8, "entrega", True, False, False, True, "ainda aguardando a entrega"),
        "mixed, leaning positive (recommends, keeps buying) -> positivo 0.3, despite a delivery still pending",
    ),
    (
        "4e4d04285b519268ef766361d7cb6e53",
        "hard",
        (
            "positivo",
            0.3,
            0.3,
            0.6,
            "vendedor",
            False,
            False,
            True,
            True,
            "recebeu a cor errada (rosa em vez de branco)",
        ),
        "mixed, leaning positive (good quality, kept it) -> positivo 0.3; wrong colour sent = seller issue",
    ),
    (
        "6d7d0a5e33c92adf782b137720eeefa6",
        "hard",
        ("positivo", 0.3, 0.2, 0.8, "produto", False, True, False, True, "produto fraco"),
        "mixed, leaning positive: recommends the store ('recomendo sempre') -> positivo 0.3, would_recommend "
        "true, though the product is weak",
    ),
    (
        "845349ae426fbff64f291e629119644a",
        "hard",
        ("positivo", 0.8, 0.1, 0.7, "nenhuma", False, False, False, True, ""),
        "3 stars but the text is only praise: label the text, not the stars",
    ),
    (
        "974929cd0aae95525e5524f8d666160d",
        "hard",
        ("positivo", 0.8, 0.1, 0.8, "nenhuma", False, False, False, True, ""),
        "slang ('vacilei'); the complaint is about another store, not this purchase",
    ),
    (
        "8c8ec6ed4210b3d764d3dd3bbe9e87d9",
        "hard",
        ("neutro", 0.0, 0.5, 0.5, "preco", False, False, False, False, "frete abusivo"),
        "likes the store but buys less because of freight: balanced -> neutro; price complaint, real churn "
        "signal; no recommendation and not positivo -> would_recommend false (true before v1.1)",
    ),
    (
        "4b5c451231161a48e45233299be44c7e",
        "hard",
        ("negativo", -0.5, 0.5, 0.4, "entrega", True, False, False, False, "comprou 2 rolos e só chegou 1"),
        "incomplete review (cut mid-word); one of two units missing = partial delivery (entrega), not a "
        "wrong item (vendedor), and no seller_issue",
    ),
    (
        "A1",
        "hard",
        (
            "negativo",
            -0.7,
            0.5,
            0.4,
            "produto",
            False,
            True,
            False,
            False,
            "sandália descolou na primeira semana",
        ),
        "regional idiom 'o barato saiu caro'; 'não compro mais essa marca' is about the brand, not the store",
    ),
    (
        "A2",
        "hard",
        ("negativo", -0.7, 0.7, 0.2, "entrega", True, False, False, False, "entrega demorou 35 dias"),
        "sarcastic praise ('parabéns pela agilidade') for a 35-day delivery",
    ),
]

# (review_id or authored key, polarity = difficulty, sentiment_score, why)
SENTIMENT = [
    ("0aad108b136bfe5d026d5aee9fb08323", "positivo", 0.9, "thanks for quality and a delivery weeks early"),
    ("03a6a25db577d0689440933055111897", "positivo", 0.9, "enthusiastic, emojis"),
    ("0db1b55476da996d2b2b46a74a6ae167", "positivo", 0.8, "thanks, will buy again; signed with a first name"),
    ("14cbbea2e30fe43f59e2dfb0a22edd80", "positivo", 0.9, "praises the store's contact during the purchase"),
    ("A3", "positivo", 0.8, "north-eastern slang ('massa', 'oxe', 'tô de boa')"),
    ("31a0d09572da13a6a587b2986e6b1b34", "negativo", -0.8, "dented and not working"),
    ("df270a5151e2a36ec2898bd54513bd3e", "negativo", -0.7, "return requested, arrived dented"),
    ("bbb937e9c2b62a2205af03e8a7fed42b", "negativo", -0.7, "Christmas gift never arrived, broken promises"),
    (
        "8a16c25ba338614974d204c5b6444b52",
        "negativo",
        -0.6,
        "factual tone, but a missed delivery date is a complaint",
    ),
    ("c6c1ae2abc9b5df7786a84181f9dd10b", "negativo", -0.9, "several problems, wants money back"),
    ("22711065ed5d2ee2174d0d8a369bce2b", "neutro", -0.1, "good size but thin; undecided ('vamos ver')"),
    ("6b95d92af036371c6be96566e4ead156", "neutro", 0.0, "lukewarm 'satisfatório' plus a quality reservation"),
    ("fe76e12e1e82c356f8aa3ce3b36cb4b5", "neutro", 0.1, "lukewarm: 'qualidade razoável', 'cumpre o papel'"),
    (
        "1168899d52a7650323a1746815f2e01c",
        "neutro",
        0.0,
        "'meio fraco' vs 'vai servir': lukewarm, balanced",
    ),
    (
        "180e67ff4510555ef7d76de7fe42c11c",
        "neutro",
        0.1,
        "5 stars, but the text only says all was normal: label the text",
    ),
]

# Reviews written by us for edge cases the 6,123-review sample lacks (at most 6 of the 35 items).
AUTHORED = {
    "A1": "Comprei porque tava na promoção, mas o barato saiu caro: a sandália descolou na primeira semana de uso. "
    "Aff, não compro mais essa marca.",
    "A2": "Parabéns pela agilidade: só levou 35 dias pra chegar. Nota 10 pra minha paciência 👏👏",
    "A3": "Produto massa demais, chegou rapidinho e veio tudo nos conformes. Tô de boa, oxe, vou comprar de novo!",
}
