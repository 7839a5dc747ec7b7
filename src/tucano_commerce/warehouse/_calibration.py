"""Published Olist distributions the synthetic generator is calibrated to.

Every number here is an aggregate statistic of the Kaggle "Brazilian E-Commerce Public Dataset by
Olist" (CC BY-NC-SA 4.0), with sources in docs/sources.md#olist-published-aggregates:
counts per month, per status, per state, per category, and so on. No row of the dataset is copied.
Where the generator needs a number no source gives (e.g. the spread of the estimated delivery
lead time), the choice is ours and marked ``# ours``.
"""

from __future__ import annotations

# Full-size Olist: orders (= customer_id rows). --scale multiplies this.
FULL_ORDERS = 99_441

# Ratios to the order count (sources.md).
PERSONS_PER_ORDER = 96_096 / 99_441  # customer_unique_id / orders
SELLERS_PER_ORDER = 3_095 / 99_441
PRODUCTS_PER_ORDER = 32_951 / 99_441

# Orders per purchase month, 2016-09 .. 2018-10 (sources.md; sums to 99,441).
MONTHLY_ORDERS: dict[str, int] = {
    "2016-09": 4, "2016-10": 324, "2016-11": 0, "2016-12": 1,
    "2017-01": 800, "2017-02": 1_780, "2017-03": 2_682, "2017-04": 2_404, "2017-05": 3_700,
    "2017-06": 3_245, "2017-07": 4_026, "2017-08": 4_331, "2017-09": 4_285, "2017-10": 4_631,
    "2017-11": 7_544, "2017-12": 5_673,
    "2018-01": 7_269, "2018-02": 6_728, "2018-03": 7_211, "2018-04": 6_939, "2018-05": 6_873,
    "2018-06": 6_167, "2018-07": 6_292, "2018-08": 6_512, "2018-09": 16, "2018-10": 4,
}  # fmt: skip
FIRST_PURCHASE = "2016-09-04 21:15:19"
LAST_PURCHASE = "2018-10-17 17:30:18"

# order_status mix (sources.md).
ORDER_STATUS: dict[str, int] = {
    "delivered": 96_478, "shipped": 1_107, "canceled": 625, "unavailable": 609,
    "invoiced": 314, "processing": 301, "created": 5, "approved": 2,
}  # fmt: skip

# Delivery (sources.md): mean purchase->delivery 12.5 days, mean estimated lead 24.37 days, 8.11 % of
# delivered orders late with mean lateness 8.87 days; monthly late-rate spikes.
MEAN_DELIVERY_DAYS = 12.50
MEAN_ESTIMATED_LEAD_DAYS = 24.37
LATE_SHARE = 0.0811
MEAN_LATENESS_DAYS = 8.87
LATE_SHARE_SPIKES: dict[str, float] = {"2017-11": 0.143, "2018-02": 0.160, "2018-03": 0.214}
APPROVED_NULL_SHARE = 160 / 99_441

# Items per order: number of orders with exactly k items (from order_item_id counts, sources.md).
ORDERS_WITHOUT_ITEMS_SHARE = 775 / 99_441
ITEMS_PER_ORDER: dict[int, int] = {1: 88_863, 2: 7_516, 3: 1_322, 4: 505, 5: 204, 6: 198, 7: 58}
PRICE_MEDIAN, PRICE_MEAN, PRICE_MIN, PRICE_MAX = 74.99, 120.65, 0.85, 6_735.00
FREIGHT_MEDIAN, FREIGHT_MEAN, FREIGHT_P95 = 16.26, 19.99, 45.12

# Payments (sources.md): rows per type; 2.98 % of orders have more than one row.
PAYMENT_TYPE_ROWS: dict[str, int] = {
    "credit_card": 76_795, "boleto": 19_784, "voucher": 5_775, "debit_card": 1_529, "not_defined": 3,
}  # fmt: skip
MULTI_PAYMENT_ORDER_SHARE = 2_961 / 99_440
# Installment counts over all payment rows; only credit cards have more than one (sources.md).
INSTALLMENT_ROWS: dict[int, int] = {
    1: 52_546, 2: 12_413, 3: 10_461, 4: 7_098, 5: 5_239, 6: 3_920, 7: 1_626, 8: 4_268, 9: 644,
    10: 5_328, 11: 23, 12: 133, 13: 16, 14: 15, 15: 74, 16: 5, 17: 8, 18: 27, 20: 17, 21: 3,
    22: 1, 23: 1, 24: 18,
}  # fmt: skip

