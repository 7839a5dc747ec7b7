"""tucano-commerce: evaluate and RL-train Tucano2-Commerce, a pt-BR e-commerce LLM.

Layers (one sub-package each, public names re-exported from its ``__init__``):

- ``warehouse``: the Olist-schema DuckDB warehouse (synthetic, seeded; or imported from Kaggle CSVs).
- ``sql``: the read-only SQL sandbox and the gold-query lint.
- ``scoring``: scorers, pure functions of (item, response) plus explicit resources.
"""

__version__ = "0.1.0"
