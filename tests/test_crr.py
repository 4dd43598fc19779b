"""CRR, strict retention and reactivations (DESIGN §4) on small tables worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from retention.metrics import active_customers, crr_by_month, crr_by_period
from tests.ingest_helpers import fresh_workspace, write

W = 30  # an order on day d keeps its customer active on days d … d + 29

# Active at a month-end e = an order in [e − 29, e]:
#   Dec 31 2024: nobody (no orders yet)
#   Jan 31 ([Jan 2, Jan 31]): A (Jan 10), B (Jan 20), H (Jan 29)               -> 3
#   Feb 28 ([Jan 30, Feb 28]): A (Feb 15), C (Feb 5), E (Feb 28, on the day)   -> 3
#          H's Jan 29 is exactly 30 days before: no longer active
#   Mar 31 ([Mar 2, Mar 31]): A (Mar 20), B (Mar 25), D (Mar 31 23:59), G (Mar 2) -> 4
#          F's Mar 1 is exactly 30 days before: not active; C's Mar 10 line is a return,
#          not an order, so C is not active either
#   Apr 10 ([Mar 12, Apr 10], the as-of day): A, B, D, I (Apr 5)               -> 4
# J's order on Apr 20 and everything after it lies after D = Apr 10 and is ignored.
MONTHS = """order,customer,date,amount
1,A,2025-01-10,10
2,B,2025-01-20,10
3,H,2025-01-29,10
4,C,2025-02-05,10
5,A,2025-02-15,10
6,E,2025-02-28,10
7,F,2025-03-01,10
8,G,2025-03-02,10
9,C,2025-03-10,-10
10,A,2025-03-20,10
11,B,2025-03-25,10
12,D,2025-03-31 23:59:00,10
13,I,2025-04-05,10
14,J,2025-04-20,10
15,A,2025-06-10,10
16,K,2025-06-30,10
"""


@pytest.fixture
def months(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "months.csv", MONTHS), dataset="months")
    return ws.cursor(), report.dataset_id


def by_period(frame):
    return {row["period"]: row for row in frame.to_dict("records")}


def test_first_month_has_no_start_customers_so_no_rate(months):
    con, ds = months
    jan = by_period(crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W))["2025-01"]
    # S = active on Dec 31 = 0; E = {A, B, H}, all three new in January
    assert (jan["start_customers"], jan["end_customers"], jan["new_customers"]) == (0, 3, 3)
    assert (jan["retained"], jan["reactivated"]) == (0, 0)
    assert jan["crr"] != jan["crr"] and jan["strict"] != jan["strict"]  # NaN: empty, not 0
    assert jan["churn"] != jan["churn"]


def test_window_boundary_purchase_exactly_w_days_before_is_not_active(months):
    con, ds = months
    rows = by_period(crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W))
    # February: S = {A, B, H}; E = {A, C, E} (H's Jan 29 is out, E's Feb 28 is in);
    # N = {C, E}; retained = {A}; CRR = (3 − 2) / 3
    feb = rows["2025-02"]
    assert (feb["start_customers"], feb["end_customers"], feb["new_customers"],
            feb["retained"], feb["reactivated"]) == (3, 3, 2, 1, 0)
    assert feb["crr"] == pytest.approx(100 / 3)
    assert feb["strict"] == pytest.approx(100 / 3)
    assert feb["churn"] == pytest.approx(200 / 3)
    # the same boundary through the shared activity definition
    assert active_customers(con, ds, as_of=dt.date(2025, 2, 28), window_days=W) == 3


def test_a_reactivated_customer_counts_in_crr_but_not_in_strict_retention(months):
    con, ds = months
    mar = by_period(crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W))["2025-03"]
    # S = {A, C, E}; E = {A, B, D, G}; N = {D, G} (F is new but its Mar 1 order is exactly 30
    # days before Mar 31); retained = {A}; B lapsed in February and came back: reactivated 1
    assert (mar["start_customers"], mar["end_customers"], mar["new_customers"],
            mar["retained"], mar["reactivated"]) == (3, 4, 2, 1, 1)
    assert mar["crr"] == pytest.approx(200 / 3)  # (4 − 2) / 3 × 100
    assert mar["strict"] == pytest.approx(100 / 3)
    assert not mar["in_progress"]


def test_the_month_holding_the_as_of_date_is_in_progress_and_measured_on_that_day(months):
    con, ds = months
    frame = crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W)
    assert list(frame["period"]) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert list(frame["in_progress"]) == [False, False, False, True]
    apr = frame.iloc[-1]
    assert (apr["period_start"], apr["period_end"], apr["measured_at"]) == (
        dt.date(2025, 4, 1), dt.date(2025, 4, 30), dt.date(2025, 4, 10))
    # S = {A, B, D, G}; E on Apr 10 = {A, B, D, I}; N = {I}; retained = {A, B, D}
    assert (apr["start_customers"], apr["end_customers"], apr["new_customers"],
            apr["retained"], apr["reactivated"]) == (4, 4, 1, 3, 0)
    assert apr["crr"] == pytest.approx(75.0)


def test_a_month_ending_on_the_as_of_date_is_complete(months):
    con, ds = months
    frame = crr_by_period(con, ds, as_of=dt.date(2025, 3, 31), window_days=W)
    assert list(frame["period"]) == ["2025-01", "2025-02", "2025-03"]
    assert not frame["in_progress"].any()
    assert frame.iloc[-1]["end_customers"] == 4  # D's order at 23:59 on Mar 31 counts


def test_quarters(months):
    con, ds = months
    frame = crr_by_period(con, ds, as_of=dt.date(2025, 7, 15), window_days=W, period="quarter")
    rows = by_period(frame)
    assert list(rows) == ["2025-Q1", "2025-Q2", "2025-Q3"]
    # Q1: S = active on Dec 31 2024 = 0; E = active Mar 31 = {A, B, D, G}, all new in Q1
    q1 = rows["2025-Q1"]
    assert (q1["start_customers"], q1["end_customers"], q1["new_customers"]) == (0, 4, 4)
    assert q1["crr"] != q1["crr"]
    # Q2: S = {A, B, D, G}; E on Jun 30 ([Jun 1, Jun 30]) = {A (Jun 10), K (Jun 30)};
    # N = {K} (I and J are new in Q2 but no longer active); retained = {A}
    q2 = rows["2025-Q2"]
    assert (q2["period_start"], q2["period_end"]) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert (q2["start_customers"], q2["end_customers"], q2["new_customers"],
            q2["retained"], q2["reactivated"]) == (4, 2, 1, 1, 0)
    assert q2["crr"] == pytest.approx(25.0)
    assert not q2["in_progress"]
    # Q3 runs to Sep 30: measured on Jul 15 ([Jun 16, Jul 15]) = {K}; S = {A, K}
    q3 = rows["2025-Q3"]
    assert q3["in_progress"] and q3["measured_at"] == dt.date(2025, 7, 15)
    assert (q3["start_customers"], q3["end_customers"], q3["new_customers"],
            q3["retained"]) == (2, 1, 0, 1)
    assert q3["crr"] == pytest.approx(50.0)


# Years, W = 30 (active at Dec 31 = an order in [Dec 2, Dec 31]):
#   Dec 31 2022: nobody; Dec 31 2023: P (Dec 20), Q (Dec 10)
#   Dec 31 2024: P (Dec 25), R (Dec 31), T (Dec 5), V (Dec 20); S bought in March only
#   T and V bought in 2022, were not active at the end of 2023 and came back in 2024.
#   Feb 10 2025 (D): U (Feb 1)
YEARS = """customer,date,amount
T,2022-05-05,10
V,2022-06-01,10
Q,2023-12-10,10
P,2023-12-20,10
S,2024-03-03,10
R,2024-06-01,10
T,2024-12-05,10
V,2024-12-20,10
P,2024-12-25,10
R,2024-12-31,10
U,2025-02-01,10
"""


def test_years_and_a_crr_above_100_percent_from_reactivations(tmp_path):
    ws = fresh_workspace(tmp_path)
    ds = load_file(ws, write(tmp_path, "years.csv", YEARS), dataset="years").dataset_id
    rows = by_period(crr_by_period(ws.cursor(), ds, as_of=dt.date(2025, 2, 10), window_days=W,
                                   period="year"))
    assert list(rows) == ["2022", "2023", "2024", "2025"]
    assert (rows["2022"]["start_customers"], rows["2022"]["end_customers"]) == (0, 0)
    assert (rows["2023"]["start_customers"], rows["2023"]["end_customers"],
            rows["2023"]["new_customers"]) == (0, 2, 2)
    # 2024: S = {P, Q}; E = {P, R, T, V}; N = {R}; retained = {P}; reactivated = {T, V}
    y24 = rows["2024"]
    assert (y24["start_customers"], y24["end_customers"], y24["new_customers"],
            y24["retained"], y24["reactivated"]) == (2, 4, 1, 1, 2)
    assert y24["crr"] == pytest.approx(150.0)  # (4 − 1) / 2 × 100
    assert y24["strict"] == pytest.approx(50.0)
    assert y24["churn"] == pytest.approx(50.0)
    # 2025 so far: S = {P, R, T, V}; E = N = {U}: nobody kept
    y25 = rows["2025"]
    assert y25["in_progress"]
    assert (y25["start_customers"], y25["end_customers"], y25["new_customers"]) == (4, 1, 1)
    assert (y25["crr"], y25["strict"], y25["churn"]) == (0.0, 0.0, 100.0)


def test_no_orders_gives_no_periods(months):
    con, ds = months
    assert crr_by_period(con, ds, as_of=dt.date(2024, 12, 31), window_days=W).empty


def test_summary_form_keeps_full_precision_and_in_progress(months):
    con, ds = months
    # a machine contract is not rounded: March's CRR is (4 − 2) / 3 × 100 = 200/3, not 66.67
    assert crr_by_month(con, ds, as_of=dt.date(2025, 4, 10), window_days=W) == [
        {"period": "2025-01", "start": 0, "end": 3, "new": 3, "crr": None, "strict": None,
         "in_progress": False},
        {"period": "2025-02", "start": 3, "end": 3, "new": 2, "crr": 100 / 3, "strict": 100 / 3,
         "in_progress": False},
        {"period": "2025-03", "start": 3, "end": 4, "new": 2, "crr": 200 / 3, "strict": 100 / 3,
         "in_progress": False},
        {"period": "2025-04", "start": 4, "end": 4, "new": 1, "crr": 75.0, "strict": 75.0,
         "in_progress": True},
    ]


def test_bad_parameters_are_refused(months):
    con, ds = months
    with pytest.raises(ValueError, match="period must be one of"):
        crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W, period="week")
    with pytest.raises(ValueError, match="at least 1 day"):
        crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=0)


def test_the_period_cap_keeps_the_latest_periods_with_real_start_counts(months):
    con, ds = months
    frame = crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W, max_periods=2)
    # only March and April, but March's S still counts February's activity
    assert list(frame["period"]) == ["2025-03", "2025-04"]
    assert frame.iloc[0]["start_customers"] == 3


@pytest.mark.parametrize("window", [1, 45, 90])
def test_every_count_matches_the_shared_activity_definition_on_the_sample(tmp_path, window):
    from retention.sample import write_sample_csv

    ws = fresh_workspace(tmp_path)
    path = write_sample_csv(tmp_path / "sample.csv", customers=300, seed=7)
    ds = load_file(ws, path, dataset="sample").dataset_id
    con = ws.cursor()
    as_of = dt.date(2026, 9, 17)
    frame = crr_by_period(con, ds, as_of=as_of, window_days=window)
    assert len(frame) > 20
    for row in frame.itertuples():
        start = row.period_start - dt.timedelta(days=1)
        assert row.start_customers == active_customers(con, ds, as_of=start,
                                                       window_days=window), row.period
        assert row.end_customers == active_customers(con, ds, as_of=row.measured_at,
                                                     window_days=window), row.period
    # retained and new, by brute force for the last complete month
    last = frame[~frame["in_progress"]].iloc[-1]
    sets = {}
    for day in (last["period_start"] - dt.timedelta(days=1), last["period_end"]):
        sets[day] = {r[0] for r in con.execute(
            "select distinct customer_id from orders where dataset_id = ? and date >= ?::date"
            " - to_days(? - 1) and date < ?::date + interval 1 day",
            [ds, day, window, day]).fetchall()}
    start_set, end_set = sets.values()
    firsts = {r[0] for r in con.execute(
        "select customer_id from orders where dataset_id = ? group by 1"
        " having min(date)::date between ? and ?",
        [ds, last["period_start"], last["period_end"]]).fetchall()}
    assert last["retained"] == len(start_set & end_set)
    assert last["new_customers"] == len(firsts & end_set)


def test_crr_chart_draws_the_running_period_apart(months):
    from retention.charts.retention import crr_chart, crr_parts_chart

    con, ds = months
    frame = crr_by_period(con, ds, as_of=dt.date(2025, 4, 10), window_days=W)
    fig = crr_chart(frame)
    names = [trace.name for trace in fig.data]
    assert names == ["CRR (seed formula)", "CRR (seed formula) — in progress",
                     "Strict retention", "Strict retention — in progress"]
    assert list(fig.data[0].x) == ["2025-01", "2025-02", "2025-03"]
    # the dotted stub joins March to the running April, with hollow markers
    assert list(fig.data[1].x) == ["2025-03", "2025-04"]
    assert fig.data[1].line.dash == "dot" and fig.data[1].marker.symbol == "circle-open"
    assert fig.layout.yaxis.title.text == "% of customers active at the start"
    bars = crr_parts_chart(frame)
    assert [trace.name for trace in bars.data] == [
        "Active at the start (S)", "Active at the end (E)", "New and active at the end (N)",
        "Came back (reactivated)"]
    assert list(bars.data[0].marker.pattern.shape) == ["", "", "", "/"]
