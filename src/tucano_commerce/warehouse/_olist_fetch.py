"""``tucano data fetch-olist``: get the Kaggle Olist dataset, check every file, store it as the default data.

The dataset (``olistbr/brazilian-ecommerce``, CC BY-NC-SA 4.0) is never part of the repository. This
module downloads it with ``kagglehub`` (the optional ``kaggle`` extra; network and Kaggle credentials
needed) or takes a folder or zip the user downloaded by hand (``--from``), checks each of the nine CSVs
against the git-blob hash of the pristine Kaggle file (``_olist_import.KAGGLE_BLOBS``), and only then
stores them under ``$TUCANO_HOME/olist``, which ``paths.olist_dir`` uses when ``$TUCANO_OLIST_DIR`` is
unset. A file that is missing or differs stops the fetch with the file named, and nothing is stored.

Before downloading, one TCP connection to Kaggle (``KAGGLE_URL``, overridable with ``$TUCANO_KAGGLE_URL``)
tells whether there is a network at all: without one the fetch fails at once with the manual route
instead of waiting on the download client's retries.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tucano_commerce.errors import ConfigError, DataError
from tucano_commerce.paths import default_olist_dir
from tucano_commerce.warehouse._olist_import import KAGGLE_BLOBS, git_blob_sha1
from tucano_commerce.warehouse._schema import TABLES_BY_NAME

KAGGLE_DATASET = "olistbr/brazilian-ecommerce"
KAGGLE_PAGE = f"https://www.kaggle.com/datasets/{KAGGLE_DATASET}"
KAGGLE_URL = "https://www.kaggle.com"
KAGGLE_URL_ENV = "TUCANO_KAGGLE_URL"
"""Where the reachability check connects (a mirror, or a loopback address in tests)."""
PROBE_TIMEOUT_S = 5.0
MANUAL_ROUTE = (
    f"Manual route: open {KAGGLE_PAGE}, download the dataset's zip (a free Kaggle account is needed), then "
    "run `tucano data fetch-olist --from PATH/TO/archive.zip` (checks the files and stores them under "
    "$TUCANO_HOME/olist), or unzip it and set TUCANO_OLIST_DIR to that folder."
)


@dataclass(frozen=True)
class FetchReport:
    """What ``fetch_olist`` stored."""

    folder: Path
    files: dict[str, str]  # file name -> git-blob SHA-1 (each equal to the Kaggle original's)
    source: str  # "kaggle" or the local folder/zip it came from
    already_there: bool = False  # the folder already held the verified files; nothing was copied


def expected_files(blobs: Mapping[str, str] | None = None) -> dict[str, str]:
    """Kaggle file name -> git-blob SHA-1 of the pristine file (``blobs`` is table -> hash)."""
    blobs = KAGGLE_BLOBS if blobs is None else blobs
    return {TABLES_BY_NAME[table].csv_name: blob for table, blob in blobs.items()}


def _locate(folder: Path, name: str) -> Path | None:
    """``name`` directly in ``folder`` or in one of its sub-folders (a zip often wraps a folder)."""
    direct = folder / name
    if direct.is_file():
        return direct
    return next((p for p in sorted(folder.glob(f"*/{name}")) if p.is_file()), None)


def verify_download(folder: Path, expected: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Every Kaggle file of the dataset in ``folder``, each checked against its git-blob hash.

    Args:
        folder: A download: the unzipped dataset (files at the top or one folder down).
        expected: File name -> git-blob SHA-1 (default: the Kaggle originals, ``expected_files()``).

    Returns:
        File name -> path, for every expected file.

    Raises:
        DataError: naming each missing file and each file whose hash differs (nothing is partial-ok).
    """
    expected = expected_files() if expected is None else expected
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder. {MANUAL_ROUTE}")
    found: dict[str, Path] = {}
    problems = []
    for name, blob in expected.items():
        path = _locate(folder, name)
        if path is None:
            problems.append(f"{name}: missing")
            continue
        actual = git_blob_sha1(path)
        if actual != blob:
            problems.append(
                f"{path}: git-blob {actual[:12]}, the Kaggle original is {blob[:12]} (another version of the "
                "file, edited, or damaged)"
            )
        found[name] = path
    if problems:
        raise DataError(
            f"{folder} is not the Kaggle dataset {KAGGLE_DATASET} as published: " + "; ".join(problems)
        )
    return found


