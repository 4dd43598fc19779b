"""The path past one machine (issue 16): a workspace written out as Parquet files, one per
table, opens as a read-only workspace whose metric SQL gives the very numbers of the DuckDB
file, with nothing changed but the connection. Parquet is what shared storage (S3, a team's
file server, DuckLake's data files) holds; the same views read it there."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from retention import metrics, store
from retention.ingest import load_file
from retention.sample import write_sample_csv
from retention.store import (
    WORKSPACE_TABLES,
    Workspace,
    WorkspaceUnavailable,
    export_parquet,
)
from retention.summary import dataset_summary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 400-customer sample shop in a DuckDB file, and its Parquet export."""
    folder = tmp_path_factory.mktemp("parquet")
    purchases = write_sample_csv(folder / "shop.csv", customers=400, seed=7)
    db = folder / "ws.duckdb"
    workspace = Workspace(db)
    load_file(workspace, purchases, dataset="shop")
    written = export_parquet(workspace, folder / "pq")
    counts = workspace.cursor().execute(
        "select (select count(*) from transactions), (select count(*) from customers)"
    ).fetchone()
    workspace.close()
    assert counts is not None and counts[0] > 3000 and counts[1] == 400
    assert (written["transactions"], written["customers"]) == counts
    assert set(written) == set(WORKSPACE_TABLES)
    return db, folder / "pq"


def both(shop: tuple[Path, Path]) -> tuple[Workspace, Workspace]:
    db, parquet = shop
    return Workspace(db, read_only=True), Workspace(parquet)


def test_the_summary_of_the_parquet_workspace_is_the_files(shop):
    on_file, on_parquet = both(shop)
    try:
        assert on_parquet.parquet and on_parquet.read_only and not on_file.parquet
        dataset = on_file.dataset("shop")
        assert on_parquet.dataset("shop") == dataset
        for as_of in (None, dt.date(2025, 6, 30)):
            expected = dataset_summary(on_file.cursor(), dataset, as_of=as_of)
            assert dataset_summary(on_parquet.cursor(), dataset, as_of=as_of) == expected
        assert expected["customers"] > 0 and expected["ladder"]["repeat"] > 0
    finally:
        on_file.close()
        on_parquet.close()


@pytest.mark.parametrize("metric", [
    lambda con, d, day: metrics.ladder_counts(con, d, as_of=day),
    lambda con, d, day: metrics.crr_by_period(con, d, as_of=day, window_days=90),
    lambda con, d, day: metrics.ltv_today(con, d, as_of=day, window_days=90),
    lambda con, d, day: metrics.abc_xyz_cells(con, d, as_of=day),
    lambda con, d, day: metrics.customer_features(con, d, as_of=day),
], ids=["ladder", "crr", "ltv", "abc_xyz", "portrait_features"])
def test_each_family_gives_the_same_table_on_parquet(shop, metric):
    on_file, on_parquet = both(shop)
    try:
        dataset_id = on_file.dataset("shop").dataset_id
        day = metrics.default_as_of(on_file.cursor(), dataset_id)
        assert day is not None
        expected = metric(on_file.cursor(), dataset_id, day)
        assert len(expected) > 0
        pd.testing.assert_frame_equal(metric(on_parquet.cursor(), dataset_id, day), expected)
    finally:
        on_file.close()
        on_parquet.close()


def test_a_folder_without_the_tables_is_refused_with_what_is_missing(tmp_path, shop):
    _, parquet = shop
    partial = tmp_path / "half"
    partial.mkdir()
    (partial / "datasets.parquet").write_bytes((parquet / "datasets.parquet").read_bytes())
    with pytest.raises(WorkspaceUnavailable) as raised:
        Workspace(partial)
    message = str(raised.value)
    assert "transactions.parquet, orders.parquet, customers.parquet" in message
    assert "export-parquet" in message


def test_a_failed_export_leaves_the_earlier_one_whole(tmp_path, shop, monkeypatch):
    db, parquet = shop
    target = tmp_path / "pq"
    workspace = Workspace(db, read_only=True)
    try:
        export_parquet(workspace, target)
        before = {path.name: path.read_bytes() for path in target.iterdir()}
        # a table the workspace does not have makes the export fail after the first files
        monkeypatch.setattr(store, "WORKSPACE_TABLES", (*WORKSPACE_TABLES, "no_such_table"))
        with pytest.raises(Exception, match="no_such_table"):
            export_parquet(workspace, target)
    finally:
        workspace.close()
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    assert before.keys() == {f"{table}.parquet" for table in WORKSPACE_TABLES}


def test_the_command_line_exports_and_reads_the_folder(tmp_path, shop):
    db, _ = shop
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RETENTION_DB", None)

    def run(*args: str) -> dict[str, object]:
        result = subprocess.run([sys.executable, "-m", "retention", *args], capture_output=True,
                                text=True, cwd=ROOT, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        parsed: dict[str, object] = json.loads(result.stdout)
        return parsed

    folder = tmp_path / "export"
    exported = run("export-parquet", "--db", str(db), "--out", str(folder))
    assert exported["folder"] == str(folder.resolve())
    assert isinstance(exported["tables"], dict) and exported["tables"]["customers"] == 400
    assert run("summary", "--db", str(folder), "--dataset", "shop") == run(
        "summary", "--db", str(db), "--dataset", "shop")
