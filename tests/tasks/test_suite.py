"""The SQL test suite cache: members, reuse, content-hash checks against the manifest, seed separation.

Run: ``PYTHONPATH=src pytest tests/tasks/test_suite.py``
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tucano_commerce.errors import DataError
from tucano_commerce.tasks import SqlSuiteSpec, load_manifest, suite_seeds
from tucano_commerce.tasks._benchmark import stored_content_hash
from tucano_commerce.tasks._suite import SUITE_VERSION, benchmark_sql_suite, cached_sql_suite, suite_plan

pytestmark = pytest.mark.usefixtures("tucano_home")  # one cache for the session


def test_plan_another_seed_and_perturbed_copies_of_both() -> None:
    assert [(m.name, m.seed, m.perturbed) for m in suite_plan(1234)] == [
        ("seed1235", 1235, False),
        ("edges-seed1234", 1234, True),
        ("edges-seed1235", 1235, True),
    ]
    assert suite_seeds(1234) == {1234, 1235}
    assert not suite_seeds(2026) & suite_seeds(1234)  # the training suite never reads benchmark data


def test_benchmark_suite_matches_the_manifest_and_is_reused() -> None:
    manifest = load_manifest()
    assert manifest.sql_suite is not None and manifest.sql_suite.version == SUITE_VERSION
    paths = benchmark_sql_suite(manifest=manifest)
    recorded = [w.content_hash for w in manifest.sql_suite.warehouses]
    assert [stored_content_hash(p) for p in paths] == recorded
    mtimes = [p.stat().st_mtime_ns for p in paths]
    assert benchmark_sql_suite(manifest=manifest) == paths
    assert [p.stat().st_mtime_ns for p in paths] == mtimes  # cached, not rebuilt


def test_a_stale_cached_member_is_rebuilt() -> None:
    manifest = load_manifest()
    assert manifest.sql_suite is not None
    paths = benchmark_sql_suite(manifest=manifest)
    edges = paths[1]
    edges.write_bytes(b"not a warehouse")  # a broken or stale file in the cache
    assert benchmark_sql_suite(manifest=manifest)[1] == edges
    assert stored_content_hash(edges) == manifest.sql_suite.warehouses[1].content_hash


def test_a_build_that_does_not_match_the_manifest_raises() -> None:
    manifest = load_manifest()
    assert manifest.sql_suite is not None
    wrong = manifest.sql_suite.model_copy(deep=True)
    wrong.warehouses[1].content_hash = "0" * 64
    with pytest.raises(DataError, match="edges-seed1234 built at .* has content hash .* expected 0000"):
        cached_sql_suite(manifest.warehouse.seed, manifest.warehouse.scale, expected=wrong)
    benchmark_sql_suite(manifest=manifest)  # the right file again, for the other tests


def test_manifest_without_a_suite_or_from_another_version_is_refused() -> None:
    manifest = load_manifest()
    with pytest.raises(DataError, match="records no SQL test suite"):
        benchmark_sql_suite(manifest=manifest.model_copy(update={"sql_suite": None}))
    assert manifest.sql_suite is not None
    other = SqlSuiteSpec(version=SUITE_VERSION + 1, warehouses=manifest.sql_suite.warehouses)
    with pytest.raises(DataError, match="suite version"):
        benchmark_sql_suite(manifest=manifest.model_copy(update={"sql_suite": other}))


def test_paths_live_in_the_warehouse_cache(tucano_home: Path) -> None:
    for path in benchmark_sql_suite():
        assert path.parent == tucano_home / "warehouses"
