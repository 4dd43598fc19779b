"""The sample shop a new workspace opens on, and the workspace flags that remember it.

Two rows of the store's ``meta`` table carry this: ``sample_loaded`` (the sample was offered
once, so deleting it does not bring it back on the next visit) and ``sample_file_hash`` (the
SHA-256 of the generated file, which tells a dataset that still holds the sample from one the
user replaced or appended their own rows to — the dataset's ``file_hash`` moves on then).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from retention.ingest import LoadFolder, LoadReport, load_file
from retention.sample import write_sample_csv
from retention.store import Dataset, Workspace

SAMPLE_DATASET = "Sample shop"
SAMPLE_CUSTOMERS = 3000
SAMPLE_SEED = 42
# The generator writes plain numbers; the sample shop prices in dollars.
SAMPLE_CURRENCY = "USD"

_LOADED_FLAG = "sample_loaded"
_HASH_FLAG = "sample_file_hash"
# Two sessions opening an empty workspace at once would both generate the sample.
_sample_lock = threading.Lock()


def meta_value(ws: Workspace, key: str) -> str | None:
    """The workspace's ``meta`` value for ``key``, or None."""
    row = ws.cursor().execute("select value from meta where key = ?", [key]).fetchone()
    return None if row is None else row[0]


def set_meta_value(ws: Workspace, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in the workspace's ``meta`` table."""
    ws.cursor().execute("insert or replace into meta (key, value) values (?, ?)", [key, value])


def sample_disabled() -> bool:
    """True when ``RETENTION_NO_SAMPLE`` is set to anything but empty or ``0``."""
    return os.environ.get("RETENTION_NO_SAMPLE", "").strip() not in ("", "0")


def should_offer_sample(ws: Workspace) -> bool:
    """A first run: no datasets, the sample never offered, and not switched off by env."""
    if sample_disabled() or meta_value(ws, _LOADED_FLAG) is not None:
        return False
    return not ws.datasets()


def load_sample(ws: Workspace) -> LoadReport:
    """Generate the seeded sample shop into a temp CSV, load it as "Sample shop", flag it.

    Loading it twice is harmless: the same seed gives the same file hash, which the loader
    recognises as already loaded. Raises ``IngestError`` if a different dataset already uses
    the name.
    """
    with _sample_lock:
        # a load folder, so a file left by a killed app is cleared by the next load
        folder = LoadFolder()
        try:
            return _load_sample_from(ws, folder.path)
        finally:
            folder.cleanup()


def _load_sample_from(ws: Workspace, folder: Path) -> LoadReport:
    path = write_sample_csv(folder / "sample_shop.csv", customers=SAMPLE_CUSTOMERS,
                            seed=SAMPLE_SEED)
    report = load_file(ws, path, dataset=SAMPLE_DATASET, mode="new", currency=SAMPLE_CURRENCY)
    file_hash = ws.dataset(report.dataset_id).file_hash
    set_meta_value(ws, _LOADED_FLAG, "1")
    if file_hash:
        set_meta_value(ws, _HASH_FLAG, file_hash)
    return report


def is_sample(ws: Workspace, dataset: Dataset | None) -> bool:
    """True when ``dataset`` still holds exactly the generated sample."""
    if dataset is None or not dataset.file_hash:
        return False
    return meta_value(ws, _HASH_FLAG) == dataset.file_hash

