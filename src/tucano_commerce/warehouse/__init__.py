"""The Olist-schema DuckDB warehouse: seeded synthetic data or the real Kaggle CSVs.

Public entry points: ``build_warehouse`` (writes the file and returns a ``BuildReport``),
``summarize`` (a ``WarehouseSummary`` of a built file), ``TABLES`` (the schema), ``schema_ddl`` (the DDL shown
to models), the churn model's
``RISK_BANDS`` / ``HORIZON_DAYS`` and Olist's SQL conditions (``LATE``, ``DELIVERED``, ``PERIOD``, ``YEAR``).
"""

from tucano_commerce.warehouse._build import DEFAULT_SCALE, BuildReport, build_warehouse, content_hash
from tucano_commerce.warehouse._churn import FEATURES_SQL as CHURN_FEATURES_SQL
from tucano_commerce.warehouse._churn import HORIZON_DAYS, RISK_BANDS, churn_probability, risk_level
from tucano_commerce.warehouse._conditions import DELIVERED, LATE, PERIOD, YEAR
from tucano_commerce.warehouse._olist_import import KAGGLE_BLOBS, git_blob_sha1
from tucano_commerce.warehouse._query import one_row
from tucano_commerce.warehouse._schema import (
    CHURN_TRUTH,
    TABLES,
    TABLES_BY_NAME,
    TRUTH_SCHEMA,
    Table,
    schema_ddl,
)
from tucano_commerce.warehouse._summary import SampleQuery, WarehouseSummary, summarize
from tucano_commerce.warehouse._synth import GENERATOR_VERSION

__all__ = [
    "one_row",
    "CHURN_FEATURES_SQL",
    "CHURN_TRUTH",
    "DEFAULT_SCALE",
    "DELIVERED",
    "GENERATOR_VERSION",
    "HORIZON_DAYS",
    "KAGGLE_BLOBS",
    "LATE",
    "PERIOD",
    "RISK_BANDS",
    "TABLES",
    "TABLES_BY_NAME",
    "TRUTH_SCHEMA",
    "YEAR",
    "BuildReport",
    "SampleQuery",
    "Table",
    "WarehouseSummary",
    "build_warehouse",
    "churn_probability",
    "content_hash",
    "git_blob_sha1",
    "risk_level",
    "schema_ddl",
    "summarize",
]
