"""Finding and loading the benchmark: items, manifest, review texts, and its warehouse.

The benchmark (``prompts.jsonl`` + ``manifest.json``, authored in ``benchmark/`` at the repository root)
ships with the package (``paths.bundled``); ``$TUCANO_BENCHMARK_DIR`` points elsewhere. Review texts are read from the Olist data directory at
load time, never stored. The benchmark's warehouse is built on first use and cached under
``$TUCANO_HOME/warehouses``, keyed by seed, scale and generator version, and checked against the
content hash recorded in the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import duckdb
from pydantic import BaseModel, Field, ValidationError

from tucano_commerce.errors import DataError
from tucano_commerce.paths import OLIST_HELP, bundled, olist_dir, tucano_home
from tucano_commerce.tasks._items import BenchmarkItem
from tucano_commerce.tasks._olist_reviews import find_reviews_csv, read_reviews

BENCHMARK_DIR_ENV = "TUCANO_BENCHMARK_DIR"
REVIEW_PLACEHOLDER = "{review}"


class WarehouseSpec(BaseModel):
    """The warehouse the benchmark's SQL, churn and insight items were authored on."""

    seed: int
    scale: float
    generator_version: int
    content_hash: str = Field(description="build_warehouse(...).content_hash of the authored warehouse")


class SuiteWarehouseSpec(BaseModel):
    """One distinguishing warehouse of the SQL test suite (``tasks._suite``)."""

    name: str = Field(description="e.g. 'seed1235' or 'edges-seed1234'")
    seed: int = Field(description="seed of the generated warehouse it is (or is perturbed from)")
    perturbed: bool = Field(description="a perturbed copy (warehouse._perturb), else a plain build")
    content_hash: str = Field(description="content hash of the built file")


class SqlSuiteSpec(BaseModel):
    """The warehouses besides the benchmark's own on which ``ex_suite`` is measured."""

    version: int = Field(description="tasks._suite.SUITE_VERSION the suite was built with")
    warehouses: list[SuiteWarehouseSpec]


class Manifest(BaseModel):
    """``benchmark/manifest.json``."""

    name: str
    version: str
    warehouse: WarehouseSpec
    sql_suite: SqlSuiteSpec | None = Field(
        None, description="the SQL test suite (None in manifests written before it existed)"
    )
    counts: dict[str, dict[str, int]] = Field(description="task -> difficulty -> number of items")
    prompts_sha256: str


def benchmark_dir() -> Path:
    """The benchmark folder: ``$TUCANO_BENCHMARK_DIR`` or the one shipped with the package."""
    raw = os.environ.get(BENCHMARK_DIR_ENV)
    path = Path(raw) if raw else bundled("benchmark")
    if not (path / "prompts.jsonl").is_file():
        raise DataError(
            f"no benchmark at {path} (expected prompts.jsonl); set {BENCHMARK_DIR_ENV} to the benchmark folder"
        )
    return path


def load_manifest(directory: Path | None = None) -> Manifest:
    """Read and validate ``manifest.json``."""
    path = (directory or benchmark_dir()) / "manifest.json"
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as err:
        raise DataError(f"{path}: invalid benchmark manifest: {err}") from err


def read_items(path: Path | None = None) -> list[BenchmarkItem]:
    """Parse ``prompts.jsonl`` (placeholders unfilled); errors name the line and the field."""
    path = path or benchmark_dir() / "prompts.jsonl"
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(BenchmarkItem.model_validate_json(line))
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(line)"
            raise DataError(f"{path}: line {lineno}: field '{field}': {first['msg']}") from err
    return items


def review_text_hash(text: str) -> str:
    """First 16 hex of SHA-256 over the normalised review text (NFC, LF line ends, stripped)."""
    norm = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    return hashlib.sha256(norm.encode()).hexdigest()[:16]


def review_text(title: str | None, message: str | None) -> str:
    """The review as shown to the model: the title (if any) then the message."""
    message = (message or "").strip()
    return f"Título: {title.strip()}\nComentário: {message}" if title and title.strip() else message


