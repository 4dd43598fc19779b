"""The command-line contract of DESIGN §5, run as a user's script would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "data" / "CDNOW_sample.txt"


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RETENTION_DB", None)
    result = subprocess.run([sys.executable, "-m", "retention", *args], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_ingest_cdnow_prints_the_contract_json(tmp_path):
    db = str(tmp_path / "w.duckdb")
    result = run("ingest", str(CDNOW), "--db", db, "--map", "customer_id=column2",
                 "--map", "date=column3", "--map", "amount=column5")
    payload = json.loads(result.stdout)
    assert {k: payload[k] for k in ("dataset", "version", "rows_loaded", "rows_rejected",
                                    "customers", "orders")} == {
        "dataset": "CDNOW_sample", "version": 1, "rows_loaded": 6919, "rows_rejected": 0,
        "customers": 2357, "orders": 6696}
    assert "Reading CDNOW_sample.txt" in result.stderr
    summary = json.loads(run("summary", "--dataset", "CDNOW_sample", "--db", db).stdout)
    assert summary["as_of"] == "1998-06-30"
    assert (summary["customers"], summary["orders"]) == (2357, 6696)
    assert summary["net_revenue"] == 244091.94
    # ordered in (1998-04-01, 1998-06-30], counted with awk on the raw file
    assert (summary["window_days"], summary["active_customers"]) == (90, 299)
    early = json.loads(run("summary", "--dataset", "CDNOW_sample", "--db", db,
                           "--as-of", "1997-01-01").stdout)
    assert (early["as_of"], early["customers"]) == ("1997-01-01", 18)  # awk-counted


def test_ingest_failure_exits_non_zero_with_a_reason_and_changes_nothing(tmp_path):
    db = str(tmp_path / "w.duckdb")
    good = tmp_path / "good.csv"
    good.write_text("customer,date,amount\nc1,2024-01-01,5\n")
    run("ingest", str(good), "--db", db)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = run("ingest", str(empty), "--db", db, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "error: empty.csv is empty (0 bytes): there is nothing to load.")
    summary = json.loads(run("summary", "--dataset", "good", "--db", db).stdout)
    assert (summary["version"], summary["customers"]) == (1, 1)


def test_unknown_dataset_and_bad_map_are_explained(tmp_path):
    db = str(tmp_path / "w.duckdb")
    missing = run("summary", "--dataset", "nope", "--db", db, check=False)
    assert missing.returncode == 1
    assert "There is no dataset 'nope'" in missing.stderr
    good = tmp_path / "good.csv"
    good.write_text("customer,date,amount\nc1,2024-01-01,5\n")
    bad = run("ingest", str(good), "--db", db, "--map", "customer_id", check=False)
    assert bad.returncode == 1
    assert "--map expects ROLE=HEADER, got 'customer_id'" in bad.stderr
    usage = run("ingest", check=False)
    assert usage.returncode == 2


def test_append_and_replace_flags(tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = tmp_path / "jan.csv"
    first.write_text("order,customer,date,amount\n1,c1,2024-01-01,5\n")
    second = tmp_path / "feb.csv"
    second.write_text("order,customer,date,amount\n1,c1,2024-01-01,5\n2,c2,2024-02-01,7\n")
    run("ingest", str(first), "--db", db, "--dataset", "shop")
    refused = run("ingest", str(second), "--db", db, "--dataset", "shop", check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    appended = json.loads(run("ingest", str(second), "--db", db, "--dataset", "shop",
                              "--append").stdout)
    assert (appended["version"], appended["rows_loaded"], appended["rows_skipped_duplicate"]) == (
        2, 1, 1)
    replaced = json.loads(run("ingest", str(first), "--db", db, "--dataset", "shop",
                              "--replace").stdout)
    assert replaced["already_loaded"] is True  # the same bytes are already in 'shop'


def test_sample_writes_a_seeded_file(tmp_path):
    out = tmp_path / "s.csv"
    payload = json.loads(run("sample", "--out", str(out), "--customers", "50", "--seed",
                             "7").stdout)
    assert payload == {"out": str(out), "customers": 50, "seed": 7}
    frame = pd.read_csv(out, dtype=str)
    assert frame["customer_id"].nunique() == 50
    again = tmp_path / "again.csv"
    run("sample", "--out", str(again), "--customers", "50", "--seed", "7")
    assert again.read_bytes() == out.read_bytes()


# -- the workspace held by another program ---------------------------------------------------------


@pytest.fixture
def held_workspace(tmp_path):
    """A workspace file held open by another process (as the running dashboard holds it), and
    that process's PID."""
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', "
         "flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        yield db, holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_held_workspace_gives_one_sentence_for_summary_and_ingest(held_workspace, tmp_path,
                                                                   monkeypatch):
    db, pid = held_workspace
    monkeypatch.delenv("RETENTION_IMPORT_DIR", raising=False)
    good = tmp_path / "good.csv"
    good.write_text("customer,date,amount\nc1,2024-01-01,5\n")
    expected = (
        f"error: The workspace {db} is held by another program (PID {pid}), most likely the "
        "running dashboard, and DuckDB lets only one program at a time open it: load the file on "
        f"the dashboard's Data page instead (a big one: copy it to {tmp_path / 'import'} and "
        "pick it under “Files on the server”), or stop the dashboard first, or give this "
        "command another workspace with --db.\n"
    )
    for args in (["summary", "--dataset", "shop"], ["ingest", str(good)],
                 ["fit", "--dataset", "shop"]):
        result = run(*args, "--db", str(db), check=False)
        assert (result.returncode, result.stdout) == (1, ""), args
        assert result.stderr == expected, args


