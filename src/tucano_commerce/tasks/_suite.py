"""The SQL test suite: a warehouse plus the variants on which ``ex_suite`` is measured, built once and cached.

For a generated warehouse of seed ``s`` (the benchmark's, or a training warehouse) the suite's other members
are, in this order:

- ``seed{s+1}``: a plain build from the next seed (other data, same distributions); it catches queries that
  agree with the gold on one dataset by accident, and answers typed in as literals;
- ``edges-seed{s}`` and ``edges-seed{s+1}``: perturbed copies of both builds (``warehouse._perturb``: NULLs,
  empty groups, duplicates, boundary dates, ties at top-k boundaries).

So ``ex_suite`` runs an ``ex``-correct prediction on four warehouses (a wrong one stops at the first). The
files are cached under ``$TUCANO_HOME/warehouses`` next to ``cached_warehouse``'s, keyed by seed, scale,
generator, suite and perturbation versions; the benchmark's are checked against the content hashes recorded
in ``manifest.json`` (``sql_suite``). A training warehouse gets its own suite the same way (its seeds must not
overlap the benchmark suite's: ``suite_seeds``), so no training reward is ever computed on benchmark data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tucano_commerce.errors import DataError
from tucano_commerce.paths import tucano_home
from tucano_commerce.tasks._benchmark import (
    Manifest,
    SqlSuiteSpec,
    SuiteWarehouseSpec,
    cached_warehouse,
    load_manifest,
    stored_content_hash,
)

__all__ = [
    "SUITE_VERSION",
    "SuiteMember",
    "benchmark_sql_suite",
    "cached_sql_suite",
    "describe_sql_suite",
    "suite_plan",
    "suite_seeds",
]

SUITE_VERSION = 1
"""Bump when the suite's members change (which seeds, which are perturbed, the salt)."""


@dataclass(frozen=True)
class SuiteMember:
    """One warehouse of a suite besides the base: a plain build or a perturbed copy of one."""

    name: str
    seed: int
    perturbed: bool


def suite_plan(seed: int) -> list[SuiteMember]:
    """The members of the suite of the warehouse built from ``seed``, besides that warehouse itself."""
    return [
        SuiteMember(f"seed{seed + 1}", seed + 1, False),
        SuiteMember(f"edges-seed{seed}", seed, True),
        SuiteMember(f"edges-seed{seed + 1}", seed + 1, True),
    ]


def suite_seeds(seed: int) -> set[int]:
    """Every generator seed the suite of ``seed`` reads (its own included)."""
    return {seed} | {m.seed for m in suite_plan(seed)}


def _salt() -> str:
    return f"tucano-sql-suite-v{SUITE_VERSION}"


def _perturbed_path(seed: int, scale: float) -> Path:
    from tucano_commerce.warehouse import GENERATOR_VERSION
    from tucano_commerce.warehouse._perturb import PERTURBATION_VERSION

    name = (
        f"suite{SUITE_VERSION}-edges-seed{seed}-scale{scale}-gen{GENERATOR_VERSION}-p{PERTURBATION_VERSION}"
    )
    return tucano_home() / "warehouses" / f"{name}.duckdb"


def cached_sql_suite(
    seed: int, scale: float, *, expected: SqlSuiteSpec | None = None, rebuild: bool = False
) -> list[Path]:
    """The suite's other warehouses for the generated warehouse of ``seed`` and ``scale``, built on first use.

    Args:
        seed: seed of the base warehouse (``cached_warehouse(seed, scale)``).
        scale: its scale.
        expected: content hashes to check (the benchmark manifest's ``sql_suite``); a cached file that does
            not match is rebuilt, a fresh build that does not match raises.
        rebuild: build every member again.

    Returns:
        The member files, in ``suite_plan`` order.

    Raises:
        DataError: ``expected`` was written by another suite version, or a fresh build does not match it.
    """
    from tucano_commerce.sql import release_databases
    from tucano_commerce.warehouse._perturb import perturb_warehouse

    hashes = {}
    if expected is not None:
        if expected.version != SUITE_VERSION:
            raise DataError(
                f"the SQL suite was recorded with suite version {expected.version}, this code builds version "
                f"{SUITE_VERSION}: re-author the benchmark (python benchmark/author.py)"
            )
        hashes = {w.name: w.content_hash for w in expected.warehouses}
        if set(hashes) != {m.name for m in suite_plan(seed)}:
            raise DataError(
                f"the recorded SQL suite lists {sorted(hashes)}, expected {[m.name for m in suite_plan(seed)]}"
            )
    paths = []
    for member in suite_plan(seed):
        want = hashes.get(member.name)
        if not member.perturbed:
            paths.append(cached_warehouse(member.seed, scale, expected_hash=want, rebuild=rebuild))
            continue
        path = _perturbed_path(member.seed, scale)
        stored = stored_content_hash(path) if path.is_file() and not rebuild else None
        if stored is None or (want is not None and stored != want):
            source = cached_warehouse(member.seed, scale)
            release_databases(path)  # the sandbox may hold a stale copy open
            report = perturb_warehouse(source, path, salt=_salt())
            if want is not None and report.content_hash != want:
                raise DataError(
                    f"the suite warehouse {member.name} built at {path} has content hash {report.content_hash[:16]}, "
                    f"expected {want[:16]}: the generator or the perturbations changed without a version bump; "
                    "re-author the benchmark"
                )
        paths.append(path)
    return paths


def describe_sql_suite(seed: int, scale: float) -> SqlSuiteSpec:
    """Build the suite of ``seed`` and ``scale`` afresh and describe it, content hashes included (for authoring:
    a cached file from older code must not be what the manifest records)."""
    paths = cached_sql_suite(seed, scale, rebuild=True)
    members = []
    for member, path in zip(suite_plan(seed), paths, strict=True):
        content = stored_content_hash(path)
        if content is None:
            raise DataError(f"{path}: no content hash recorded; delete the file and build again")
        members.append(
            SuiteWarehouseSpec(
                name=member.name, seed=member.seed, perturbed=member.perturbed, content_hash=content
            )
        )
    return SqlSuiteSpec(version=SUITE_VERSION, warehouses=members)


def benchmark_sql_suite(*, manifest: Manifest | None = None, rebuild: bool = False) -> list[Path]:
    """The benchmark's SQL suite (besides its warehouse), built and cached on first use, checked by content hash.

    Raises:
        DataError: the manifest records no suite (written before suites existed) or another suite version.
    """
    manifest = manifest or load_manifest()
    if manifest.sql_suite is None:
        raise DataError(
            "the benchmark manifest records no SQL test suite (sql_suite); re-author the benchmark "
            "(python benchmark/author.py)"
        )
    spec = manifest.warehouse
    return cached_sql_suite(spec.seed, spec.scale, expected=manifest.sql_suite, rebuild=rebuild)
