"""LTV = S × C × P × T (DESIGN §4) on a 20-row table worked out by hand, with and without cost.

D = 2025-12-31, so the year L = (2024-12-31, 2025-12-31] is exactly 2025; W = 31, so a customer
is active at a month-end e when they ordered in [e − 30, e].

    A: an order of 100 on the 15th of every month of 2025 (cost 60 each)
    B: 50 on Jan 10 and Jan 20 (cost 20 each), 50 on Jul 10 (no cost), a return of −30 on
       Aug 1 (cost 18 in the file: the goods come back, so it counts as −18)
    C: 999 on 2024-12-20 — before L
    E: 500 on 2024-12-31 — exactly 365 days before D: outside L
    F: 40 on 2025-01-01 (cost 10) — L's first day

Active at the month-ends: Dec 31 2024 {C, E}; Jan 31 {A, B, F} (E's Dec 31 is exactly W days
before); Feb–Jun {A}; Jul 31 {A, B}; Aug 31 {A} (B's Aug 1 line is a return, not an order);
Sep–Dec {A}. Over the 12 month-ends of L: 3 + 5 + 2 + 5 = 15 customer-months.

S = net revenue in L / orders in L = (1200 + 150 − 30 + 40) / (12 + 3 + 1) = 1360 / 16 = 85
C = 16 / 15
Strict retention per month: Jan 0/2, Feb 1/3, Mar–Jul 1 (5 months), Aug 1/2, Sep–Dec 1 (4)
    r = (0 + 1/3 + 5 + 1/2 + 4) / 12 = 59/72, T = 1 / (1 − 59/72) = 72/13 months
P without cost = the setting; with cost = (1310 − 752) / 1310 = 558/1310 over the lines that
    have a cost (1200 + 100 − 30 + 40 = 1310 of revenue; 720 + 40 − 18 + 10 = 752 of cost)
"""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from retention.metrics import (
    ltv_by_segment,
    ltv_today,
    ltv_trend,
    segment_dimensions,
    value_curves,
    what_if_ltv,
)
from retention.metrics.ltv import trend_anchors
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2025, 12, 31)
W = 31

S = 1360 / 16
C = 16 / 15
T = 72 / 13
P_COST = 558 / 1310

ROWS = [
    ("A", f"2025-{m:02d}-15", "100", "60", "store", "Apparel") for m in range(1, 13)
] + [
    ("B", "2025-01-10", "50", "20", "online", "Beauty"),
    ("B", "2025-01-20", "50", "20", "store", "Apparel"),
    ("B", "2025-07-10", "50", "", "store", "Apparel"),
    ("B", "2025-08-01", "-30", "18", "store", "Apparel"),
    ("C", "2024-12-20", "999", "1", "store", "Home"),
    ("E", "2024-12-31", "500", "1", "online", "Home"),
    ("F", "2025-01-01", "40", "10", "online", "Beauty"),
]


def csv(with_cost: bool) -> str:
    head = "customer,date,amount,cost,channel,category" if with_cost else "customer,date,amount"
    lines = [",".join(row if with_cost else row[:3]) for row in ROWS]
    return "\n".join([head, *lines]) + "\n"


@pytest.fixture
def plain(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "plain.csv", csv(False)), dataset="plain")
    return ws.cursor(), report.dataset_id


@pytest.fixture
def costed(tmp_path):
    ws = fresh_workspace(tmp_path, "costed.duckdb")
    report = load_file(ws, write(tmp_path, "costed.csv", csv(True)), dataset="costed")
    return ws.cursor(), report.dataset_id


def test_each_factor_without_cost_data(plain):
    con, ds = plain
    row = ltv_today(con, ds, as_of=D, window_days=W).iloc[0]
    assert row["anchor"] == D and row["window_start"] == dt.date(2025, 1, 1)
    assert (row["net_revenue"], row["orders"]) == (1360.0, 16)
    assert (row["active_customer_months"], row["month_ends"]) == (15, 12)
    assert row["avg_check"] == pytest.approx(S)
    assert row["purchases_per_month"] == pytest.approx(C)
    assert (row["margin"], row["margin_source"]) == (0.30, "setting")
    assert row["cost_coverage"] != row["cost_coverage"]  # NaN: no cost data at all
    assert row["retention"] == pytest.approx(59 / 72)
    assert row["retention_months"] == 12
    assert row["lifetime_months"] == pytest.approx(T)
    assert not row["lifetime_capped"]
    assert row["ltv"] == pytest.approx(S * C * 0.30 * T)  # 150.646…
    assert row["ltv"] == pytest.approx(150.64615, abs=1e-4)


