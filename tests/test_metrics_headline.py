"""Headline numbers on a 9-row table worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from retention.metrics import active_customers, default_as_of, headline
from tests.ingest_helpers import fresh_workspace, write

# c1: two orders (one of two lines) and a partial return; c2: one order on 03-01 at two times
# of day = two orders; c3: a return only (not a customer); c4: buys after 03-31 only.
ROWS = """order,customer,date,amount
1,c1,2024-01-05 10:00,30
1,c1,2024-01-05 10:00,20
2,c1,2024-02-10 12:00,40
C2,c1,2024-02-12 09:00,10
3,c2,2024-03-01 09:00,15
4,c2,2024-03-01 18:00,5
C9,c3,2024-03-10 11:00,12
5,c4,2024-04-02 08:00,100
6,c4,2024-04-03 08:00,-1
"""


@pytest.fixture
def dataset(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "h.csv", ROWS), dataset="h")
    return ws, report.dataset_id


def test_headline_at_the_default_as_of_date(dataset):
    ws, ds = dataset
    assert default_as_of(ws.cursor(), ds) == dt.date(2024, 4, 3)
    row = headline(ws.cursor(), ds).iloc[0].to_dict()
    # orders 1, 2, 3, 4, 5; returns C2, C9 and the negative line of c4
    assert row["customers"] == 3
    assert row["orders"] == 5
    assert row["net_revenue"] == pytest.approx(30 + 20 + 40 - 10 + 15 + 5 - 12 + 100 - 1)
    assert row["returns"] == 3
    assert (row["first_date"].date(), row["last_date"].date()) == (
        dt.date(2024, 1, 5), dt.date(2024, 4, 3))
    assert row["future_rows"] == 0


def test_rows_after_the_as_of_day_are_ignored_and_the_day_itself_counts(dataset):
    ws, ds = dataset
    row = headline(ws.cursor(), ds, as_of=dt.date(2024, 3, 1)).iloc[0].to_dict()
    assert (row["customers"], row["orders"], row["returns"]) == (2, 4, 1)
    assert row["net_revenue"] == pytest.approx(30 + 20 + 40 - 10 + 15 + 5)
    assert row["future_rows"] == 3


def test_a_customer_with_returns_only_is_not_a_customer(dataset):
    ws, ds = dataset
    row = headline(ws.cursor(), ds, as_of=dt.date(2024, 3, 10)).iloc[0].to_dict()
    assert row["customers"] == 2
    assert row["net_revenue"] == pytest.approx(100 - 12)


def test_an_empty_dataset_has_zero_numbers(tmp_path):
    ws = fresh_workspace(tmp_path)
    row = headline(ws.cursor(), 999).iloc[0].to_dict()
    assert (row["customers"], row["orders"], row["as_of"]) == (0, 0, None)


@pytest.mark.parametrize(
    ("as_of", "window", "expected"),
    [
        # W = 30 on 2024-03-01: the window is 2024-02-01 .. 03-01 (c1's 02-10 order, c2's two)
        (dt.date(2024, 3, 1), 30, 2),
        # W = 20 on 2024-03-01: the window starts 02-11, so c1's 02-10 order is out
        (dt.date(2024, 3, 1), 20, 1),
        # exactly W days before: 02-10 is 20 days before 03-01 with W = 20 -> out, W = 21 -> in
        (dt.date(2024, 3, 1), 21, 2),
        # c3 has only a return: never active; c4's order on 04-02 is on D itself
        (dt.date(2024, 4, 2), 1, 1),
        (dt.date(2024, 4, 1), 1, 0),
    ],
)
def test_active_customers_window_boundaries(dataset, as_of, window, expected):
    ws, ds = dataset
    assert active_customers(ws.cursor(), ds, as_of=as_of, window_days=window) == expected


def test_orders_table_has_one_row_per_order_dated_by_its_earliest_line(dataset):
    ws, ds = dataset
    rows = ws.cursor().execute(
        "select customer_id, order_key, date, revenue::double, lines from orders"
        " where dataset_id = ? order by date", [ds]
    ).fetchall()
    assert rows == [
        ("c1", "1", dt.datetime(2024, 1, 5, 10), 50.0, 2),
        ("c1", "2", dt.datetime(2024, 2, 10, 12), 40.0, 1),
        ("c2", "3", dt.datetime(2024, 3, 1, 9), 15.0, 1),
        ("c2", "4", dt.datetime(2024, 3, 1, 18), 5.0, 1),
        ("c4", "5", dt.datetime(2024, 4, 2, 8), 100.0, 1),
    ]


def test_a_version_1_workspace_gets_its_orders_derived_on_open(tmp_path):
    from retention.store import close_workspace, open_workspace

    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "h.csv", ROWS), dataset="h")
    con = ws.cursor()
    con.execute("delete from orders")
    con.execute("update meta set value = '1' where key = 'schema_version'")
    close_workspace(tmp_path / "ws.duckdb")
    reopened = open_workspace(tmp_path / "ws.duckdb")
    assert reopened.cursor().execute(
        "select count(*) from orders where dataset_id = ?", [report.dataset_id]
    ).fetchone()[0] == 5


def test_date_range_spans_every_row_returns_included(dataset, tmp_path):
    from retention.metrics import date_range

    ws, ds = dataset
    assert date_range(ws.cursor(), ds) == (dt.date(2024, 1, 5), dt.date(2024, 4, 3))
    assert date_range(ws.cursor(), 999) is None


# -- the default as-of date passes over future-dated rows (issue 10, point 1) -------------------

# ROWS plus one mistyped date: c5 "bought" in 2099.
ROWS_WITH_2099 = ROWS + "7,c5,2099-04-03 08:00,70\n"


@pytest.fixture
def dataset_with_2099(tmp_path):
    ws = fresh_workspace(tmp_path, "ws2099.duckdb")
    report = load_file(ws, write(tmp_path, "h2099.csv", ROWS_WITH_2099), dataset="h2099")
    return ws, report.dataset_id


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2024, 5, 1), dt.date(2024, 4, 3)),  # between the last real row and 2099
        (dt.date(2024, 4, 3), dt.date(2024, 4, 3)),  # a row dated today is not in the future
        (dt.date(2024, 4, 2), dt.date(2024, 4, 2)),  # 04-03 is tomorrow: passed over too
        (dt.date(2024, 3, 20), dt.date(2024, 3, 10)),
        (dt.date(2099, 4, 3), dt.date(2099, 4, 3)),  # the row's day has come
    ],
)
def test_default_as_of_is_the_last_date_not_after_today(dataset_with_2099, today, expected):
    ws, ds = dataset_with_2099
    assert default_as_of(ws.cursor(), ds, today=today) == expected


def test_one_row_in_2099_changes_no_number_at_the_default_as_of(dataset, dataset_with_2099):
    today = dt.date(2024, 5, 1)
    plain_ws, plain = dataset
    typo_ws, typo = dataset_with_2099
    as_of = default_as_of(typo_ws.cursor(), typo, today=today)
    assert as_of == default_as_of(plain_ws.cursor(), plain, today=today) == dt.date(2024, 4, 3)

    with_typo = headline(typo_ws.cursor(), typo, as_of=as_of).iloc[0].to_dict()
    without = headline(plain_ws.cursor(), plain, as_of=as_of).iloc[0].to_dict()
    assert with_typo.pop("future_rows") == 1 and without.pop("future_rows") == 0
    assert with_typo == without
    assert (with_typo["customers"], with_typo["orders"]) == (3, 5)
    for window in (1, 30, 90):
        assert active_customers(typo_ws.cursor(), typo, as_of=as_of, window_days=window) == \
            active_customers(plain_ws.cursor(), plain, as_of=as_of, window_days=window)
    assert active_customers(typo_ws.cursor(), typo, as_of=as_of, window_days=90) == 3


def test_default_as_of_with_every_row_in_the_past_is_the_last_date(dataset):
    ws, ds = dataset
    assert default_as_of(ws.cursor(), ds, today=dt.date(2030, 1, 1)) == dt.date(2024, 4, 3)


def test_default_as_of_with_every_row_in_the_future_is_today_and_counts_nothing(dataset):
    ws, ds = dataset
    today = dt.date(2023, 12, 31)
    assert default_as_of(ws.cursor(), ds, today=today) == today
    row = headline(ws.cursor(), ds, as_of=today).iloc[0].to_dict()
    assert (row["customers"], row["orders"], row["future_rows"]) == (0, 0, 9)


def test_default_as_of_of_a_dataset_without_rows_is_none(tmp_path):
    ws = fresh_workspace(tmp_path)
    assert default_as_of(ws.cursor(), 999, today=dt.date(2024, 1, 1)) is None


def test_headline_without_an_as_of_uses_the_real_clock_and_passes_over_2099(dataset_with_2099):
    # the machine's clock lies between 2024 and 2099 for as long as this test matters
    ws, ds = dataset_with_2099
    row = headline(ws.cursor(), ds).iloc[0].to_dict()
    assert row["as_of"].date() == dt.date(2024, 4, 3)
    assert (row["customers"], row["future_rows"]) == (3, 1)