# Reviews (sources.md): score mix, comment presence by score, title share; orders without / with two.
REVIEW_SCORES: dict[int, int] = {5: 57_328, 4: 19_142, 3: 8_179, 2: 3_151, 1: 11_424}
COMMENT_SHARE_BY_SCORE: dict[int, float] = {1: 0.784, 2: 0.757, 3: 0.430, 4: 0.339, 5: 0.357}
TITLE_SHARE = 11_568 / 99_224
ORDERS_WITHOUT_REVIEW_SHARE = 768 / 99_441
ORDERS_WITH_TWO_REVIEWS_SHARE = 547 / 99_441
DUPLICATED_REVIEW_ID_SHARE = 814 / 99_224
REVIEW_ANSWER_LAG_MEDIAN_DAYS, REVIEW_ANSWER_LAG_MEAN_DAYS = 1.7, 2.9
LATE_SCORE_DROP_STARS = 1.7  # late deliveries lower the score by ~1.7 stars on average

# Customer states (sources.md; sums to 99,441) and seller states (computed from the sellers file).
CUSTOMER_STATES: dict[str, int] = {
    "SP": 41_746, "RJ": 12_852, "MG": 11_635, "RS": 5_466, "PR": 5_045, "SC": 3_637, "BA": 3_380,
    "DF": 2_140, "ES": 2_033, "GO": 2_020, "PE": 1_652, "CE": 1_336, "PA": 975, "MT": 907,
    "MA": 747, "MS": 715, "PB": 536, "PI": 495, "RN": 485, "AL": 413, "SE": 350, "TO": 280,
    "RO": 253, "AM": 148, "AC": 81, "AP": 68, "RR": 46,
}  # fmt: skip
SELLER_STATES: dict[str, int] = {
    "SP": 1_849, "PR": 349, "MG": 244, "SC": 190, "RJ": 171, "RS": 129, "GO": 40, "DF": 30,
    "ES": 23, "BA": 19, "CE": 13, "PE": 9, "PB": 6, "RN": 5, "MS": 5, "MT": 4, "RO": 2, "SE": 2,
    "AC": 1, "PI": 1, "MA": 1, "AM": 1, "PA": 1,
}  # fmt: skip