def test_the_margin_setting_is_used_without_cost_data(plain):
    con, ds = plain
    row = ltv_today(con, ds, as_of=D, window_days=W, default_margin=0.25).iloc[0]
    assert row["margin"] == 0.25
    assert row["ltv"] == pytest.approx(S * C * 0.25 * T)


def test_each_factor_with_cost_data(costed):
    con, ds = costed
    row = ltv_today(con, ds, as_of=D, window_days=W, default_margin=0.25).iloc[0]
    assert row["avg_check"] == pytest.approx(S)
    assert row["purchases_per_month"] == pytest.approx(C)
    assert row["lifetime_months"] == pytest.approx(T)
    # the cost column wins over the setting; B's line without a cost is left out of both sums
    assert row["margin_source"] == "cost"
    assert row["margin"] == pytest.approx(P_COST)
    assert row["cost_coverage"] == pytest.approx(1310 / 1360)
    assert row["ltv"] == pytest.approx(S * C * P_COST * T)


def test_lifetime_is_capped_at_120_months(tmp_path):
    # A alone: active at every month-end of 2025; January has no start customers (skipped),
    # February to December keep everyone: r = 1, so T = 1 / 0 is capped at 120
    ws = fresh_workspace(tmp_path)
    only_a = "customer,date,amount\n" + "".join(f"A,2025-{m:02d}-15,100\n" for m in range(1, 13))
    ds = load_file(ws, write(tmp_path, "a.csv", only_a), dataset="a").dataset_id
    row = ltv_today(ws.cursor(), ds, as_of=D, window_days=W).iloc[0]
    assert (row["retention"], row["retention_months"]) == (1.0, 11)
    assert (row["lifetime_months"], row["lifetime_capped"]) == (120.0, True)
    assert row["ltv"] == pytest.approx(100 * 1 * 0.30 * 120)


def test_no_orders_yet_gives_no_row(plain):
    con, ds = plain
    assert ltv_today(con, ds, as_of=dt.date(2024, 12, 1), window_days=W).empty


def test_trend_repeats_the_computation_at_each_month_end(plain):
    con, ds = plain
    trend = ltv_trend(con, ds, as_of=D, window_days=W)
    # month-ends before the first order (Dec 20 2024) are dropped: Dec 31 2024 … Dec 31 2025
    assert list(trend["anchor"]) == trend_anchors(D, 13)
    assert trend.iloc[-1]["ltv"] == pytest.approx(S * C * 0.30 * T)
    # At Jun 30 2025, L = [2024-07-01, 2025-06-30]: revenue 999 + 500 + 600 + 100 + 40 = 2239
    # in 11 orders; active customer-months Dec 2 + Jan 3 + Feb–Jun 5 = 10; months with a
    # retention: Jan 0, Feb 1/3, Mar–Jun 1 → r = 13/18, T = 18/5. The data starts after L does.
    june = trend[trend["anchor"] == dt.date(2025, 6, 30)].iloc[0]
    assert june["avg_check"] == pytest.approx(2239 / 11)
    assert june["purchases_per_month"] == pytest.approx(11 / 10)
    assert june["retention"] == pytest.approx(13 / 18)
    assert june["lifetime_months"] == pytest.approx(18 / 5)
    assert june["ltv"] == pytest.approx(2239 / 11 * 1.1 * 0.3 * 3.6)
    assert not june["full_year"] and trend.iloc[-1]["full_year"]


def test_trend_anchors_are_the_last_month_ends_up_to_the_as_of_date():
    assert trend_anchors(dt.date(2025, 3, 15), 3) == [
        dt.date(2024, 12, 31), dt.date(2025, 1, 31), dt.date(2025, 2, 28)]
    assert trend_anchors(dt.date(2024, 2, 29), 2) == [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]


