"""A mistyped future date moves no number by default (issue 10, point 1): `summary`, `fit`
and the sidebar all take their default as-of date from ``retention.metrics.default_as_of``,
the last transaction date that is not after today."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from retention.ingest import load_file
from retention.summary import dataset_summary
from tests.ingest_helpers import fresh_workspace, write
from tests.test_cli import CDNOW, run

# Three customers over Jan-Mar 2024 (c1 buys monthly, c2 twice, c3 once, c2 returns once).
PAST = """order,customer,date,amount
1,c1,2024-01-10,10
2,c2,2024-01-15,20
3,c1,2024-02-10,10
4,c2,2024-02-20,25
R4,c2,2024-02-21,-5
5,c1,2024-03-10,10
6,c3,2024-03-12,40
"""
# The same file with one row whose year was typed as 2099 instead of 2024.
WITH_2099 = PAST + "7,c3,2099-03-15,30\n"
CDNOW_MAP = ("--map", "customer_id=column2", "--map", "date=column3", "--map", "amount=column5")


def _summaries(tmp_path, today: dt.date) -> tuple[dict, dict]:
    ws = fresh_workspace(tmp_path)
    past = load_file(ws, write(tmp_path, "past.csv", PAST), dataset="past")
    typo = load_file(ws, write(tmp_path, "typo.csv", WITH_2099), dataset="typo")
    con = ws.cursor()
    return (dataset_summary(con, ws.dataset(past.dataset_id), today=today),
            dataset_summary(con, ws.dataset(typo.dataset_id), today=today))


def test_summary_with_one_row_in_2099_equals_the_summary_without_it(tmp_path):
    past, typo = _summaries(tmp_path, today=dt.date(2024, 6, 1))
    assert typo["as_of"] == past["as_of"] == dt.date(2024, 3, 12)
    assert (typo["customers"], typo["orders"], typo["active_customers"]) == (3, 6, 3)
    assert [row["period"] for row in typo["crr_by_month"]] == ["2024-01", "2024-02", "2024-03"]
    for key in ("dataset", "version"):
        past.pop(key), typo.pop(key)
    assert typo == past


def test_summary_once_the_future_row_is_due_counts_it(tmp_path):
    _, typo = _summaries(tmp_path, today=dt.date(2099, 3, 15))
    assert typo["as_of"] == dt.date(2099, 3, 15)
    assert typo["orders"] == 7


def test_cli_summary_and_fit_pass_over_a_row_dated_2099(tmp_path):
    # CDNOW ends on 1998-06-30; one more purchase by customer 2358 "in 2099"
    source = tmp_path / "cdnow_typo.txt"
    source.write_bytes(CDNOW.read_bytes().rstrip() + b"\r\n 23580 2358 20990101  1   10.00\r\n")
    db = str(tmp_path / "w.duckdb")
    loaded = run("ingest", str(source), "--db", db, "--dataset", "cdnow", *CDNOW_MAP)
    assert "dated after today" in loaded.stderr

    summary = json.loads(run("summary", "--dataset", "cdnow", "--db", db).stdout)
    assert summary["as_of"] == "1998-06-30"
    assert (summary["customers"], summary["orders"]) == (2357, 6696)
    assert summary["net_revenue"] == 244091.94

    fit = json.loads(run("fit", "--dataset", "cdnow", "--db", db).stdout)
    assert fit["calibration_end"] == "1998-06-30"
    assert fit["customers"] == 2357
    explicit = json.loads(run("fit", "--dataset", "cdnow", "--db", db,
                              "--calibration-end", "1998-06-30").stdout)
    # the optimiser's last digits vary between runs (DuckDB sums in parallel)
    for model in ("bgnbd", "gamma_gamma"):
        assert fit[model] == pytest.approx(explicit[model], rel=1e-5)
