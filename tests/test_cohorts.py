"""The cohort matrix (acquisition month × months since the first order) on six customers.

    c1: Jan 5 100, Feb 10 50, Apr 1 30, Apr 20 5        -> January cohort
    c2: Jan 20 80, return Jan 25 −20, Mar 15 40          -> January cohort
    c3: Jan 31 60                                        -> January cohort
    c4: Feb 1 70, Feb 20 10, Mar 1 25                    -> February cohort (two orders in
                                                            February count once as a buyer)
    c5: Feb 28 90                                        -> February cohort
    c6: return Mar 20 −5, Apr 2 15                       -> April cohort; its return predates
                                                            its first order and is left out
    c7: a return only (Feb 5 −12)                        -> no order, in no cohort

As of Apr 10 2025, April has not ended, so every April cell is unknown (NULL), not 0.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics import cohort_matrix
from tests.ingest_helpers import fresh_workspace, write

SIX = """order,customer,date,amount
1,c1,2025-01-05,100
2,c2,2025-01-20,80
3,c2,2025-01-25,-20
4,c3,2025-01-31 18:30,60
5,c4,2025-02-01,70
6,c7,2025-02-05,-12
7,c1,2025-02-10,50
8,c4,2025-02-20,10
9,c5,2025-02-28,90
10,c4,2025-03-01,25
11,c2,2025-03-15,40
12,c6,2025-03-20,-5
13,c1,2025-04-01,30
14,c6,2025-04-02,15
15,c1,2025-04-20,5
"""


@pytest.fixture
def six(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "six.csv", SIX), dataset="six")
    return ws.cursor(), report.dataset_id


def cells(frame: pd.DataFrame) -> dict[tuple[str, int], tuple]:
    return {
        (row["cohort_label"], row["months_since"]): (
            row["cohort_customers"], row["observable"],
            None if pd.isna(row["buyers"]) else int(row["buyers"]),
            None if pd.isna(row["net_revenue"]) else round(row["net_revenue"], 2),
        )
        for row in frame.to_dict("records")
    }


def test_cohort_matrix_with_a_month_in_progress(six):
    con, ds = six
    frame = cohort_matrix(con, ds, as_of=dt.date(2025, 4, 10))
    assert cells(frame) == {
        # (cohort customers, observable, buyers, net revenue)
        ("2025-01", 0): (3, True, 3, 220.0),     # 100 + 80 − 20 + 60
        ("2025-01", 1): (3, True, 1, 50.0),      # c1 in February
        ("2025-01", 2): (3, True, 1, 40.0),      # c2 in March
        ("2025-01", 3): (3, False, None, None),  # April: c1 bought, but April is not over
        ("2025-02", 0): (2, True, 2, 170.0),     # 70 + 10 + 90
        ("2025-02", 1): (2, True, 1, 25.0),      # c4 in March
        ("2025-02", 2): (2, False, None, None),
        ("2025-04", 0): (1, False, None, None),
    }
    jan = frame[frame["cohort_label"] == "2025-01"].set_index("months_since")
    assert list(jan["buying_share"].iloc[:3]) == pytest.approx([1, 1 / 3, 1 / 3])
    assert list(jan["revenue_per_customer"].iloc[:3]) == pytest.approx([220 / 3, 50 / 3, 40 / 3])
    assert pd.isna(jan["buying_share"].iloc[3])
    assert frame.iloc[0]["cohort"] == dt.date(2025, 1, 1)


def test_once_april_ends_its_cells_are_known_and_later_rows_count(six):
    con, ds = six
    frame = cells(cohort_matrix(con, ds, as_of=dt.date(2025, 4, 30)))
    assert frame[("2025-01", 3)] == (3, True, 1, 35.0)  # c1: Apr 1 and Apr 20
    assert frame[("2025-02", 2)] == (2, True, 0, 0.0)   # nobody bought: a true zero now
    assert frame[("2025-04", 0)] == (1, True, 1, 15.0)  # c6's earlier return left out


def test_no_orders_no_cohorts(six):
    con, ds = six
    assert cohort_matrix(con, ds, as_of=dt.date(2024, 12, 31)).empty


def test_heatmap_leaves_unobservable_cells_blank(six):
    from retention.charts.retention import cohort_heatmap

    con, ds = six
    fig = cohort_heatmap(cohort_matrix(con, ds, as_of=dt.date(2025, 4, 10)), "buying_share")
    heat = fig.data[0]
    assert list(heat.y) == ["2025-01", "2025-02", "2025-04"]
    assert list(heat.x) == [0, 1, 2, 3]
    z = [[None if v != v else round(v, 2) for v in row] for row in heat.z]
    assert z == [[100.0, 33.33, 33.33, None], [100.0, 50.0, None, None],
                 [None, None, None, None]]
    assert heat.zmax == 50.0  # colours scaled on the months after the first
    revenue = cohort_heatmap(cohort_matrix(con, ds, as_of=dt.date(2025, 4, 10)),
                             "revenue_per_customer", currency="USD")
    assert revenue.layout.title.text == (
        "Net revenue per cohort customer, by month since the first order")
    assert "$16.67 net revenue per cohort customer" in revenue.data[0].customdata[0][1]


def test_only_the_latest_acquisition_months_are_kept(six):
    con, ds = six
    # the last 2 calendar months up to Apr 30 are March and April: only the April cohort;
    # older customers' later orders do not leak into it
    frame = cells(cohort_matrix(con, ds, as_of=dt.date(2025, 4, 30), max_cohorts=2))
    assert frame == {("2025-04", 0): (1, True, 1, 15.0)}
    with pytest.raises(ValueError, match="max_cohorts"):
        cohort_matrix(con, ds, as_of=dt.date(2025, 4, 30), max_cohorts=121)
