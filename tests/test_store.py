"""Workspace housekeeping: settings per dataset, rename, delete."""

from __future__ import annotations

import pytest

from retention.ingest import load_file
from retention.store import DatasetNotFound
from tests.ingest_helpers import fresh_workspace, write

CSV = "customer,date,amount\nc1,2024-01-01,10\nc2,2024-01-02,20\n"


@pytest.fixture
def loaded(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "a.csv", CSV), dataset="a")
    return ws, report.dataset_id, tmp_path


def test_settings_are_remembered_per_dataset_and_survive_a_replace(loaded):
    ws, ds, tmp_path = loaded
    assert ws.settings(ds, "ladder") == {}
    ws.save_settings(ds, "ladder", {"regular_orders": 5})
    ws.save_settings(ds, "ladder", {"regular_orders": 6})
    assert ws.settings(ds, "ladder") == {"regular_orders": 6}
    assert ws.settings(ds, "abc") == {}
    version = ws.dataset(ds).version
    load_file(ws, write(tmp_path, "b.csv", CSV + "c3,2024-01-03,1\n"), dataset="a",
              mode="replace")
    assert ws.settings(ds, "ladder") == {"regular_orders": 6}
    assert ws.dataset(ds).version == version + 1


def test_rename_checks_for_empty_and_taken_names(loaded):
    ws, ds, tmp_path = loaded
    load_file(ws, write(tmp_path, "b.csv", CSV + "c9,2024-02-01,1\n"), dataset="b")
    with pytest.raises(ValueError, match="cannot be empty"):
        ws.rename_dataset(ds, "  ")
    with pytest.raises(ValueError, match="already called 'b'"):
        ws.rename_dataset(ds, "b")
    renamed = ws.rename_dataset(ds, "  Shop 2024 ")
    assert (renamed.name, renamed.version) == ("Shop 2024", 2)


def test_delete_removes_every_row_of_the_dataset_only(loaded):
    ws, ds, tmp_path = loaded
    other = load_file(ws, write(tmp_path, "b.csv", CSV + "c9,2024-02-01,1\n"), dataset="b")
    ws.save_settings(ds, "ladder", {"x": 1})
    ws.delete_dataset(ds)
    con = ws.cursor()
    for table in ("transactions", "orders", "customers", "rejects", "loads", "settings"):
        assert con.execute(f"select count(*) from {table} where dataset_id = ?",
                           [ds]).fetchone()[0] == 0
    assert con.execute("select count(*) from transactions where dataset_id = ?",
                       [other.dataset_id]).fetchone()[0] == 3
    with pytest.raises(DatasetNotFound):
        ws.dataset(ds)
