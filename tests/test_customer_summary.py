"""The per-buyer summary built in the load's transaction: its rows checked by hand, the metrics
that read it equal to the line scans they replace, when it applies and when it does not, and
that every change to a dataset's rows (append, replace, delete, an older workspace) keeps it
in step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics import customer_summary
from retention.metrics.btyd_summary import btyd_summary
from retention.metrics.customer_features import customer_features
from retention.sample import write_sample_csv
from retention.store import Workspace, close_workspace, export_parquet, open_workspace
from tests.ingest_helpers import fresh_workspace, write

# c1: orders on 01-01 (two orders that day: 10.00 + 20.00, one purchase day), 01-08 (50.00,
#     with a 60.00 return the same day: the day nets to -10, a non-positive repeat day) and
#     01-20 (40.00); a return of 5.00 on 01-25, a day without an order. orders 4, purchase
#     days 3, repeat-day revenue -10 + 40 = 30, net revenue 30 + 50 + 40 - 60 - 5 = 55, gross
#     120, returned 65. Channel: web 3 purchase lines to shop 1; category: Bags 60 (20 + 40)
#     ties Shoes 60 (10 + 50): Bags, alphabetically first.
# c2: one order on 01-31, 25.00 (its last day is the dataset's last day): one purchase day,
#     no repeat-day revenue, no channel or category.
# c3: a return only: not a buyer, no row.
ROWS = """order_id,customer_id,date,amount,channel,category
A1,c1,2025-01-01 09:00,10.00,web,Shoes
A2,c1,2025-01-01 17:00,20.00,web,Bags
A3,c1,2025-01-08 12:00,50.00,shop,Shoes
R1,c1,2025-01-08 18:00,-60.00,shop,Shoes
A4,c1,2025-01-20 08:00,40.00,web,Bags
R2,c1,2025-01-25 08:00,-5.00,web,Bags
A5,c2,2025-01-31 20:00,25.00,,
R3,c3,2025-01-15 10:00,-7.00,web,Toys
"""
LAST_DAY = dt.date(2025, 1, 31)


def _load(tmp_path, text: str = ROWS, mode: str = "new", ws=None, name: str = "rows.csv"):
    ws = ws or fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, name, text), dataset="shop", mode=mode)
    return ws, report.dataset_id


def _summary_rows(ws, ds):
    return ws.cursor().execute(
        "select * exclude (dataset_id) from customer_summary where dataset_id = ?"
        " order by customer_id", [ds]
    ).fetchdf()


def test_the_summary_rows_on_a_hand_made_table(tmp_path):
    ws, ds = _load(tmp_path)
    rows = _summary_rows(ws, ds).set_index("customer_id")

    assert list(rows.index) == ["c1", "c2"]
    c1 = rows.loc["c1"]
    assert (c1.orders, c1.purchase_days, c1.nonpositive_days) == (4, 3, 1)
    assert c1.first_order == pd.Timestamp("2025-01-01 09:00")
    assert c1.last_order == pd.Timestamp("2025-01-20 08:00")
    assert (c1.repeat_day_revenue, c1.net_revenue, c1.gross_value, c1.returned_value) == (
        Decimal("30"), Decimal("55"), Decimal("120"), Decimal("65"))
    assert (c1.channel, c1.top_category) == ("web", "Bags")
    c2 = rows.loc["c2"]
    assert (c2.orders, c2.purchase_days, c2.nonpositive_days) == (1, 1, 0)
    assert pd.isna(c2.repeat_day_revenue)
    assert (c2.net_revenue, c2.gross_value, c2.returned_value) == (25, 25, 0)
    assert pd.isna(c2.channel) and pd.isna(c2.top_category)


def test_it_covers_the_last_day_and_later_but_not_a_day_before(tmp_path):
    ws, ds = _load(tmp_path)
    con = ws.cursor()
    assert customer_summary.covers(con, ds, LAST_DAY)
    assert customer_summary.covers(con, ds, LAST_DAY + dt.timedelta(days=400))
    # c2's order at 20:00 on the 31st lies after the end of the 30th
    assert not customer_summary.covers(con, ds, LAST_DAY - dt.timedelta(days=1))


def test_the_readers_on_the_hand_made_table_from_the_summary(tmp_path):
    ws, ds = _load(tmp_path)
    con = ws.cursor()
    features = customer_features(con, ds, as_of=LAST_DAY).set_index("customer_id")
    c1 = features.loc["c1"]
    # recency 01-20 → 01-31, tenure 01-01 → 01-31, gaps 19 days over 3
    assert (c1.recency_days, c1.orders, c1.tenure_days) == (11, 4, 30)
    assert c1.avg_check == 55 / 4 and c1.net_revenue == 55.0
    assert c1.mean_days_between_orders == 19 / 3
    assert c1.return_rate == 65 / 120
    assert (c1.channel, c1.top_category) == ("web", "Bags")

    summary = btyd_summary(con, ds, calibration_end=LAST_DAY).set_index("customer_id")
    c1 = summary.loc["c1"]
    assert (c1.x, c1.t_x_days, c1.T_days, c1.nonpositive_days) == (2, 19, 30, 1)
    assert c1.m == 15.0 and c1.net_revenue == 55.0
    c2 = summary.loc["c2"]
    assert (c2.x, c2.t_x_days, c2.T_days) == (0, 0, 0) and pd.isna(c2.m)


def _scanned(monkeypatch, metric, *args, **kwargs):
    """``metric(*args, **kwargs)`` with the summary switched off: what the line scans give."""
    with monkeypatch.context() as patch:
        patch.setattr(customer_summary, "covers", lambda *args: False)
        return metric(*args, **kwargs)


@pytest.mark.parametrize("rows", [ROWS, None], ids=["hand-made", "sample shop"])
def test_every_reader_equals_the_line_scan_it_replaces(tmp_path, monkeypatch, rows):
    if rows is None:
        path = write_sample_csv(tmp_path / "sample.csv", customers=400, seed=7)
        ws = fresh_workspace(tmp_path)
        ds = load_file(ws, path, dataset="sample").dataset_id
    else:
        ws, ds = _load(tmp_path, rows)
    con = ws.cursor()
    last = con.execute(
        "select max(date)::date from transactions where dataset_id = ?", [ds]
    ).fetchone()[0]
    for as_of in (last, last + dt.timedelta(days=45)):
        assert customer_summary.covers(con, ds, as_of)
        pd.testing.assert_frame_equal(
            customer_features(con, ds, as_of=as_of),
            _scanned(monkeypatch, customer_features, con, ds, as_of=as_of),
            check_exact=False, rtol=1e-12,
        )
        pd.testing.assert_frame_equal(
            btyd_summary(con, ds, calibration_end=as_of),
            _scanned(monkeypatch, btyd_summary, con, ds, calibration_end=as_of),
            check_exact=False, rtol=1e-12,
        )


def test_an_append_a_replace_and_a_delete_keep_it_in_step(tmp_path):
    ws, ds = _load(tmp_path)
    more = ("order_id,customer_id,date,amount,channel,category\n"
            "B1,c3,2025-02-02 10:00,9.00,web,Toys\n")
    _load(tmp_path, more, mode="append", ws=ws, name="more.csv")
    rows = _summary_rows(ws, ds).set_index("customer_id")
    assert list(rows.index) == ["c1", "c2", "c3"]
    # c3's earlier return now nets into a buyer's revenue: 9 - 7
    assert rows.loc["c3", "net_revenue"] == Decimal("2")

    only_c4 = "order_id,customer_id,date,amount\nD1,c4,2025-03-01 10:00,3.00\n"
    _load(tmp_path, only_c4, mode="replace", ws=ws, name="only.csv")
    assert list(_summary_rows(ws, ds)["customer_id"]) == ["c4"]

    ws.delete_dataset(ds)
    assert ws.cursor().execute("select count(*) from customer_summary").fetchone()[0] == 0


def test_an_older_workspace_gets_its_summary_when_opened(tmp_path):
    ws, ds = _load(tmp_path)
    expected = _summary_rows(ws, ds)
    con = ws.cursor()
    # as a version 4 workspace was: no summary table
    con.execute("drop table customer_summary")
    con.execute("update meta set value = '4' where key = 'schema_version'")
    path = ws.path
    close_workspace(path)

    reopened = open_workspace(path)
    pd.testing.assert_frame_equal(_summary_rows(reopened, ds), expected)


def test_a_parquet_export_without_the_summary_scans_the_lines(tmp_path):
    ws, ds = _load(tmp_path)
    expected = customer_features(ws.cursor(), ds, as_of=LAST_DAY)
    folder = tmp_path / "parquet"
    export_parquet(ws, folder)
    (folder / "customer_summary.parquet").unlink()  # an export made before version 5

    con = Workspace(folder).cursor()
    assert not customer_summary.covers(con, ds, LAST_DAY)
    pd.testing.assert_frame_equal(customer_features(con, ds, as_of=LAST_DAY), expected)