def fill_reviews(items: list[BenchmarkItem], directory: Path | None) -> list[BenchmarkItem]:
    """Replace ``{review}`` with the review text from the data directory (or the authored text)."""
    wanted = {
        i.source["review_id"] for i in items if i.source.get("dataset") == "olist" and "review_id" in i.source
    }
    reviews: dict[str, tuple[str | None, str | None]] = {}
    if wanted:
        if directory is None:
            raise DataError(f"the benchmark's review items need the Olist reviews. {OLIST_HELP}")
        reviews = read_reviews(directory, wanted)
    out = []
    for item in items:
        if REVIEW_PLACEHOLDER not in item.prompt:
            out.append(item)
            continue
        if item.source.get("dataset") == "authored":
            text = item.source["text"]
        else:
            rid = item.source["review_id"]
            if rid not in reviews:
                where = find_reviews_csv(directory) if directory is not None else "the Olist data"
                raise DataError(f"{item.id}: review {rid} is not in {where}; {OLIST_HELP}")
            text = review_text(*reviews[rid])
            expected = item.source.get("text_sha256")
            if expected and review_text_hash(reviews[rid][1] or "") != expected:
                raise DataError(
                    f"{item.id}: review {rid} in your data differs from the one that was labelled"
                )
        out.append(item.model_copy(update={"prompt": item.prompt.replace(REVIEW_PLACEHOLDER, text)}))
    return out


def load_items(*, olist: str | Path | None = None, path: Path | None = None) -> list[BenchmarkItem]:
    """The benchmark items, ready to send to a model (review texts filled in)."""
    return fill_reviews(read_items(path), olist_dir(olist))


def cached_warehouse(
    seed: int, scale: float, *, expected_hash: str | None = None, rebuild: bool = False
) -> Path:
    """A synthetic warehouse built once and cached under ``$TUCANO_HOME/warehouses``.

    Keyed by seed, scale and generator version; when ``expected_hash`` is given the content hash is
    checked (a cached file that does not match is rebuilt; a fresh build that does not match raises).
    """
    from tucano_commerce.warehouse import GENERATOR_VERSION, build_warehouse

    path = tucano_home() / "warehouses" / f"bench-seed{seed}-scale{scale}-gen{GENERATOR_VERSION}.duckdb"
    stored = stored_content_hash(path) if path.is_file() and not rebuild else None
    if stored is not None and (expected_hash is None or stored == expected_hash):
        return path
    from tucano_commerce.sql import release_databases

    release_databases(path)  # the sandbox may hold the stale file open
    report = build_warehouse(path, seed=seed, scale=scale)
    if expected_hash is not None and report.content_hash != expected_hash:
        raise DataError(
            f"the warehouse built at {path} has content hash {report.content_hash[:16]}, expected "
            f"{expected_hash[:16]}: the generator changed without a version bump; re-author the benchmark"
        )
    return path


def benchmark_warehouse(*, manifest: Manifest | None = None, rebuild: bool = False) -> Path:
    """Path of the benchmark's warehouse, built and cached on first use, verified by content hash."""
    from tucano_commerce.warehouse import GENERATOR_VERSION

    spec = (manifest or load_manifest()).warehouse
    if spec.generator_version != GENERATOR_VERSION:
        raise DataError(
            f"the benchmark was authored with warehouse generator v{spec.generator_version}, this code has "
            f"v{GENERATOR_VERSION}: re-author the benchmark (python benchmark/author.py)"
        )
    return cached_warehouse(spec.seed, spec.scale, expected_hash=spec.content_hash, rebuild=rebuild)


def stored_content_hash(db_path: Path) -> str | None:
    """The content hash a warehouse recorded at build time (None if unreadable)."""
    from tucano_commerce.sql import sandbox_connection  # the one read-only config used in-process

    try:
        con = sandbox_connection(db_path)
    except (duckdb.Error, DataError):
        return None
    try:
        row = con.execute("SELECT value FROM ground_truth.build_info WHERE key = 'content_hash'").fetchone()
        return json.loads(row[0]) if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()