def check_reachable(url: str | None = None, *, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """One TCP connection to ``url`` (default ``$TUCANO_KAGGLE_URL`` or ``KAGGLE_URL``); no request is sent.

    Raises:
        DataError: the host cannot be resolved or reached (no network), with the manual route.
    """
    url = url or os.environ.get(KAGGLE_URL_ENV) or KAGGLE_URL
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as err:
        raise DataError(
            f"cannot reach {host}:{port} ({err.strerror or err}): no network here, so the dataset cannot be "
            f"downloaded. {MANUAL_ROUTE}"
        ) from None


def kaggle_download(workdir: Path) -> Path:
    """Download the dataset with ``kagglehub`` and return the folder holding its CSVs.

    ``workdir`` is unused by kagglehub (it keeps its own cache, ``~/.cache/kagglehub``); the files are
    checked and copied from there.

    Raises:
        DataError: no network, or the download failed (credentials, quota ...), with the manual route.
        ConfigError: the ``kaggle`` extra is not installed.
    """
    del workdir
    check_reachable()  # first: without a network, installing kagglehub would not help either
    try:
        import kagglehub  # the optional `kaggle` extra
    except ImportError:
        raise ConfigError(
            "downloading needs kagglehub: pip install 'tucano-commerce[kaggle]' (and Kaggle credentials: "
            f"KAGGLE_USERNAME/KAGGLE_KEY or ~/.kaggle/kaggle.json). {MANUAL_ROUTE}"
        ) from None
    try:
        return Path(kagglehub.dataset_download(KAGGLE_DATASET))
    except Exception as err:  # kagglehub raises its own errors, requests' and OSError; all mean the same here
        raise DataError(
            f"the Kaggle download failed: {type(err).__name__}: {err}. Kaggle needs credentials "
            f"(KAGGLE_USERNAME/KAGGLE_KEY or ~/.kaggle/kaggle.json). {MANUAL_ROUTE}"
        ) from err


def _unzip(archive: Path, names: set[str], into: Path) -> Path:
    """Extract the members named like a dataset file (by base name; nothing else, no paths) into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                name = Path(member.filename).name
                if name in names and not member.is_dir():
                    with zf.open(member) as src, (into / name).open("wb") as dst:
                        shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile as err:
        raise DataError(f"{archive}: not a readable zip ({err}). {MANUAL_ROUTE}") from None
    return into


def _already_there(dest: Path, expected: Mapping[str, str]) -> dict[str, str] | None:
    """The folder's verified hashes when it already holds the whole dataset, else None."""
    if not all((dest / name).is_file() for name in expected):
        return None
    try:
        verify_download(dest, expected)
    except DataError:
        return None
    return dict(expected)


def fetch_olist(
    dest: Path | None = None,
    *,
    source: Path | None = None,
    force: bool = False,
    expected: Mapping[str, str] | None = None,
    download: Callable[[Path], Path] = kaggle_download,
) -> FetchReport:
    """Get the dataset (Kaggle, or ``source``), verify every file, store it in ``dest``.

    Args:
        dest: Where to store the CSVs (default ``$TUCANO_HOME/olist``, the default data folder).
        source: A folder or ``.zip`` downloaded by hand; None downloads with kagglehub.
        force: Replace ``dest`` even when it already holds the verified dataset.
        expected: File name -> git-blob SHA-1 (default: the Kaggle originals).
        download: ``workdir -> folder`` that downloads the dataset (default: kagglehub).

    Returns:
        What was stored, and from where.

    Raises:
        DataError: no network, a failed download, or a file missing or different from the original;
            then nothing is written to ``dest``.
        ConfigError: downloading needs the ``kaggle`` extra.
    """
    dest = (dest or default_olist_dir()).expanduser()
    expected = expected_files() if expected is None else dict(expected)
    origin = "kaggle" if source is None else str(source)
    if not force and (hashes := _already_there(dest, expected)) is not None:
        return FetchReport(dest, hashes, origin, already_there=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".olist-fetch-", dir=dest.parent) as tmp:
        work = Path(tmp)
        if source is None:
            folder = download(work / "download")
        elif source.is_file():
            folder = _unzip(source, set(expected), work / "unzipped")
        else:
            folder = source
        files = verify_download(folder, expected)
        dest.mkdir(parents=True, exist_ok=True)
        for name, path in files.items():  # each file appears whole or not at all; other files are left alone
            partial = dest / f".{name}.partial"
            shutil.copyfile(path, partial)
            partial.replace(dest / name)
    return FetchReport(dest, expected, origin)
