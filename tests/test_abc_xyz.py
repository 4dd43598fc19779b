"""ABC/XYZ (DESIGN §4) on hand-made tables: every boundary the issue lists, worked out on paper."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from retention.charts.abc_xyz import (
    abc_xyz_heatmap,
    abc_xyz_trend_chart,
    cv_histogram_chart,
    share_histogram_chart,
)
from retention.ingest import load_file
from retention.metrics.abc_xyz import (
    CELLS,
    PRODUCT_SETTINGS,
    AbcXyzSettings,
    abc_xyz_cell_customers,
    abc_xyz_cells,
    abc_xyz_counts,
    abc_xyz_customer_cells,
    abc_xyz_customers,
    abc_xyz_overview,
    abc_xyz_trend,
    analysis_span,
    has_products,
    product_abc_xyz,
    quarter_ends,
)
from retention.summary import dataset_summary
from tests.ingest_helpers import fresh_workspace, write


def load(tmp_path, csv: str, name: str = "abc"):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, f"{name}.csv", csv), dataset=name, currency="USD")
    return ws, report.dataset_id


def monthly_lines(customer: str, amounts: list[float], product: str = "") -> str:
    """One order per month of 2025 with the given amount (0 = no purchase that month)."""
    return "".join(
        f"{customer}-{month},{customer},2025-{month:02d}-15,{amount},{product}\n"
        for month, amount in enumerate(amounts, start=1) if amount
    )


# -- the span and the quarter-ends --------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "span"), [
    # D is the month's last day: that month is complete and ends the span
    (dt.date(2025, 12, 31), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    # one day earlier December is incomplete: the span ends with November
    (dt.date(2025, 12, 30), (dt.date(2024, 12, 1), dt.date(2025, 11, 30))),
    (dt.date(2026, 1, 15), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    (dt.date(2024, 2, 29), (dt.date(2023, 3, 1), dt.date(2024, 2, 29))),  # leap day is a month end
    (dt.date(2024, 3, 1), (dt.date(2023, 3, 1), dt.date(2024, 2, 29))),
])
def test_the_span_is_the_last_twelve_complete_months(as_of, span):
    assert analysis_span(as_of) == span


def test_quarter_ends_on_or_before_d():
    assert quarter_ends(dt.date(2025, 11, 15)) == [
        dt.date(2024, 12, 31), dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30)]
    # D on a quarter-end is itself the latest one
    assert quarter_ends(dt.date(2025, 9, 30), 2) == [dt.date(2025, 6, 30), dt.date(2025, 9, 30)]


# -- ABC ----------------------------------------------------------------------------------------

# D = 2026-01-15, so the span is Jan–Dec 2025 (January 2026 is not complete).
# Net revenue in the span: c01 1800, c02 600, c03 350 − 50 = 300, T-a 150, T-b 150; total 3000.
# Ranked (ties by id, T-a before T-b):      share_before      class
#   c01 1800                                0                 A
#   c02  600                                1800/3000 = 0.60  A
#   c03  300                                2400/3000 = 0.80  B  (exactly 0.80 is not < 0.80)
#   T-a  150                                2700/3000 = 0.90  B
#   T-b  150                                2850/3000 = 0.95  C  (exactly 0.95 is not < 0.95)
# Not classified: N0 (50 − 50 = 0), NEG (its purchase is before the span, the return inside:
# −80), OUT (one minute before the span and in January 2026), LATE (after D).
ABC_ROWS = """order_id,customer_id,date,amount
O1,c01,2025-03-10,1800
O2,c02,2025-04-10,600
O3,c03,2025-05-10,350
R3,c03,2025-05-20,-50
O4,T-b,2025-06-10,150
O5,T-a,2025-07-10,150
O6,N0,2025-02-01,50
R6,N0,2025-02-05,-50
O7,NEG,2024-12-20,80
R7,NEG,2025-01-03,-80
O8,OUT,2024-12-31 23:59,500
O9,OUT,2026-01-05,500
O10,c01,2026-01-10,999
O11,LATE,2026-01-20,100
"""
ABC_AS_OF = dt.date(2026, 1, 15)


def test_abc_boundaries_ties_and_unclassified_customers(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=ABC_AS_OF)

    assert got["customer_id"].tolist() == ["c01", "c02", "c03", "T-a", "T-b"]
    assert got["revenue"].tolist() == [1800, 600, 300, 150, 150]
    assert got["share_before"].tolist() == [0, 0.6, 0.8, 0.9, 0.95]
    assert got["abc"].tolist() == ["A", "A", "B", "B", "C"]
    assert got["rank"].tolist() == [1, 2, 3, 4, 5]
    # the purchase on 2026-01-10 is after the span: not revenue, not an order there, but it is
    # c01's last purchase; c03's return is not an order
    c01 = got.iloc[0]
    assert (c01["orders"], c01["last_purchase"].date()) == (1, dt.date(2026, 1, 10))
    assert got.set_index("customer_id").loc["c03", "orders"] == 1
    # one purchase in twelve months: CV = √11 → Z
    assert set(got["xyz"]) == {"Z"}
    assert got["cv"].tolist() == [round(math.sqrt(11), 9)] * 5


def test_the_customer_cells_alone_are_the_classified_customers_cells(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)
    settings = AbcXyzSettings(a_share=0.6, b_share=0.9)

    cells = abc_xyz_customer_cells(ws.cursor(), ds, as_of=ABC_AS_OF, settings=settings)

    # by customer id (text order: capitals first), the cells of the list above
    assert cells.columns.tolist() == ["customer_id", "cell"]
    assert cells.values.tolist() == [["T-a", "CZ"], ["T-b", "CZ"], ["c01", "AZ"],
                                     ["c02", "BZ"], ["c03", "BZ"]]


def test_abc_cut_offs_are_settings(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)
    settings = AbcXyzSettings(a_share=0.6, b_share=0.9)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=ABC_AS_OF, settings=settings)

    # share_before 0.6 is no longer below A's 0.6, and 0.9 no longer below B's 0.9
    assert got["abc"].tolist() == ["A", "B", "B", "C", "C"]


def test_a_cell_and_a_limit_narrow_the_list(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)

    bz = abc_xyz_customers(ws.cursor(), ds, as_of=ABC_AS_OF, cell="BZ")
    first = abc_xyz_customers(ws.cursor(), ds, as_of=ABC_AS_OF, cell="BZ", limit=1)

    assert bz["customer_id"].tolist() == ["c03", "T-a"]
    assert first["customer_id"].tolist() == ["c03"]
    with pytest.raises(ValueError, match="AX"):
        abc_xyz_customers(ws.cursor(), ds, as_of=ABC_AS_OF, cell="DX")


def test_the_overview_lists_the_first_of_every_cell(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)

    top = abc_xyz_overview(ws.cursor(), ds, as_of=ABC_AS_OF, top=1).top

    # AZ holds c01 and c02, BZ c03 and T-a, CZ T-b: the first of each by revenue
    assert top[["customer_id", "cell"]].values.tolist() == [
        ["c01", "AZ"], ["c03", "BZ"], ["T-b", "CZ"]]
    assert top["last_purchase"].iloc[0].date() == dt.date(2026, 1, 10)
    assert abc_xyz_overview(ws.cursor(), ds, as_of=ABC_AS_OF).top.empty


# -- XYZ ----------------------------------------------------------------------------------------

# D = 2025-12-31: the span is Jan–Dec 2025 (D is December's last day, so December counts).
#   X05: 225 in Jan–Jun, 75 in Jul–Dec (Dec on the 31st at 23:30): mean 150, std 75 → CV 0.5
#   Y10: 100 in Jan–Jun, nothing after: mean 50, std 50 → CV 1.0
#   Z2:  150 in Feb and Mar: mean 25, E[x²] = 2·150²/12 = 3750, var 3125 → CV √5 ≈ 2.236
# Revenue 1800, 600, 300 (total 2700): share_before 0, 0.667, 0.889 → A, A, B.
XYZ_ROWS = (
    "order_id,customer_id,date,amount,product\n"
    + monthly_lines("X05", [225] * 6 + [75] * 5)
    + "X05-12,X05,2025-12-31 23:30,75,\n"
    + monthly_lines("Y10", [100] * 6 + [0] * 6)
    + monthly_lines("Z2", [0, 150, 150] + [0] * 9)
)
XYZ_AS_OF = dt.date(2025, 12, 31)


def test_xyz_boundaries_cv_exactly_half_and_one(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=XYZ_AS_OF).set_index("customer_id")

    assert got["cv"].to_dict() == {"X05": 0.5, "Y10": 1.0, "Z2": round(math.sqrt(5), 9)}
    assert got["xyz"].to_dict() == {"X05": "X", "Y10": "Y", "Z2": "Z"}
    assert got["cell"].to_dict() == {"X05": "AX", "Y10": "AY", "Z2": "BZ"}


def test_xyz_cut_offs_are_settings(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)
    settings = AbcXyzSettings(x_cv=0.4, y_cv=0.9)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=XYZ_AS_OF, settings=settings)

    assert got.set_index("customer_id")["xyz"].to_dict() == {"X05": "Y", "Y10": "Z", "Z2": "Z"}


def test_quarter_buckets(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=XYZ_AS_OF,
                            settings=AbcXyzSettings(bucket="quarter"))

    # X05: 675, 675, 225, 225 → mean 450, std 225 → 0.5; Y10: 300, 300, 0, 0 → 1.0;
    # Z2: 300, 0, 0, 0 → mean 75, E[x²] = 22500, var 16875, std 75·√3 → CV √3
    assert got.set_index("customer_id")["cv"].to_dict() == {
        "X05": 0.5, "Y10": 1.0, "Z2": round(math.sqrt(3), 9)}


def test_week_buckets_are_52_weeks_ending_on_the_spans_last_day(tmp_path):
    # As of 2025-12-31: week 0 is Dec 25–31, week 51 is Jan 2–8; Jan 1 is in no week.
    #   W1: 100 on Jan 1 (in the span, no week) + 100 on Dec 25: one week of 100 →
    #       CV = √(52·100² − 100²) / 100 = √51; revenue 200 all the same
    #   W2: 100 on Jan 2 (week 51) + 100 on Dec 31 (week 0): CV = √(52·2·100² − 200²) / 200 = 5
    rows = """order_id,customer_id,date,amount
