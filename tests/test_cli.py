"""The command-line contract of DESIGN §5, run as a user's script would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

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