def test_ltv_by_ladder_step(plain):
    con, ds = plain
    frame = ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="step")
    rows = {row["segment"]: row for row in frame.to_dict("records") if not row["is_total"]}
    # A: 12 orders in 12 distinct months of the year -> loyal (no NPS/referral data, so
    # advocacy is unknown); B: 3 orders -> repeat; C, E, F: one order -> buyer
    assert list(rows) == ["buyer", "repeat", "loyal"]
    loyal, repeat, buyer = rows["loyal"], rows["repeat"], rows["buyer"]
    # loyal = A: S = 100, C = 12 / 12, every month from Feb on retained -> T capped at 120
    assert (loyal["customers"], loyal["avg_check"], loyal["purchases_per_month"]) == (1, 100, 1)
    assert loyal["lifetime_months"] == 120 and loyal["ltv"] == pytest.approx(3600)
    # repeat = B: S = (150 − 30) / 3 = 40, C = 3 / 2 (active Jan 31 and Jul 31),
    # retention: Feb 0/1, Aug 0/1 -> r = 0, T = 1
    assert repeat["avg_check"] == pytest.approx(40)
    assert repeat["purchases_per_month"] == pytest.approx(1.5)
    assert repeat["lifetime_months"] == pytest.approx(1)
    assert repeat["ltv"] == pytest.approx(40 * 1.5 * 0.3)
    # buyer = C, E, F: in L only F's 40; active at Jan 31 only F; Jan 0/2, Feb 0/1 -> T = 1
    assert (buyer["customers"], buyer["orders"], buyer["avg_check"]) == (3, 1, 40)
    assert buyer["ltv"] == pytest.approx(40 * 1 * 0.3 * 1)
    # the total row is the dataset's LTV today
    total = frame[frame["is_total"]].iloc[0]
    assert total["customers"] == 5
    assert total["ltv"] == pytest.approx(ltv_today(con, ds, as_of=D, window_days=W)
                                         .iloc[0]["ltv"])


def test_ltv_by_first_channel_with_cost(costed):
    con, ds = costed
    assert segment_dimensions(con, ds) == ["step", "channel", "category"]
    frame = ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="channel")
    rows = {row["segment"]: row for row in frame.to_dict("records") if not row["is_total"]}
    # first line's channel: A, C store; B (first line online, later store), E, F online
    assert (rows["store"]["customers"], rows["online"]["customers"]) == (2, 3)
    online = rows["online"]
    # B's 3 orders + F's 1; revenue 150 − 30 + 40 = 160; active Jan 31 {B, F}, Jul 31 {B};
    # retention Jan 0/1 (E), Feb 0/2, Aug 0/1 -> T = 1; cost: (110 − 32) / 110
    assert online["avg_check"] == pytest.approx(40)
    assert online["purchases_per_month"] == pytest.approx(4 / 3)
    assert online["lifetime_months"] == pytest.approx(1)
    assert online["margin"] == pytest.approx(78 / 110)
    assert online["ltv"] == pytest.approx(40 * 4 / 3 * 78 / 110)
    total = frame[frame["is_total"]].iloc[0]
    assert total["ltv"] == pytest.approx(S * C * P_COST * T)


def test_ltv_by_first_category(costed):
    con, ds = costed
    frame = ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="category")
    counts = {row["segment"]: row["customers"] for row in frame.to_dict("records")
              if not row["is_total"]}
    assert counts == {"Apparel": 1, "Beauty": 2, "Home": 2}  # B's first line is Beauty


def test_without_city_data_the_city_segment_is_unknown_for_everyone(plain):
    con, ds = plain
    assert segment_dimensions(con, ds) == ["step"]
    frame = ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="city")
    assert len(frame) == 2 and frame["segment"].isna().all()
    assert frame.iloc[0]["ltv"] == pytest.approx(frame.iloc[1]["ltv"])


def test_unknown_dimension_is_refused(plain):
    con, ds = plain
    with pytest.raises(ValueError, match="dimension must be one of"):
        ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="store")


def test_what_if_moves_one_lever():
    factors = {"avg_check": 85.0, "purchases_per_month": 16 / 15, "margin": 0.3,
               "retention": 0.75, "lifetime_months": 4.0}
    base = 85 * 16 / 15 * 0.3 * 4
    assert what_if_ltv(factors, "avg_check", 10)["ltv"] == pytest.approx(base * 1.1)
    assert what_if_ltv(factors, "lifetime_months", -50)["ltv"] == pytest.approx(base * 0.5)
    # retention 0.75 -> 0.825: T = 1 / 0.175 = 5.714…, far more than +10%
    moved = what_if_ltv(factors, "retention", 10)
    assert moved["retention"] == pytest.approx(0.825)
    assert moved["lifetime_months"] == pytest.approx(1 / 0.175)
    assert moved["ltv"] == pytest.approx(base / 4 / 0.175)
    assert what_if_ltv(factors, "margin", 500)["margin"] == 1.0
    assert what_if_ltv({**factors, "retention": 0.99}, "retention", 5)["lifetime_months"] == 120
    assert what_if_ltv({**factors, "avg_check": None}, "margin", 10)["ltv"] is None


