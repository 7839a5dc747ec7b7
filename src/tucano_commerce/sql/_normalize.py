"""Cell normalisation for result comparison (docs/sources.md#cell-normalisation).

Equal facts must look equal before rows are compared: ``COUNT(*)`` 5 == ``SUM(1.0)`` 5.0 == ``Decimal('5')``;
``DATE``, midnight ``TIMESTAMP`` and ISO text become one string; NaN is NULL; strings are NFC and stripped,
case kept (Portuguese accents matter). A non-integral ``DECIMAL`` stays a ``Decimal``: it is exact, and the
comparator compares two exact numbers exactly (only a float on either side gets a float tolerance).
"""

from __future__ import annotations

import json
import numbers
import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeGuard, TypeVar

__all__ = ["Cell", "Number", "Row", "is_number", "normalize_rows", "normalize_value"]

Cell = None | int | float | Decimal | str | tuple
Row = tuple[Cell, ...]
Number = int | float | Decimal

_NUMBER_KINDS = frozenset({int, float, Decimal})

_T = TypeVar("_T")

_INTEGRAL_FLOAT_LIMIT = 2**53  # floats beyond this are not exact integers any more
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)


def normalize_value(value: object) -> Cell:
    """Canonical form of one result cell, applied to gold and prediction alike.

    Numbers become ``int`` when integral (``5.0``, ``Decimal('5.00')``, ``True``); other floats stay ``float``
    and other decimals stay ``Decimal`` (exact; ``Decimal('2.50') == 2.5`` and both hash alike); NaN becomes
    ``None``; dates and midnight timestamps become ``'YYYY-MM-DD'``, other timestamps
    ``'YYYY-MM-DD HH:MM:SS[.ffffff]'`` (UTC if aware), also when given as ISO text; intervals become days;
    lists become tuples, dicts sorted JSON, bytes hex; text is NFC and stripped, case kept. Numeric-looking
    text stays text: DuckDB is typed, and zip prefixes such as ``'01151'`` are not numbers.

    Args:
        value: a value as DuckDB's Python client returns it.

    Returns:
        ``None``, ``int``, ``float``, ``Decimal``, ``str`` or a ``tuple`` of normalised cells.
    """
    # Exact type tests, not isinstance: bool is an int and numpy's float64 a float, both handled below.
    if value is None or type(value) is int:
        return value
    if type(value) is str:
        return _normalize_str(value)
    if type(value) is float:
        return _normalize_float(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return _normalize_decimal(value)
    if isinstance(value, datetime):  # before date: datetime is a date subclass
        return _canonical_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _normalize_float(value.total_seconds() / 86_400)
    if isinstance(value, list | tuple):
        return tuple(normalize_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, numbers.Integral):  # numpy and friends
        return int(value)
    if isinstance(value, numbers.Real):
        return _normalize_float(float(value))
    return _normalize_str(str(value))


def normalize_rows(rows: Sequence[Sequence[object]]) -> list[Row]:
    """Normalise every cell of every row (see ``normalize_value``).

    Works column by column: a DuckDB column has one Python type, so an all-``int`` column is kept as is and
    the others get one specialised pass instead of a type dispatch per cell.
    """
    if not rows:
        return []
    columns = [_normalize_column(column) for column in zip(*rows, strict=True)]
    return list(zip(*columns, strict=True))


def _normalize_column(column: tuple[object, ...]) -> Sequence[Cell]:
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if _only(column, kinds, int):  # also a column of NULLs alone
        return column
    if _only(column, kinds, str):
        return [v if v is None else _normalize_str(v) for v in column]
    if _only(column, kinds, float):
        return [v if v is None else _normalize_float(v) for v in column]
    if _only(column, kinds, Decimal):
        return [v if v is None else _normalize_decimal(v) for v in column]
    if _only(column, kinds, date):
        return [v if v is None else v.isoformat() for v in column]
    if _only(column, kinds, datetime):
        return [v if v is None else _canonical_datetime(v) for v in column]
    return [normalize_value(v) for v in column]


def _only(column: tuple[object, ...], kinds: set[type], kind: type[_T]) -> TypeGuard[tuple[_T | None, ...]]:
    """Whether every non-NULL cell of ``column`` is exactly a ``kind``, given ``kinds``: their types.

    ``kinds`` is computed once per column by the caller, so each test is a set comparison, not a pass.
    """
    return kinds <= {kind}


def _normalize_float(x: float) -> int | float | None:
    if x != x:  # NaN
        return None
    if x.is_integer() and abs(x) < _INTEGRAL_FLOAT_LIMIT:
        return int(x)  # also turns -0.0 into 0
    return x


def _normalize_decimal(x: Decimal) -> int | float | Decimal | None:
    if x.is_nan():
        return None
    if x.is_infinite():
        return float(x)
    return int(x) if x == x.to_integral_value() else x


def _normalize_str(s: str) -> str:
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
    s = s.strip()
    # Cheap prefilter before the regex: most strings are not dates.
    if len(s) >= 10 and s[4] == "-" and s[7] == "-" and s[:4].isdigit() and _ISO_DATETIME.fullmatch(s):
        try:
            if len(s) == 10:
                return date.fromisoformat(s).isoformat()
            return _canonical_datetime(datetime.fromisoformat(s))
        except ValueError:  # e.g. '2017-13-45' or more than 6 fractional digits: keep the text
            return s
    return s


def _canonical_datetime(dt: datetime) -> str:
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    if dt.hour == dt.minute == dt.second == dt.microsecond == 0:
        return dt.date().isoformat()  # Olist stores dates as midnight timestamps
    return dt.replace(tzinfo=None).isoformat(sep=" ")


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(normalize_value(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    cell = normalize_value(value)
    if isinstance(cell, Decimal):
        return float(cell)  # inside a JSON text: JSON numbers are floats
    return list(cell) if isinstance(cell, tuple) else cell


def is_number(cell: Cell) -> TypeGuard[Number]:
    """True for a normalised number (``int``, ``float`` or ``Decimal``)."""
    return type(cell) in _NUMBER_KINDS