# Products per category (sources.md) with the official English name; None = missing from the
# translation file (two categories), and 610 products have no category at all.
CATEGORIES: tuple[tuple[str, str | None, int], ...] = (
    ("cama_mesa_banho", "bed_bath_table", 3_029),
    ("esporte_lazer", "sports_leisure", 2_867),
    ("moveis_decoracao", "furniture_decor", 2_657),
    ("beleza_saude", "health_beauty", 2_444),
    ("utilidades_domesticas", "housewares", 2_335),
    ("automotivo", "auto", 1_900),
    ("informatica_acessorios", "computers_accessories", 1_639),
    ("brinquedos", "toys", 1_411),
    ("relogios_presentes", "watches_gifts", 1_329),
    ("telefonia", "telephony", 1_134),
    ("bebes", "baby", 919),
    ("perfumaria", "perfumery", 868),
    ("papelaria", "stationery", 849),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 849),
    ("cool_stuff", "cool_stuff", 789),
    ("ferramentas_jardim", "garden_tools", 753),
    ("pet_shop", "pet_shop", 719),
    ("eletronicos", "electronics", 517),
    ("construcao_ferramentas_construcao", "construction_tools_construction", 400),
    ("eletrodomesticos", "home_appliances", 370),
    ("malas_acessorios", "luggage_accessories", 349),
    ("consoles_games", "consoles_games", 317),
    ("moveis_escritorio", "office_furniture", 309),
    ("instrumentos_musicais", "musical_instruments", 289),
    ("eletroportateis", "small_appliances", 231),
    ("casa_construcao", "home_construction", 225),
    ("livros_interesse_geral", "books_general_interest", 216),
    ("fashion_calcados", "fashion_shoes", 173),
    ("moveis_sala", "furniture_living_room", 156),
    ("climatizacao", "air_conditioning", 124),
    ("livros_tecnicos", "books_technical", 123),
    ("telefonia_fixa", "fixed_telephony", 116),
    ("casa_conforto", "home_confort", 111),
    ("market_place", "market_place", 104),
    ("alimentos_bebidas", "food_drink", 104),
    ("fashion_roupa_masculina", "fashion_male_clothing", 95),
    ("moveis_cozinha_area_de_servico_jantar_e_jardim", "kitchen_dining_laundry_garden_furniture", 94),
    ("sinalizacao_e_seguranca", "signaling_and_security", 93),
    ("construcao_ferramentas_seguranca", "construction_tools_safety", 91),
    ("eletrodomesticos_2", "home_appliances_2", 90),
    ("construcao_ferramentas_jardim", "costruction_tools_garden", 88),
    ("alimentos", "food", 82),
    ("bebidas", "drinks", 81),
    ("construcao_ferramentas_iluminacao", "construction_tools_lights", 78),
    ("agro_industria_e_comercio", "agro_industry_and_commerce", 74),
    ("industria_comercio_e_negocios", "industry_commerce_and_business", 68),
    ("artigos_de_natal", "christmas_supplies", 65),
    ("audio", "audio", 58),
    ("artes", "art", 55),
    ("fashion_underwear_e_moda_praia", "fashion_underwear_beach", 53),
    ("dvds_blu_ray", "dvds_blu_ray", 48),
    ("moveis_quarto", "furniture_bedroom", 45),
    ("construcao_ferramentas_ferramentas", "costruction_tools_tools", 39),
    ("livros_importados", "books_imported", 31),
    ("portateis_casa_forno_e_cafe", "small_appliances_home_oven_and_coffee", 31),
    ("pcs", "computers", 30),
    ("cine_foto", "cine_photo", 28),
    ("fashion_roupa_feminina", "fashio_female_clothing", 27),
    ("musica", "music", 27),
    ("artigos_de_festas", "party_supplies", 26),
    ("fashion_esporte", "fashion_sport", 19),
    ("artes_e_artesanato", "arts_and_craftmanship", 19),
    ("flores", "flowers", 14),
    ("fraldas_higiene", "diapers_and_hygiene", 12),
    ("la_cuisine", "la_cuisine", 10),
    ("portateis_cozinha_e_preparadores_de_alimentos", None, 10),
    ("moveis_colchao_e_estofado", "furniture_mattress_and_upholstery", 10),
    ("tablets_impressao_imagem", "tablets_printing_image", 9),
    ("fashion_roupa_infanto_juvenil", "fashion_childrens_clothes", 5),
    ("casa_conforto_2", "home_comfort_2", 5),
    ("pc_gamer", None, 3),
    ("seguros_e_servicos", "security_and_services", 2),
    ("cds_dvds_musicais", "cds_dvds_musicals", 1),
)
PRODUCTS_WITHOUT_CATEGORY = 610
# Items sold per category for the top five (sources.md): sales concentrate more than the catalogue.
TOP_CATEGORY_ITEMS: dict[str, int] = {
    "cama_mesa_banho": 11_115, "beleza_saude": 9_670, "esporte_lazer": 8_641,
    "moveis_decoracao": 8_334, "informatica_acessorios": 7_827,
}  # fmt: skip
TOTAL_ITEMS = 112_650

