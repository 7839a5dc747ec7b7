"""``tucano data fetch-olist``: no network fails at once with the manual route; every file is verified.

No test reaches Kaggle: "no network" is a connection refused on 127.0.0.1, and downloads are stand-in
folders and zips of invented CSVs, checked against their own hashes (``expected=``) or, where the real
data is at hand, against the Kaggle originals.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tucano_commerce.cli import app
from tucano_commerce.errors import ConfigError, DataError
from tucano_commerce.paths import olist_dir
from tucano_commerce.warehouse._olist_fetch import (
    KAGGLE_URL_ENV,
    expected_files,
    fetch_olist,
    kaggle_download,
    verify_download,
)
from tucano_commerce.warehouse._olist_import import git_blob_sha1


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_download(folder: Path) -> dict[str, str]:
    """Nine invented CSVs under the Kaggle names; returns their hashes (name -> git-blob)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(expected_files()):
        (folder / name).write_text(f"col_a,col_b\n{n},invented\n", encoding="utf-8")
    return {name: git_blob_sha1(folder / name) for name in expected_files()}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUCANO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TUCANO_OLIST_DIR", raising=False)
    return tmp_path / "home"


def test_without_network_it_fails_at_once_with_the_manual_route(home: Path, monkeypatch) -> None:
    monkeypatch.setenv(KAGGLE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    done = CliRunner().invoke(app, ["data", "fetch-olist"])
    assert done.exit_code == 1
    text = " ".join(done.output.split())
    assert "cannot reach 127.0.0.1" in text and "no network" in text
    assert "Manual route" in text and "fetch-olist --from" in text and "TUCANO_OLIST_DIR" in text
    assert not (home / "olist").exists()


@pytest.mark.skipif(importlib.util.find_spec("kagglehub") is not None, reason="kagglehub is installed here")
def test_with_a_network_but_no_kaggle_extra_it_says_what_to_install(home: Path, monkeypatch) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv(KAGGLE_URL_ENV, f"http://127.0.0.1:{server.getsockname()[1]}")
        with pytest.raises(ConfigError, match=r"tucano-commerce\[kaggle\].*Manual route"):
            kaggle_download(home)


def test_a_verified_download_is_stored_as_the_default_data_folder(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    hashes = fake_download(tmp_path / "download")
    assert olist_dir() is None
    report = fetch_olist(source=tmp_path / "download", expected=hashes)
    assert report.folder == home / "olist" and not report.already_there and report.files == hashes
    assert sorted(p.name for p in (home / "olist").iterdir()) == sorted(hashes)
    assert olist_dir() == home / "olist"  # TUCANO_OLIST_DIR unset: the fetched data is the default
    monkeypatch.setenv("TUCANO_OLIST_DIR", str(tmp_path / "download"))
    assert olist_dir() == tmp_path / "download"  # the environment still wins
    again = fetch_olist(source=tmp_path / "download", expected=hashes)
    assert again.already_there


def test_a_zip_with_the_files_in_a_folder_is_accepted(home: Path, tmp_path: Path) -> None:
    hashes = fake_download(tmp_path / "download")
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in hashes:
            zf.write(tmp_path / "download" / name, f"brazilian-ecommerce/{name}")
        zf.writestr("../evil.csv", "not extracted")
    report = fetch_olist(tmp_path / "out", source=archive, expected=hashes)
    assert sorted(p.name for p in report.folder.iterdir()) == sorted(hashes)
    assert not (tmp_path / "evil.csv").exists()


def test_a_file_that_differs_or_is_missing_stops_the_fetch_and_nothing_is_stored(
    home: Path, tmp_path: Path
) -> None:
    hashes = fake_download(tmp_path / "download")
    first = fetch_olist(source=tmp_path / "download", expected=hashes)
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    edited = tmp_path / "download" / "olist_orders_dataset.csv"
    edited.write_text("col_a,col_b\n1,changed\n", encoding="utf-8")
    (tmp_path / "download" / "olist_sellers_dataset.csv").unlink()
    with pytest.raises(DataError) as err:
        fetch_olist(source=tmp_path / "download", expected=hashes, force=True)
    message = str(err.value)
    assert f"{edited}: git-blob {git_blob_sha1(edited)[:12]}" in message
    assert "olist_sellers_dataset.csv: missing" in message
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before


def test_the_cli_checks_a_manual_download_against_the_kaggle_originals(home: Path, tmp_path: Path) -> None:
    fake_download(tmp_path / "download")
    done = CliRunner().invoke(app, ["data", "fetch-olist", "--from", str(tmp_path / "download")])
    assert done.exit_code == 1
    text = " ".join(done.output.split())
    assert "is not the Kaggle dataset olistbr/brazilian-ecommerce as published" in text
    assert "olist_order_reviews_dataset.csv" in text and "the Kaggle original is 5ee699e750ac" in text
    assert not (home / "olist").exists()


def test_the_known_hashes_match_the_real_files_at_hand() -> None:
    raw = os.environ.get("TUCANO_OLIST_DIR")
    if not raw:
        pytest.skip("TUCANO_OLIST_DIR is not set to the Olist data directory")
    real = Path(raw)
    present = {name: blob for name, blob in expected_files().items() if (real / name).is_file()}
    if not present:
        pytest.skip(f"no complete Kaggle file in {real}")
    assert verify_download(real, present) == {name: real / name for name in present}