def test_an_import_folder_setting_is_named_in_the_sentence(held_workspace, tmp_path,
                                                           monkeypatch):
    db, _pid = held_workspace
    monkeypatch.setenv("RETENTION_IMPORT_DIR", str(tmp_path / "drop"))
    result = run("summary", "--dataset", "shop", "--db", str(db), check=False)
    assert result.returncode == 1
    assert f"copy it to {tmp_path / 'drop'} and pick it" in result.stderr


# -- MotherDuck ------------------------------------------------------------------------------------


def test_a_motherduck_workspace_is_refused_with_a_sentence_not_a_network_attempt():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RETENTION_DB": "md:shop"}
    result = subprocess.run([sys.executable, "-m", "retention", "summary", "--dataset", "x"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: MotherDuck does not support DuckDB 2.0 yet, so the workspace md:shop cannot be "
        "opened; use a local workspace file instead.\n")


# -- full precision --------------------------------------------------------------------------------


def test_summary_carries_full_precision(tmp_path):
    from tests.test_crr import MONTHS
    from tests.test_crr import W as CRR_WINDOW

    db = str(tmp_path / "w.duckdb")
    path = tmp_path / "months.csv"
    path.write_text(MONTHS)
    run("ingest", str(path), "--db", db, "--dataset", "months")
    summary = json.loads(run("summary", "--dataset", "months", "--db", db, "--as-of",
                             "2025-04-10", "--window-days", str(CRR_WINDOW)).stdout)
    march = summary["crr_by_month"][2]
    assert (march["period"], march["start"], march["end"], march["new"]) == ("2025-03", 3, 4, 2)
    assert (march["crr"], march["strict"]) == (200 / 3, 100 / 3)  # not 66.67 and 33.33
    # L = (2024-04-10, 2025-04-10]: 12 orders, net 110 -> S = 110/12 (not 9.17); C = 12 / 10
    # active customer-months; r = mean(1/3, 1/3) -> T = 1.5; P = 30%
    assert summary["ltv"] == pytest.approx({
        "avg_check": 110 / 12, "purchases_per_month": 1.2, "margin": 0.3,
        "lifetime_months": 1.5, "ltv": 110 / 12 * 1.2 * 0.3 * 1.5}, rel=1e-12)
