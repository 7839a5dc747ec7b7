"""A spreadsheet round trip for checking review labels by hand: export, correct, import as gold.

``export_queue`` writes one row per review example: ``id``, ``task``, ``label_source``, ``review`` (the
text inside the prompt) and one column per extraction field (sentiment examples fill only their two).
The file is UTF-8 with a BOM and ``;``-delimited with every cell quoted, so Excel in a pt-BR locale
opens it in columns and texts holding ``;``, quotes or line breaks survive. Booleans are written
``true``/``false`` and numbers with a decimal point; Excel's "VERDADEIRO" or "0,8" read back fine.

``import_queue`` reads it back. Every row's values go through ``check_output``; a row whose values
differ from the current label becomes ``label_source="gold"``, and so does a row whose ``label_source``
cell the reviewer set to ``gold`` (a confirmed label). Rows may be deleted; unknown or repeated ids, a
missing column, an invalid value, or a ``main_complaint`` on a row with ``complaint_category`` nenhuma
raise :class:`DataError` naming the file, the CSV line and the field.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from tucano_commerce.data._records import TrainingExample
from tucano_commerce.errors import DataError
from tucano_commerce.tasks import CONTRACT_FIELDS, EXTRACTION_FIELDS, check_output

QUEUE_COLUMNS: tuple[str, ...] = ("id", "task", "label_source", "review", *EXTRACTION_FIELDS)
REVIEW_TASKS: Final = ("extraction", "sentiment")
_REVIEW_RE = re.compile(r"<avaliacao>\n(.*)\n</avaliacao>", re.DOTALL)


def prompt_review(example: TrainingExample) -> str:
    """The review text inside an example's user prompt (the whole user text if there are no tags)."""
    text = example.user_text()
    match = _REVIEW_RE.search(text)
    return match.group(1) if match else text


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 4))
    return "" if value is None else str(value)


def export_queue(examples: Sequence[TrainingExample], path: str | Path) -> Path:
    """Write the review examples (extraction and sentiment; others are skipped) to a correction CSV.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(QUEUE_COLUMNS)
        for ex in examples:
            if ex.task not in REVIEW_TASKS:
                continue
            fields = [
                _cell(ex.ground_truth.get(f)) if f in ex.ground_truth else "" for f in EXTRACTION_FIELDS
            ]
            writer.writerow([ex.id, ex.task, ex.label_source, prompt_review(ex), *fields])
    return path


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=1e-6)
    return a == b


def import_queue(path: str | Path, examples: Sequence[TrainingExample]) -> list[TrainingExample]:
    """Apply the corrections in a queue CSV to ``examples``.

    Args:
        path: A file written by :func:`export_queue`, possibly edited (any subset of its rows).
        examples: The examples it was exported from.

    Returns:
        ``examples`` in the same order; corrected or confirmed rows have the new ground truth and
        ``label_source="gold"``.

    Raises:
        DataError: unreadable file, missing column, unknown/repeated id, or an invalid value (the message
            names the file, the line and the field).
    """
    path = Path(path)
    by_id = {ex.id: ex for ex in examples}
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read the review queue as UTF-8: {err}") from err
    reader = csv.reader(raw.splitlines(keepends=True), delimiter=";")
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError(
            f"{path}: line 1: empty file; expected the columns {', '.join(QUEUE_COLUMNS)}"
        ) from None
    missing = [c for c in ("id", "label_source", *EXTRACTION_FIELDS) if c not in header]
    if missing:
        raise DataError(f"{path}: line 1: missing column(s) {', '.join(missing)}; re-export the queue")
    col = {name: i for i, name in enumerate(header)}
    updated: dict[str, TrainingExample] = {}
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (len(header) - len(row))
        ex_id = row[col["id"]].strip()
        where = f"{path}: line {start}"
        if ex_id not in by_id:
            raise DataError(
                f"{where}: field 'id': unknown id {ex_id!r}; the queue must come from these examples"
            )
        if ex_id in updated:
            raise DataError(f"{where}: field 'id': id {ex_id!r} appears twice")
        ex = by_id[ex_id]
        if ex.task not in REVIEW_TASKS:
            raise DataError(f"{where}: field 'task': {ex_id} is a {ex.task} example, not a review example")
        fields = CONTRACT_FIELDS[ex.task]
        obj = {f: row[col[f]] for f in fields}
        check = check_output(ex.task, obj)
        if check.problems:
            p = check.problems[0]
            raise DataError(f"{where}: field '{p.field}': {p.detail}")
        values = {f: check.values[f] for f in fields}
        if ex.task == "extraction" and values["complaint_category"] == "nenhuma" and values["main_complaint"]:
            raise DataError(
                f"{where}: field 'main_complaint': must be empty when complaint_category is nenhuma "
                f"(got {values['main_complaint']!r}); clear it or set the category"
            )
        changed = any(not _same(values[f], ex.ground_truth.get(f)) for f in fields)
        confirmed = row[col["label_source"]].strip().lower() == "gold"
        if changed or confirmed:
            updated[ex_id] = ex.model_copy(update={"ground_truth": values, "label_source": "gold"})
        else:
            updated[ex_id] = ex
    return [updated.get(ex.id, ex) for ex in examples]