a,W1,2025-01-01,100
b,W1,2025-12-25,100
c,W2,2025-01-02,100
d,W2,2025-12-31,100
"""
    ws, ds = load(tmp_path, rows)

    got = abc_xyz_customers(ws.cursor(), ds, as_of=XYZ_AS_OF,
                            settings=AbcXyzSettings(bucket="week")).set_index("customer_id")

    assert got["revenue"].to_dict() == {"W1": 200, "W2": 200}
    assert got["cv"].to_dict() == {"W1": round(math.sqrt(51), 9), "W2": 5.0}


def test_the_nine_cells(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    cells = abc_xyz_cells(ws.cursor(), ds, as_of=XYZ_AS_OF).set_index("cell")

    assert list(cells.index) == list(CELLS)
    assert cells["customers"].to_dict() == {
        "AX": 1, "AY": 1, "AZ": 0, "BX": 0, "BY": 0, "BZ": 1, "CX": 0, "CY": 0, "CZ": 0}
    ax, ay, bz = cells.loc["AX"], cells.loc["AY"], cells.loc["BZ"]
    # AX: 1800 over 12 orders; AY: 600 over 6; BZ: 300 over 2
    assert (ax["revenue"], ax["orders"], ax["avg_check"], ax["avg_orders"]) == (1800, 12, 150, 12)
    assert (ay["revenue"], ay["orders"], ay["avg_check"], ay["avg_orders"]) == (600, 6, 100, 6)
    assert (bz["revenue"], bz["orders"], bz["avg_check"], bz["avg_orders"]) == (300, 2, 150, 2)
    assert ax["customer_share"] == pytest.approx(1 / 3)
    assert ax["revenue_share"] == pytest.approx(1800 / 2700)
    empty = cells.loc["CZ"]
    assert (empty["revenue"], empty["revenue_share"], empty["orders"]) == (0, 0, 0)
    assert empty[["avg_check", "avg_orders"]].isna().all()


def test_the_histograms_put_each_cv_and_share_in_its_bin(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    overview = abc_xyz_overview(ws.cursor(), ds, as_of=XYZ_AS_OF)

    cv = overview.cv_bins
    # bins are (start, end]: CV 0.5 in (0.45, 0.5], 1.0 in (0.95, 1.0], √5 in (2.2, 2.25]
    assert cv["bin_end"].round(2).tolist() == [0.5, 1.0, 2.25]
    assert cv["customers"].tolist() == [1, 1, 1]
    assert not cv["capped"].any()
    share = overview.share_bins
    # share_before 0, 0.667, 0.889 in [0, 0.01), [0.66, 0.67), [0.88, 0.89)
    assert share["bin_start"].round(2).tolist() == [0.0, 0.66, 0.88]
    assert share["revenue"].tolist() == [1800, 600, 300]


def test_cell_customers_carry_their_ladder_step(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    ax = abc_xyz_cell_customers(ws.cursor(), ds, as_of=XYZ_AS_OF, cell="AX")
    ay = abc_xyz_cell_customers(ws.cursor(), ds, as_of=XYZ_AS_OF, cell="AY")

    # X05: 12 orders in 12 distinct months of the last year → loyal (regularity proxy; no
    # referral or NPS data, so advocacy is unknown and loyal is the top). Y10: 6 orders → regular.
    assert ax[["customer_id", "step"]].values.tolist() == [["X05", "loyal"]]
    assert ay[["customer_id", "step"]].values.tolist() == [["Y10", "regular"]]
    assert ax["last_purchase"].iloc[0] == dt.datetime(2025, 12, 31, 23, 30)


# -- products -----------------------------------------------------------------------------------

# D = 2025-12-31, product cut-offs X ≤ 0.1, Y ≤ 0.25.
#   P1: 110 in Jan–Jun, 90 in Jul–Dec: mean 100, std 10 → CV 0.1 → X (exactly the cut-off)
#   P2: 125 in Jan–Jun, 75 in Jul–Dec: mean 100, std 25 → CV 0.25 → Y (exactly the cut-off)
#   P3: 600 in March only → √11 → Z
# Revenue 1200, 1200, 600 (total 3000); P1 and P2 tie and rank by name:
#   P1 share_before 0 → A, P2 1200/3000 = 0.4 → A, P3 2400/3000 = 0.8 → B (exactly 0.80).
# A line without a product is left out of the product analysis.
PRODUCT_ROWS = (
    "order_id,customer_id,date,amount,product\n"
    + monthly_lines("P2", [125] * 6 + [75] * 6, product="P2")
    + monthly_lines("P1", [110] * 6 + [90] * 6, product="P1")
    + "P3-3,K,2025-03-15,600,P3\n"
    + "none,K,2025-04-15,5000,\n"
)


def test_product_variant_with_the_classic_cut_offs(tmp_path):
    ws, ds = load(tmp_path, PRODUCT_ROWS)

    got = product_abc_xyz(ws.cursor(), ds, as_of=XYZ_AS_OF)
    cells = abc_xyz_overview(ws.cursor(), ds, as_of=XYZ_AS_OF, settings=PRODUCT_SETTINGS,
                             unit="product").cells.set_index("cell")

    assert has_products(ws.cursor(), ds)
    assert got["product"].tolist() == ["P1", "P2", "P3"]
    assert got["revenue"].tolist() == [1200, 1200, 600]
    assert got["share_before"].tolist() == [0, 0.4, 0.8]
    assert got["cv"].tolist() == [0.1, 0.25, round(math.sqrt(11), 9)]
    assert got["cell"].tolist() == ["AX", "AY", "BZ"]
    assert got["orders"].tolist() == [12, 12, 1]
    assert cells["products"].to_dict() == {
        "AX": 1, "AY": 1, "AZ": 0, "BX": 0, "BY": 0, "BZ": 1, "CX": 0, "CY": 0, "CZ": 0}
    assert cells.loc["AX", "avg_check"] == 100
    # the customer defaults would call P2 steady: the product cut-offs are what make it Y
    default = product_abc_xyz(ws.cursor(), ds, as_of=XYZ_AS_OF, settings=AbcXyzSettings())
    assert default["xyz"].tolist() == ["X", "X", "Z"]


def test_no_product_column_means_unknown_not_empty_classes(tmp_path):
    ws, ds = load(tmp_path, ABC_ROWS)

    assert not has_products(ws.cursor(), ds)
    assert product_abc_xyz(ws.cursor(), ds, as_of=ABC_AS_OF).empty


# -- trend --------------------------------------------------------------------------------------


def test_trend_at_the_last_four_quarter_ends(tmp_path):
    # D = 2025-11-15 → quarter-ends 2024-12-31, 2025-03-31, 2025-06-30, 2025-09-30, each over the
    # 12 months ending there. One purchase each, so everyone is Z:
    #   E1 100 on 2024-06-15: in the spans ending 2024-12-31 and 2025-03-31
    #   E3 300 on 2025-02-10: in the spans ending 2025-03-31, -06-30, -09-30
    #   E2 100 on 2025-05-10: in the spans ending 2025-06-30, -09-30
    #   E4  20 on 2025-08-01: in the span ending 2025-09-30
    # 2024-12-31: E1 → AZ 1.   2025-03-31: E3 (0), E1 (0.75) → AZ 2.
    # 2025-06-30: E3, E2 (0.75) → AZ 2.   2025-09-30: E3 (0), E2 (300/420), E4 (400/420 = 0.952)
    # → AZ 2, CZ 1.
    rows = """order_id,customer_id,date,amount
