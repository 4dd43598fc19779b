"""DuckDB's resource settings from ``RETENTION_DUCKDB_*`` (issue 16): applied to every workspace
connection as DuckDB configuration, and a bad value refused with a sentence naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retention.store import (
    DUCKDB_SETTINGS,
    DuckDBSettingError,
    WorkspaceUnavailable,
    close_workspace,
    duckdb_config,
    open_workspace,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_environment(monkeypatch):
    for variable in DUCKDB_SETTINGS:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def _current(ws, setting: str):
    return ws.cursor().execute("select current_setting(?)", [setting]).fetchone()[0]


def test_unset_and_empty_variables_leave_duckdbs_defaults():
    assert duckdb_config({}) == {}
    assert duckdb_config({"RETENTION_DUCKDB_THREADS": "", "RETENTION_DUCKDB_MEMORY_LIMIT": " "}) \
        == {}


def test_the_values_become_duckdbs_configuration(tmp_path):
    assert duckdb_config({
        "RETENTION_DUCKDB_MEMORY_LIMIT": "1GB", "RETENTION_DUCKDB_THREADS": " 1 ",
        "RETENTION_DUCKDB_TEMP_DIRECTORY": str(tmp_path / "spill"),
        "RETENTION_DUCKDB_MAX_TEMP_DIRECTORY_SIZE": "2GiB", "OTHER": "x",
    }) == {"memory_limit": "1GB", "threads": 1, "temp_directory": str(tmp_path / "spill"),
           "max_temp_directory_size": "2GiB"}
    assert duckdb_config({"RETENTION_DUCKDB_MEMORY_LIMIT": "60%"}) == {"memory_limit": "60%"}


def test_a_workspace_opens_with_the_settings(tmp_path, clean_environment):
    spill = tmp_path / "spill"
    clean_environment.setenv("RETENTION_DUCKDB_MEMORY_LIMIT", "1GB")
    clean_environment.setenv("RETENTION_DUCKDB_THREADS", "1")
    clean_environment.setenv("RETENTION_DUCKDB_TEMP_DIRECTORY", str(spill))
    clean_environment.setenv("RETENTION_DUCKDB_MAX_TEMP_DIRECTORY_SIZE", "2GiB")
    path = tmp_path / "ws.duckdb"
    try:
        ws = open_workspace(path)
        # DuckDB shows sizes in its own units: 1 GB = 953.6 MiB
        assert _current(ws, "memory_limit") == "953.6 MiB"
        assert _current(ws, "threads") == 1
        assert _current(ws, "temp_directory") == str(spill)
        assert _current(ws, "max_temp_directory_size") == "2.0 GiB"
    finally:
        close_workspace(path)


def test_without_settings_a_workspace_keeps_duckdbs_defaults(tmp_path, clean_environment):
    path = tmp_path / "ws.duckdb"
    try:
        ws = open_workspace(path)
        assert _current(ws, "threads") == os.cpu_count()
        assert _current(ws, "temp_directory") == f"{path}.tmp"
    finally:
        close_workspace(path)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("RETENTION_DUCKDB_THREADS", "0", "must be a whole number of threads, at least 1"),
    ("RETENTION_DUCKDB_THREADS", "two", "must be a whole number of threads, at least 1"),
    ("RETENTION_DUCKDB_THREADS", "1.5", "must be a whole number of threads, at least 1"),
    ("RETENTION_DUCKDB_MEMORY_LIMIT", "4", "must be a size such as 4GB, 512MB or 2GiB, or a "
                                           "share of the memory such as 80%"),
    ("RETENTION_DUCKDB_MEMORY_LIMIT", "4GB'; drop table x; --", "must be a size"),
    ("RETENTION_DUCKDB_MAX_TEMP_DIRECTORY_SIZE", "50%", "must be a size such as 4GB, 512MB or "
                                                       "2GiB, not '50%'"),
    ("RETENTION_DUCKDB_MAX_TEMP_DIRECTORY_SIZE", "lots", "must be a size"),
])
def test_a_bad_value_is_refused_with_a_sentence(variable, value, expected):
    with pytest.raises(DuckDBSettingError) as raised:
        duckdb_config({variable: value})
    message = str(raised.value)
    assert message.startswith(f"{variable} {expected}")
    assert message.endswith(f"not {value!r}.")


def test_a_temp_directory_that_is_a_file_is_refused(tmp_path):
    a_file = tmp_path / "spill"
    a_file.write_text("not a folder")
    with pytest.raises(DuckDBSettingError, match="must name a folder for DuckDB's temporary "
                                                 "files, but .* is a file"):
        duckdb_config({"RETENTION_DUCKDB_TEMP_DIRECTORY": str(a_file)})


def test_opening_a_workspace_with_a_bad_value_says_why(tmp_path, clean_environment):
    clean_environment.setenv("RETENTION_DUCKDB_THREADS", "many")
    path = tmp_path / "ws.duckdb"
    with pytest.raises(WorkspaceUnavailable, match=r"^The workspace .*ws\.duckdb cannot be "
                                                   r"opened: RETENTION_DUCKDB_THREADS must be"):
        open_workspace(path)
    assert not path.exists()


def test_the_command_line_prints_the_sentence_and_exits_1(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RETENTION_DUCKDB_MEMORY_LIMIT": "huge"}
    result = subprocess.run(
        [sys.executable, "-m", "retention", "summary", "--db", str(tmp_path / "ws.duckdb"),
         "--dataset", "x"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: The workspace ")
    assert "RETENTION_DUCKDB_MEMORY_LIMIT must be a size such as 4GB" in result.stderr
    assert "Traceback" not in result.stderr
