"""A user's own math word-problem dataset (JSONL or parquet) as ``general`` training examples.

For example a pt-BR translation of GSM8K or Orca-Math kept on disk. A field mapping names the question and
answer columns (dotted paths reach into nested objects: ``"meta.answer"``). The numeric answer is read
from a GSM8K-style ``"... #### 42"`` solution, a plain number (``42``, ``"1.234,5"``, ``"R$ 12,50"``) or a
``Resposta: 42`` line; rows without one are skipped and counted. Malformed input (bad JSON, a missing
field, an empty question) raises ``DataError`` naming the file, the line (row for parquet) and the field.
Parquet needs ``pyarrow`` (``pip install pyarrow``).
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tucano_commerce.data._math import (
    DEFAULT_TOLERANCE,
    GENERAL_SYSTEM_PROMPT,
    extract_final_answer,
    number_readings,
)
from tucano_commerce.data._records import TrainingExample
from tucano_commerce.errors import DataError

__all__ = ["LocalDataset", "extract_numeric_answer", "load_local_dataset", "read_local_dataset"]

log = logging.getLogger(__name__)

_PLAIN_NUMBER = re.compile(r"^\s*(?:R\$\s*)?[-−]?\s?\d[\d.,]*\s*%?\s*\.?\s*$")
_MISSING = object()


@dataclass
class LocalDataset:
    """What ``read_local_dataset`` read.

    Attributes:
        examples: the training examples (after ``limit``).
        rows: rows read from the file.
        skipped_lines: line (JSONL) or row (parquet) numbers, 1-based, whose answer had no number.
    """

    examples: list[TrainingExample] = field(default_factory=list)
    rows: int = 0
    skipped_lines: list[int] = field(default_factory=list)


def extract_numeric_answer(value: Any) -> float | None:
    """The number in a dataset answer, or None.

    A JSON number is taken as is; a string is read after its last ``####`` (GSM8K), else as a plain number
    (pt-BR or English format, optional ``R$`` or ``%``), else after its last ``Resposta:``. An ambiguous
    ``1.234`` / ``1,234`` is read as a thousands separator (1234), the usual case in such datasets.

    >>> extract_numeric_answer("Ela paga 3 * 4 = 12.\\n#### 12"), extract_numeric_answer("R$ 1.234,50")
    (12.0, 1234.5)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    if "####" in value:
        tail = value.rsplit("####", 1)[1].strip()
        readings = number_readings(tail.splitlines()[0]) if tail else []
    elif _PLAIN_NUMBER.match(value):
        readings = number_readings(value)
    else:
        readings = extract_final_answer(value)
    return readings[0] if readings else None


def _get(row: dict[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _iter_rows(path: Path) -> list[tuple[int, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        rows = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as err:
                    raise DataError(
                        f"{path}:{number}: invalid JSON ({err.msg} at column {err.colno}); "
                        "the file must hold one JSON object per line"
                    ) from err
        return rows
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq
        except ImportError as err:
            raise DataError(f"{path}: reading parquet needs pyarrow: pip install pyarrow") from err
        return list(enumerate(pq.read_table(path).to_pylist(), 1))
    raise DataError(
        f"{path}: unsupported file type {suffix!r}; use .jsonl (one JSON object per line) or .parquet"
    )


def read_local_dataset(
    path: str | Path,
    *,
    question_field: str,
    answer_field: str,
    id_field: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> LocalDataset:
    """Read a local dataset into ``general`` examples and report the rows skipped (see the module docstring).

    Args:
        path: a ``.jsonl`` or ``.parquet`` file.
        question_field: field holding the problem text (dotted for nested objects).
        answer_field: field holding the answer or the solution ending in ``#### <number>``.
        id_field: field holding a row id (else the line number is used).
        limit: keep at most this many examples, a seeded sample kept in file order.
        seed: seeds the ``limit`` sample.

    Returns:
        The examples and the skip count.

    Raises:
        DataError: missing file, bad JSON, a row that is not an object, a missing field or an empty question.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found; pass the path of a .jsonl or .parquet dataset")
    report = LocalDataset()
    candidates: list[TrainingExample] = []
    for line, row in _iter_rows(path):
        report.rows += 1
        if not isinstance(row, dict):
            raise DataError(f"{path}:{line}: expected a JSON object, got {type(row).__name__}")
        values = {}
        for role, name in (
            ("question_field", question_field),
            ("answer_field", answer_field),
            ("id_field", id_field),
        ):
            if name is None:
                continue
            values[role] = _get(row, name)
            if values[role] is _MISSING:
                raise DataError(
                    f"{path}:{line}: field {name!r} ({role}) is missing; the row has fields "
                    f"{sorted(row)}; set {role}= to one of them"
                )
        question = values["question_field"]
        if not isinstance(question, str) or not question.strip():
            raise DataError(
                f"{path}:{line}: field {question_field!r} (question_field) must be a non-empty string"
            )
        answer = extract_numeric_answer(values["answer_field"])
        if answer is None:
            report.skipped_lines.append(line)
            continue
        row_id = str(values["id_field"]) if id_field is not None else f"{path.stem}-{line:06d}"
        candidates.append(
            TrainingExample(
                id=f"train-loc-{row_id}",
                task="general",
                prompt=[
                    {"role": "system", "content": GENERAL_SYSTEM_PROMPT},
                    {"role": "user", "content": question.strip()},
                ],
                ground_truth={"answer": answer, "tolerance": DEFAULT_TOLERANCE},
                source={"dataset": "local", "path": str(path), "line": line, "id": row_id},
                label_source="gold",
            )
        )
    if limit is not None and limit < len(candidates):
        keep = sorted(random.Random(seed).sample(range(len(candidates)), limit))
        candidates = [candidates[i] for i in keep]
    report.examples = candidates
    if report.skipped_lines:
        log.warning(
            "%s: skipped %d of %d rows without a numeric answer in %r (first lines: %s)",
            path,
            len(report.skipped_lines),
            report.rows,
            answer_field,
            report.skipped_lines[:5],
        )
    return report


def load_local_dataset(
    path: str | Path,
    *,
    question_field: str,
    answer_field: str,
    id_field: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[TrainingExample]:
    """The examples of ``read_local_dataset`` (skipped rows are logged; use that function to get the count)."""
    return read_local_dataset(
        path,
        question_field=question_field,
        answer_field=answer_field,
        id_field=id_field,
        limit=limit,
        seed=seed,
    ).examples