a,E1,2024-06-15,100
b,E3,2025-02-10,300
c,E2,2025-05-10,100
d,E4,2025-08-01,20
"""
    ws, ds = load(tmp_path, rows)

    trend = abc_xyz_trend(ws.cursor(), ds, as_of=dt.date(2025, 11, 15))

    assert len(trend) == 36
    assert trend["period"].drop_duplicates().tolist() == [
        "2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3"]
    nonzero = trend[trend["customers"] > 0]
    assert nonzero[["period", "cell", "customers"]].values.tolist() == [
        ["2024 Q4", "AZ", 1], ["2025 Q1", "AZ", 2], ["2025 Q2", "AZ", 2],
        ["2025 Q3", "AZ", 2], ["2025 Q3", "CZ", 1]]
    last = trend[trend["period"] == "2025 Q3"].set_index("cell")["customer_share"]
    assert last["AZ"] == pytest.approx(2 / 3)


# -- settings, summary, charts ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"a_share": 0.95, "b_share": 0.8}, {"a_share": 0}, {"b_share": 1.2},
    {"x_cv": 1.0, "y_cv": 0.5}, {"x_cv": -0.1}, {"bucket": "day"},
])
def test_settings_that_do_not_fit_together_are_refused(bad):
    with pytest.raises(ValueError):
        AbcXyzSettings(**bad)
    # saved values that no longer fit fall back to the defaults instead of breaking the page
    assert AbcXyzSettings.from_dict(bad) == AbcXyzSettings()


def test_saved_settings_round_trip():
    settings = AbcXyzSettings(a_share=0.7, b_share=0.9, x_cv=0.3, y_cv=0.8, bucket="week")
    assert AbcXyzSettings.from_dict({**settings.as_dict(), "unknown": 1}) == settings
    assert AbcXyzSettings.from_dict({}, PRODUCT_SETTINGS) == PRODUCT_SETTINGS


def test_summary_has_all_nine_cells(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)

    summary = dataset_summary(ws.cursor(), ws.dataset(ds))

    assert summary["abc_xyz"] == {
        "AX": 1, "AY": 1, "AZ": 0, "BX": 0, "BY": 0, "BZ": 1, "CX": 0, "CY": 0, "CZ": 0}
    assert list(summary["abc_xyz"]) == list(CELLS)
    assert abc_xyz_counts(ws.cursor(), ds, as_of=XYZ_AS_OF) == summary["abc_xyz"]


def test_charts_show_the_cells_and_the_cut_offs(tmp_path):
    ws, ds = load(tmp_path, XYZ_ROWS)
    overview = abc_xyz_overview(ws.cursor(), ds, as_of=XYZ_AS_OF)

    heat = abc_xyz_heatmap(overview.cells, "revenue", currency="USD")
    counts = abc_xyz_heatmap(overview.cells, "count")
    cv = cv_histogram_chart(overview.cv_bins, x_cv=0.5, y_cv=1.0)
    share = share_histogram_chart(overview.share_bins, a_share=0.8, b_share=0.95)
    trend = abc_xyz_trend_chart(abc_xyz_trend(ws.cursor(), ds, as_of=XYZ_AS_OF))

    assert list(heat.data[0].z[0]) == [1800, 600, 0]  # row A: X, Y, Z
    assert heat.data[0].text[0][0] == "<b>AX</b><br>$1,800.00"
    assert "Average check: $150.00" in heat.data[0].customdata[0][0]
    assert counts.data[0].text[2][2] == "<b>CZ</b><br>0"
    assert heat.layout.xaxis.title.text and heat.layout.yaxis.title.text
    assert [s.x0 for s in cv.layout.shapes] == [0.5, 1.0]
    assert [s.x0 for s in share.layout.shapes] == [0.8, 0.95]
    assert [a.text for a in share.layout.annotations] == ["<b>A</b>", "<b>B</b>", "<b>C</b>"]
    assert [a.x for a in share.layout.annotations] == [0.4, 0.875, 0.975]  # mid-stretch
    assert [a.text for a in cv.layout.annotations] == ["<b>X</b>", "<b>Y</b>", "<b>Z</b>"]
    assert cv.layout.xaxis.range[0] == 0
    assert cv.layout.xaxis.title.text and share.layout.yaxis.title.text == "Customers"
    # D = 2025-12-31 is a quarter-end itself
    assert [bar.name for bar in trend.data] == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    with pytest.raises(ValueError):
        abc_xyz_heatmap(overview.cells, "margin")
