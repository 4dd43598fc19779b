"""Workspace housekeeping (settings per dataset, rename, delete) and the workspaces that cannot
be opened."""

from __future__ import annotations

import duckdb
import pytest

from retention.ingest import load_file
from retention.store import (
    DatasetNotFound,
    WorkspaceInUse,
    WorkspaceUnavailable,
    open_workspace,
)
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


# -- workspaces that cannot be opened -----------------------------------------------------------


@pytest.mark.parametrize("name", ["md:shop", "MD:shop", "motherduck:shop"])
def test_a_motherduck_workspace_is_refused_before_any_connection(name, monkeypatch):
    def no_network(*_args, **_kwargs):
        raise AssertionError("duckdb.connect was called: that would download and dial out")

    monkeypatch.setattr(duckdb, "connect", no_network)
    monkeypatch.setenv("RETENTION_DB", name)
    with pytest.raises(WorkspaceUnavailable) as caught:
        open_workspace()
    assert str(caught.value) == (
        f"MotherDuck does not support DuckDB 2.0 yet, so the workspace {name} cannot be opened; "
        "use a local workspace file instead.")
    assert isinstance(caught.value, duckdb.Error)  # the app's frame catches DuckDB's errors


def test_a_workspace_locked_by_another_process_names_it_and_its_pid(tmp_path, monkeypatch):
    path = str(tmp_path / "held.duckdb")

    def locked(*_args, **_kwargs):
        # DuckDB 2.0's words, as measured with a second process holding the file
        raise duckdb.IOException(
            f'IO Error: Could not set lock on file "{path}": Conflicting lock is held in '
            "/usr/bin/python3.11 (PID 4242). See also "
            "https://duckdb.org/docs/current/connect/concurrency")

    monkeypatch.setattr(duckdb, "connect", locked)
    with pytest.raises(WorkspaceInUse) as caught:
        open_workspace(path)
    assert (caught.value.path, caught.value.pid, caught.value.program) == (
        path, 4242, "/usr/bin/python3.11")
    assert str(caught.value) == (
        f"The workspace {path} is in use by another program (PID 4242): DuckDB lets only one "
        "program at a time open a workspace file.")
    assert isinstance(caught.value, duckdb.IOException)


def test_other_io_errors_are_left_as_they_are(tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise duckdb.IOException("IO Error: Cannot open file: Permission denied")

    monkeypatch.setattr(duckdb, "connect", broken)
    with pytest.raises(duckdb.IOException) as caught:
        open_workspace(tmp_path / "x.duckdb")
    assert not isinstance(caught.value, WorkspaceUnavailable)