# Zip-code prefix ranges (5 digits) per state, and a few cities per state with the capital first.
# Capital share of the state's customers where a source gives it (sao paulo 15,540 of 41,746 ...).
# ours: the remaining cities, their weights and the coordinates (approximate state capitals).
STATE_GEO: dict[str, tuple[tuple[int, int], float, float, tuple[str, ...]]] = {
    # state: ((zip_lo, zip_hi), lat, lng, cities (capital first))
    "SP": ((1000, 19999), -23.55, -46.63, ("sao paulo", "campinas", "guarulhos", "sao bernardo do campo",
           "santo andre", "osasco", "santos", "ribeirao preto", "sorocaba", "sao jose dos campos")),
    "RJ": ((20000, 28999), -22.91, -43.17, ("rio de janeiro", "niteroi", "sao goncalo", "duque de caxias",
           "nova iguacu", "petropolis")),
    "ES": ((29000, 29999), -20.32, -40.34, ("vitoria", "vila velha", "serra", "cariacica")),
    "MG": ((30000, 39999), -19.92, -43.94, ("belo horizonte", "contagem", "juiz de fora", "uberlandia",
           "betim", "montes claros")),
    "BA": ((40000, 48999), -12.97, -38.50, ("salvador", "feira de santana", "vitoria da conquista")),
    "SE": ((49000, 49999), -10.91, -37.07, ("aracaju", "nossa senhora do socorro")),
    "PE": ((50000, 56999), -8.05, -34.88, ("recife", "jaboatao dos guararapes", "olinda", "caruaru")),
    "AL": ((57000, 57999), -9.65, -35.73, ("maceio", "arapiraca")),
    "PB": ((58000, 58999), -7.12, -34.86, ("joao pessoa", "campina grande")),
    "RN": ((59000, 59999), -5.79, -35.21, ("natal", "mossoro")),
    "CE": ((60000, 63999), -3.73, -38.52, ("fortaleza", "caucaia", "juazeiro do norte")),
    "PI": ((64000, 64999), -5.09, -42.80, ("teresina", "parnaiba")),
    "MA": ((65000, 65999), -2.53, -44.30, ("sao luis", "imperatriz")),
    "PA": ((66000, 68899), -1.46, -48.50, ("belem", "ananindeua", "santarem")),
    "AP": ((68900, 68999), 0.03, -51.07, ("macapa",)),
    "AM": ((69000, 69299), -3.12, -60.02, ("manaus",)),
    "RR": ((69300, 69399), 2.82, -60.67, ("boa vista",)),
    "AC": ((69900, 69999), -9.97, -67.81, ("rio branco",)),
    "DF": ((70000, 72799), -15.79, -47.88, ("brasilia",)),
    "GO": ((72800, 76799), -16.69, -49.25, ("goiania", "aparecida de goiania", "anapolis")),
    "RO": ((76800, 76999), -8.76, -63.90, ("porto velho", "ji-parana")),
    "TO": ((77000, 77999), -10.18, -48.33, ("palmas", "araguaina")),
    "MT": ((78000, 78899), -15.60, -56.10, ("cuiaba", "varzea grande", "rondonopolis")),
    "MS": ((79000, 79999), -20.44, -54.65, ("campo grande", "dourados")),
    "PR": ((80000, 87999), -25.43, -49.27, ("curitiba", "londrina", "maringa", "ponta grossa",
           "cascavel")),
    "SC": ((88000, 89999), -27.59, -48.55, ("florianopolis", "joinville", "blumenau", "sao jose")),
    "RS": ((90000, 99999), -30.03, -51.23, ("porto alegre", "caxias do sul", "pelotas", "canoas",
           "santa maria")),
}  # fmt: skip
CAPITAL_SHARE: dict[str, float] = {"SP": 15_540 / 41_746, "RJ": 6_882 / 12_852, "MG": 2_773 / 11_635,
                                   "DF": 2_131 / 2_140, "PR": 1_521 / 5_045}  # fmt: skip
DEFAULT_CAPITAL_SHARE = 0.45  # ours

# Regional pattern (ours, approximating Olist's published per-state results: the North and Northeast
# wait longer and are late more often, SP is fastest). Multipliers of (delivery time, late odds);
# the generator renormalises them so the national means above still hold.
STATE_DELIVERY: dict[str, tuple[float, float]] = {
    "SP": (0.67, 0.72), "RJ": (1.20, 1.60), "MG": (0.95, 0.68), "ES": (1.20, 1.50),
    "PR": (0.95, 0.60), "SC": (1.15, 1.20), "RS": (1.18, 0.90),
    "DF": (1.00, 0.85), "GO": (1.20, 1.00), "MS": (1.20, 1.40), "MT": (1.40, 0.80),
    "BA": (1.50, 1.70), "PE": (1.40, 1.30), "CE": (1.65, 1.90), "MA": (1.70, 2.40), "PB": (1.60, 1.30),
    "PI": (1.50, 1.90), "RN": (1.50, 1.30), "AL": (1.95, 2.90), "SE": (1.70, 2.00),
    "PA": (1.90, 1.50), "AM": (2.10, 0.50), "AP": (2.20, 0.60), "RR": (2.30, 1.50), "AC": (1.65, 0.50),
    "RO": (1.60, 0.35), "TO": (1.30, 1.50),
}  # fmt: skip