# Realised value on the cohort table of tests/test_cohorts.py: see that file for the working.
def test_value_curves_by_acquisition_quarter(tmp_path):
    from tests.test_cohorts import SIX

    ws = fresh_workspace(tmp_path)
    ds = load_file(ws, write(tmp_path, "six.csv", SIX), dataset="six").dataset_id
    curves = value_curves(ws.cursor(), ds, as_of=dt.date(2025, 6, 30), margin=0.3)
    q1 = curves[curves["cohort_quarter"] == "2025-Q1"]
    # Q1 = the January (c1, c2, c3) and February (c4, c5) cohorts: 5 customers. Month k is
    # observable while March + k has ended by Jun 30: k = 0 … 3.
    #   k=0: Jan cohort in Jan 220 + Feb cohort in Feb 170 = 390
    #   k=1: 50 (c1, Feb) + 25 (c4, Mar) = 75; k=2: 40 (c2, Mar) + 0 = 40
    #   k=3: 30 + 5 (c1, Apr) + 0 = 35
    assert list(q1["months_since"]) == [0, 1, 2, 3]
    assert list(q1["customers"]) == [5] * 4
    assert list(q1["revenue_per_customer"]) == pytest.approx([78, 93, 101, 108])
    assert list(q1["margin_per_customer"]) == pytest.approx([23.4, 27.9, 30.3, 32.4])
    # Q2 = c6 (April): only month 0 has ended for all of Q2 by Jun 30; its March return
    # predates its first order and is left out
    q2 = curves[curves["cohort_quarter"] == "2025-Q2"]
    assert list(q2["months_since"]) == [0] and list(q2["revenue_per_customer"]) == [15]
    # on Apr 10, Q2 is still acquiring: no curve; Q1 has only month 0
    early = value_curves(ws.cursor(), ds, as_of=dt.date(2025, 4, 10), margin=0.3)
    assert list(early["cohort_quarter"]) == ["2025-Q1"]
    assert list(early["revenue_per_customer"]) == pytest.approx([78])


def test_summary_gains_crr_by_month_and_ltv(plain):
    from retention.store import Dataset
    from retention.summary import dataset_summary

    con, ds = plain
    dataset = Dataset(dataset_id=ds, name="plain", version=1, source_name=None, file_hash=None,
                      currency=None, rows_loaded=19, rows_rejected=0)
    summary = dataset_summary(con, dataset, as_of=D, window_days=W)
    # full precision (a machine contract): T = 72/13, not 5.54
    assert summary["ltv"] == pytest.approx({"avg_check": S, "purchases_per_month": C,
                                            "margin": 0.3, "lifetime_months": T,
                                            "ltv": S * C * 0.3 * T}, rel=1e-12)
    months = summary["crr_by_month"]
    assert [m["period"] for m in months] == ["2024-12"] + [f"2025-{m:02d}" for m in range(1, 13)]
    # January: S = {C, E}, E = {A, B, F} all new -> CRR 0, strict 0; August: S = {A, B},
    # E = {A} -> 50%; December ends on D: complete
    assert months[1] == {"period": "2025-01", "start": 2, "end": 3, "new": 3, "crr": 0.0,
                         "strict": 0.0, "in_progress": False}
    assert months[8] == {"period": "2025-08", "start": 2, "end": 1, "new": 0, "crr": 50.0,
                         "strict": 50.0, "in_progress": False}
    assert not months[-1]["in_progress"]


def test_the_summary_command_prints_the_keys(tmp_path):
    import json

    from tests.test_cli import run

    db = str(tmp_path / "w.duckdb")
    path = write(tmp_path, "costed.csv", csv(True))
    run("ingest", str(path), "--db", db, "--dataset", "costed")
    summary = json.loads(run("summary", "--dataset", "costed", "--db", db, "--as-of",
                             "2025-12-31", "--window-days", str(W)).stdout)
    assert summary["ltv"]["margin"] == pytest.approx(P_COST, rel=1e-12)
    assert summary["ltv"]["ltv"] == pytest.approx(S * C * P_COST * T, rel=1e-12)
    assert set(summary["crr_by_month"][0]) == {"period", "start", "end", "new", "crr", "strict",
                                               "in_progress"}


def test_segment_chart_escapes_segment_names_and_hatches_capped_lifetimes(plain):
    from retention.charts.retention import segment_ltv_chart

    con, ds = plain
    frame = ltv_by_segment(con, ds, as_of=D, window_days=W, dimension="step")
    names = {"buyer": "<b>One</b>", "repeat": "Repeat", "loyal": "Loyal"}
    fig = segment_ltv_chart(frame, names, currency="USD")
    bar = fig.data[0]
    assert list(bar.y) == ["&lt;b&gt;One&lt;/b&gt;", "Repeat", "Loyal"]
    assert list(bar.text) == ["$12.00", "$18.00", "$3,600.00"]
    assert list(bar.marker.pattern.shape) == ["", "", "/"]  # loyal's T hit the cap
    assert fig.layout.xaxis.title.text == "LTV per customer"
