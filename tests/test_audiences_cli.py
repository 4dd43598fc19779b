"""``python -m retention audience list|export|uplift`` as a script runs it: one JSON object
each, with exactly DESIGN §8's fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
from audience_helpers import add_orders, make_dataset

from retention.store import close_workspace, open_workspace

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RETENTION_DB", None)
    return subprocess.run([sys.executable, "-m", "retention", "audience", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def shop(db: Path) -> None:
    """As of 2025-06-30: A and B one-time buyers 20 and 60 days before (the nudge), C a repeat
    client; A has consent and a phone, B consent and a bad phone, C no consent."""
    ws = open_workspace(db)
    make_dataset(ws, [("A", "2025-06-10", 30.0), ("B", "2025-05-01", 40.0),
                      ("C", "2025-01-10", 50.0), ("C", "2025-06-30", 50.0)], {
        "A": {"phone": "+374 77 123456", "sms_opt_in": True, "first_name": "=Ann"},
        "B": {"phone": "123", "sms_opt_in": True},
        "C": {"phone": "+97688123456", "sms_opt_in": False},
    })
    close_workspace(db)


def test_list_export_and_uplift_print_the_contract_json(tmp_path):
    db = tmp_path / "w.duckdb"
    shop(db)
    listing = run("list", "--db", str(db))
    assert listing.returncode == 0, listing.stderr
    assert json.loads(listing.stdout) == {"audiences": [
        {"name": "win-back", "customers": 0}, {"name": "second-purchase", "customers": 2},
        {"name": "vip", "customers": 0}, {"name": "birthday", "customers": 0},
        {"name": "referral-ask", "customers": 0}]}

    out = tmp_path / "nudge.xlsx"
    export = run("export", "--db", str(db), "--dataset", "shop", "--audience",
                 "second-purchase", "--channel", "sms", "--control", "0", "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert json.loads(export.stdout) == {
        "audience": "second-purchase", "customers": 2, "exported": 1, "excluded_no_consent": 0,
        "excluded_no_contact": 1, "control": 0, "treatment": 1, "export_id": 1,
        "file": str(out)}
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    row = {name: cell.value for name, cell in zip(header, sheet[2], strict=True)}
    assert (row["phone"], row["first_name"], row["group"]) == ("+37477123456", "'=Ann",
                                                               "treatment")

    csv_out = tmp_path / "nudge.csv"
    digits = run("export", "--db", str(db), "--dataset", "shop", "--audience",
                 "second-purchase", "--channel", "sms", "--control", "0", "--out",
                 str(csv_out), "--phone-format", "digits")
    assert digits.returncode == 0, digits.stderr
    assert json.loads(digits.stdout)["export_id"] == 2
    assert pd.read_csv(csv_out, dtype=str, encoding="utf-8-sig")["phone"].tolist() == [
        "37477123456"]

    ws = open_workspace(db)
    add_orders(ws, 1, [("A", "2025-07-05", 70.0)])
    close_workspace(db)
    readout = run("uplift", "--db", str(db), "--dataset", "shop", "--export", "1")
    assert readout.returncode == 0, readout.stderr
    payload = json.loads(readout.stdout)
    assert set(payload) == {"treatment", "control", "rate_difference", "revenue_difference",
                            "distinguishable"}
    assert payload["treatment"] == {"n": 1, "buyers": 1, "rate": 1.0,
                                    "revenue_per_customer": 70.0}
    assert payload["control"] == {"n": 0, "buyers": 0, "rate": None,
                                  "revenue_per_customer": None}
    assert payload["rate_difference"] == {"value": None, "ci_low": None, "ci_high": None,
                                          "p_value": None}
    assert payload["revenue_difference"] == {"value": None, "ci_low": None, "ci_high": None}
    assert payload["distinguishable"] is False


def test_mistakes_exit_with_a_sentence(tmp_path):
    db = tmp_path / "w.duckdb"
    shop(db)
    unknown = run("export", "--db", str(db), "--audience", "everyone", "--channel", "email",
                  "--out", str(tmp_path / "x.csv"))
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert "There is no audience 'everyone'" in unknown.stderr
    assert not (tmp_path / "x.csv").exists()
    channel = run("export", "--db", str(db), "--audience", "vip", "--channel", "fax",
                  "--out", str(tmp_path / "x.csv"))
    assert channel.returncode == 2
    for wrong in (["--control", "1.5"], ["--control", "many"], ["--region", "Mars"]):
        refused = run("export", "--db", str(db), "--audience", "vip", "--channel", "sms",
                      "--out", str(tmp_path / "x.csv"), *wrong)
        assert refused.returncode == 2, wrong
    assert run("uplift", "--db", str(db), "--export", "1", "--window-days", "0").returncode == 2
    missing = run("uplift", "--db", str(db), "--export", "9")
    assert missing.returncode == 1
    assert "There is no export 9" in missing.stderr
