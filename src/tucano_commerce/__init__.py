"""tucano-commerce: evaluate and RL-train Tucano2-Commerce, a pt-BR e-commerce LLM.

Layers, lowest first (one sub-package each, public names re-exported from its ``__init__``; a layer imports
only the ones before it):

- ``sql``: the read-only SQL sandbox, result comparison, the gold-query lint.
- ``warehouse``: the Olist-schema DuckDB warehouse (synthetic, seeded; or imported from Kaggle CSVs).
- ``tasks``: benchmark items, output contracts and system prompts, the reply parser, benchmark loading.
- ``backends``: models behind one interface (HF + LoRA, GGUF, OpenAI-compatible, demo).
- ``scoring``: the task registry (``TaskSpec``) and the scorers, pure functions of (item, reply) plus resources.
- ``bench``: validate, run, results, report.
- ``data``: the GRPO training data and its contamination guard.
- ``train``: the GRPO recipe, planner, decision table and doctor.
- ``cli``: the ``tucano`` command.

Comments that cite "ADR …" (ADR 2.2, ADR step 3.6, the ADR table) refer to ``docs/adr-001.md``: the
project's plan in our words, with the corrections we made to it. Outside facts the code relies on
(evaluator pitfalls, Olist aggregates, memory models) are in ``docs/sources.md``.
"""

__version__ = "0.1.0"
