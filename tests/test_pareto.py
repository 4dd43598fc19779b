"""The Pareto share and curve on tables checked by hand (DESIGN §4)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics.pareto import pareto_curve, pareto_share
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2025, 12, 31)

# Net revenue up to D per customer, ranked:
#   p1 100 · p3 50 · p4 25 + 15 (one order, two lines) = 40 · p2 90 − 60 (a return) = 30 ·
#   p5 20 · p6 10.  x1 has a return of 10 only: not a customer, but in net revenue.
#   p7 buys 1000 after D: ignored (not a customer either).
# n = 6 customers, top ⌈0.2 · 6⌉ = ⌈1.2⌉ = 2: p1 + p3 = 150.
# Net revenue 100 + 30 + 50 + 40 + 20 + 10 − 10 = 240 → share 150 / 240 = 0.625.
# The return moves p2 from 2nd (90) to 4th: ranking is by net revenue.
ROWS = """customer_id,date,amount,order_id
p1,2025-03-01,100.00,O1
p2,2025-03-02,90.00,O2
p2,2025-03-09,-60.00,R2
p3,2025-04-01,50.00,O3
p4,2025-05-01,25.00,O4
p4,2025-05-01,15.00,O4
p5,2025-06-01,20.00,O5
p6,2025-07-01,10.00,O6
x1,2025-08-01,-10.00,RX
p7,2026-01-02,1000.00,O7
"""


@pytest.fixture
def dataset(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "p.csv", ROWS), dataset="pareto")
    return ws, report.dataset_id


def test_top_fifth_share_of_net_revenue(dataset):
    ws, ds = dataset
    row = pareto_share(ws.cursor(), ds, as_of=D).iloc[0]
    assert (row["customers"], row["top_customers"]) == (6, 2)
    assert (row["top_revenue"], row["net_revenue"]) == (150.0, 240.0)
    assert row["share"] == 0.625


def test_the_whole_curve_ends_above_100_percent_when_non_customers_returned_goods(dataset):
    ws, ds = dataset
    curve = pareto_curve(ws.cursor(), ds, as_of=D)
    # every rank is kept (6 ≤ 200 points); cumulative 0, 100, 150, 190, 220, 240, 250
    assert curve["rank"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert curve["cumulative_revenue"].tolist() == [0, 100, 150, 190, 220, 240, 250]
    assert curve["revenue_share"].tolist() == pytest.approx(
        [0, 100 / 240, 150 / 240, 190 / 240, 220 / 240, 1.0, 250 / 240])
    assert curve["customer_share"].tolist() == pytest.approx([i / 6 for i in range(7)])
    assert curve.loc[curve["is_top_cut"], "rank"].tolist() == [2]


def test_a_thinned_curve_keeps_the_cut_and_the_end(dataset):
    ws, ds = dataset
    # max 2 points: every ⌈6 / 2⌉ = 3rd rank, plus the origin, the cut (2) and the end (6)
    curve = pareto_curve(ws.cursor(), ds, as_of=D, max_points=2)
    assert curve["rank"].tolist() == [0, 2, 3, 6]


def test_an_earlier_as_of_date_leaves_later_rows_out(dataset):
    ws, ds = dataset
    # up to 2025-03-05: p1 100 and p2 90 (its return is on 03-09) → top ⌈0.4⌉ = 1 → 100 / 190
    row = pareto_share(ws.cursor(), ds, as_of=dt.date(2025, 3, 5)).iloc[0]
    assert (row["customers"], row["top_customers"]) == (2, 1)
    assert row["share"] == pytest.approx(100 / 190)


def test_the_top_count_is_an_exact_ceiling(tmp_path):
    # 35 customers of 1.00 each: ⌈0.2 · 35⌉ = 7 (binary floating point would make it 8)
    ws = fresh_workspace(tmp_path)
    rows = "customer_id,date,amount\n" + "".join(
        f"k{i:02d},2025-01-01,1.00\n" for i in range(35))
    ds = load_file(ws, write(tmp_path, "k.csv", rows), dataset="k").dataset_id
    row = pareto_share(ws.cursor(), ds, as_of=D).iloc[0]
    assert (row["customers"], row["top_customers"]) == (35, 7)
    assert row["share"] == pytest.approx(0.2)


def test_the_share_is_unknown_when_net_revenue_is_not_positive(tmp_path):
    # q1 bought 10; x2 returned 50 of goods bought before the data starts: net −40
    ws = fresh_workspace(tmp_path)
    rows = "customer_id,date,amount\nq1,2025-01-01,10\nx2,2025-01-02,-50\n"
    ds = load_file(ws, write(tmp_path, "n.csv", rows), dataset="n").dataset_id
    row = pareto_share(ws.cursor(), ds, as_of=D).iloc[0]
    assert row["customers"] == 1
    assert pd.isna(row["share"])
    assert pareto_curve(ws.cursor(), ds, as_of=D)["revenue_share"].isna().all()


def test_no_customers_no_curve(tmp_path):
    ws = fresh_workspace(tmp_path)
    ds = load_file(ws, write(tmp_path, "f.csv", "customer_id,date,amount\nz,2026-05-01,5\n"),
                   dataset="f").dataset_id
    assert pareto_curve(ws.cursor(), ds, as_of=D).empty
    row = pareto_share(ws.cursor(), ds, as_of=D).iloc[0]
    assert (row["customers"], row["top_customers"]) == (0, 0)


def test_the_pareto_chart_marks_the_top_fifth(dataset):
    from retention.charts.ladder import pareto_chart

    ws, ds = dataset
    figure = pareto_chart(pareto_curve(ws.cursor(), ds, as_of=D), currency="USD")
    equal, curve, cut = figure.data
    assert list(equal.y) == [0, 100]
    assert curve.y[-1] == pytest.approx(250 / 240 * 100)
    assert (cut.x[0], cut.y[0]) == pytest.approx((100 * 2 / 6, 62.5))
    assert "$150.00" in cut.customdata[0]
