"""The loyalty ladder, moving up and the migration matrix on tables small enough to check on paper.

Every table is loaded through ``retention.ingest.load_file`` (the real path: order grouping,
returns, customer attributes). The as-of date is 2025-12-31 unless a test says otherwise, so the
365-day window (D − 365, D] is exactly the calendar year 2025: 2024-12-31 is out, 2025-12-31
(any time of day) is in.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics.ladder import (
    LadderThresholds,
    comeback_by_cohort,
    comeback_table,
    customer_steps,
    default_migration_start,
    ladder_counts,
    ladder_inputs,
    ladder_transitions,
    migration_customers,
    migration_directions,
    migration_matrix,
    migration_table,
    second_order_gaps,
    second_order_timing,
)
from retention.summary import dataset_summary
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2025, 12, 31)


def load(tmp_path, rows: str, name: str = "ladder"):
    """(workspace, dataset id) of ``rows`` (CSV text) loaded as a new dataset."""
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, f"{name}.csv", rows), dataset=name)
    return ws, report.dataset_id


def counts_by_step(frame: pd.DataFrame, column: str) -> dict[str, object]:
    """{step: value} with pandas NA as None, so expectations read as plain Python."""
    return {row.step: (None if pd.isna(getattr(row, column)) else getattr(row, column))
            for row in frame.itertuples()}


def orders(customer: str, dates: list[str], prefix: str | None = None) -> str:
    """One single-line order of 10.00 per date, order ids <prefix>1, <prefix>2, …"""
    prefix = prefix or customer
    return "".join(f"{customer},{d},10.00,{prefix}-{i}\n" for i, d in enumerate(dates, 1))


# -- steps 1–3: orders, returns, the window's ends ---------------------------------------------

# r3:     4 orders, but 2024-12-31 12:00 is D − 365 (outside) → 3 in the window → repeat.
# r4:     4 orders from 2025-01-01 00:00 (first day in) to 2025-12-31 23:30 (D, in) → regular.
# rlate:  3 orders up to D, a 4th on 2026-01-01 (after D, ignored) → repeat, 3 orders.
# rlines: order L1 has three lines, L2 and L3 one each, plus a return line: 3 orders (not 5
#         lines, not 4 with the return) → repeat, not regular.
# b1:     one order → one-time buyer.   b2: one order and a return → one-time buyer.
# x1:     a return only → not a customer.
# Buyers 6; repeat 4 (r3, r4, rlate, rlines); regular 1 (r4); loyal 0 (r4 ordered in 4 months,
# fewer than 9); advocate unknown (no referred_by, no nps column).
WINDOW_ROWS = (
    "customer_id,date,amount,order_id\n"
    + orders("r3", ["2024-12-31 12:00", "2025-03-01", "2025-06-01", "2025-12-31 23:00"])
    + orders("r4", ["2025-01-01 00:00", "2025-03-01", "2025-06-01", "2025-12-31 23:30"])
    + orders("rlate", ["2025-02-01", "2025-04-01", "2025-06-01", "2026-01-01 09:00"])
    + "rlines,2025-02-01,30.00,L1\n"
    "rlines,2025-02-01,20.00,L1\n"
    "rlines,2025-02-01,5.00,L1\n"
    "rlines,2025-05-01,40.00,L2\n"
    "rlines,2025-05-03,-40.00,L2R\n"
    "rlines,2025-09-01,15.00,L3\n"
    "b1,2025-07-07,25.00,B1\n"
    "b2,2025-08-08,25.00,B2\n"
    "b2,2025-08-10,-25.00,B2R\n"
    "x1,2025-05-05,-12.00,X1R\n"
)


@pytest.fixture
def window_data(tmp_path):
    return load(tmp_path, WINDOW_ROWS, "window")


def test_orders_in_the_window_decide_regular_at_both_ends(window_data):
    ws, ds = window_data
    steps = customer_steps(ws.cursor(), ds, as_of=D).set_index("customer_id")

    assert list(steps.index) == ["b1", "b2", "r3", "r4", "rlate", "rlines"]
    assert steps.loc["r3", ["orders", "orders_in_window"]].tolist() == [4, 3]
    assert steps.loc["r4", ["orders", "orders_in_window"]].tolist() == [4, 4]
    assert steps.loc["rlate", ["orders", "orders_in_window"]].tolist() == [3, 3]
    assert steps.loc["rlines", ["orders", "orders_in_window"]].tolist() == [3, 3]
    assert steps["step"].to_dict() == {
        "b1": "buyer", "b2": "buyer", "r3": "repeat", "r4": "regular", "rlate": "repeat",
        "rlines": "repeat"}
    assert steps["is_advocate"].isna().all()


def test_ladder_counts_with_unknown_advocates(window_data):
    ws, ds = window_data
    counts = ladder_counts(ws.cursor(), ds, as_of=D)

    assert counts["step"].tolist() == ["buyer", "repeat", "regular", "loyal", "advocate"]
    assert counts_by_step(counts, "customers") == {
        "buyer": 6, "repeat": 4, "regular": 1, "loyal": 0, "advocate": None}
    # exactly on a step: 6 − 4, 4 − 1, 1 − 0; loyal-but-not-advocate is unknown too
    assert counts_by_step(counts, "on_step") == {
        "buyer": 2, "repeat": 3, "regular": 1, "loyal": None, "advocate": None}
    assert counts_by_step(counts, "share_of_buyers") == pytest.approx(
        {"buyer": 1.0, "repeat": 4 / 6, "regular": 1 / 6, "loyal": 0.0, "advocate": None})
    assert counts_by_step(counts, "conversion") == pytest.approx(
        {"buyer": None, "repeat": 4 / 6, "regular": 1 / 4, "loyal": 0.0, "advocate": None})
    assert str(counts["customers"].dtype) == "Int64"
    assert str(counts["share_of_buyers"].dtype) == "Float64"


def test_a_day_later_the_first_day_of_the_window_drops_out(window_data):
    # On 2026-01-01 the window is 2025-01-02 … 2026-01-01: r4 loses 2025-01-01 (3 left),
    # rlate gains its 2026-01-01 order (4 in the window) — regular swaps from r4 to rlate.
    ws, ds = window_data
    steps = customer_steps(ws.cursor(), ds, as_of=dt.date(2026, 1, 1)).set_index("customer_id")
    assert steps.loc["r4", "step"] == "repeat"
    assert steps.loc["rlate", "step"] == "regular"


def test_three_orders_on_the_threshold_setting_make_a_regular(window_data):
    ws, ds = window_data
    counts = ladder_counts(ws.cursor(), ds, as_of=D,
                           thresholds=LadderThresholds(regular_orders=3))
    # r3, r4, rlate and rlines all have at least 3 orders in the window
    assert counts_by_step(counts, "customers")["regular"] == 4


# -- step 4: loyal by months or by share of wallet ---------------------------------------------

MONTHS_2025 = [f"2025-{m:02d}-15" for m in range(1, 13)]

# m8:    8 months in the window (Jan–Aug) + Dec 2024 (outside): 8 → regular, not loyal.
# m9:    9 months (Jan–Sep) → loyal by the regularity proxy.
# m9x:   9 orders but two in March: 8 distinct months → not loyal.
# s79:   share of wallet 0.79, 4 orders in 4 months → regular, not loyal (survey decides).
# s80:   share of wallet 0.80, 4 orders in 4 months → loyal by share of wallet, although
#        the proxy would say no.
# s95:   share 0.95 but only 3 orders → repeat: loyal needs regular first.
# Buyers 6, repeat 6, regular 5, loyal 2 (m9 by regularity, s80 by share of wallet).
LOYAL_ROWS = (
    "customer_id,date,amount,order_id,share_of_wallet\n"
    + orders("m8", ["2024-12-15", *MONTHS_2025[:8]]).replace("\n", ",\n")
    + orders("m9", MONTHS_2025[:9]).replace("\n", ",\n")
    + orders("m9x", ["2025-01-15", "2025-02-15", "2025-03-01", "2025-03-20",
                     *MONTHS_2025[3:8]]).replace("\n", ",\n")
    + orders("s79", MONTHS_2025[:4]).replace("\n", ",0.79\n")
    + orders("s80", MONTHS_2025[:4]).replace("\n", ",0.80\n")
    + orders("s95", MONTHS_2025[:3]).replace("\n", ",0.95\n")
)


def test_loyal_needs_nine_distinct_months_or_a_share_of_wallet_of_080(tmp_path):
    ws, ds = load(tmp_path, LOYAL_ROWS, "loyal")
    steps = customer_steps(ws.cursor(), ds, as_of=D).set_index("customer_id")

    assert steps["months_in_window"].to_dict() == {
        "m8": 8, "m9": 9, "m9x": 8, "s79": 4, "s80": 4, "s95": 3}
    assert steps["step"].to_dict() == {
        "m8": "regular", "m9": "loyal", "m9x": "regular", "s79": "regular", "s80": "loyal",
        "s95": "repeat"}
    assert steps.loc["s80", "loyal_basis"] == "share_of_wallet"
    assert steps.loc["m9", "loyal_basis"] == "regularity"

    counts = ladder_counts(ws.cursor(), ds, as_of=D)
    loyal = counts.set_index("step").loc["loyal"]
    assert (loyal["customers"], loyal["loyal_by_share_of_wallet"],
            loyal["loyal_by_regularity"]) == (2, 1, 1)
    assert counts_by_step(counts, "customers") == {
        "buyer": 6, "repeat": 6, "regular": 5, "loyal": 2, "advocate": None}
    inputs = ladder_inputs(ws.cursor(), ds).iloc[0]
    assert (inputs["share_of_wallet_customers"], inputs["advocacy_known"]) == (3, False)


# -- step 5: advocates by NPS or referral ------------------------------------------------------

# Everyone but f1/f2 orders in the 9 months Jan–Sep 2025 (loyal by the proxy) unless noted.
# n8: NPS 8 → loyal.   n9: NPS 9 → advocate.
# ref: no NPS, referred f1, who ordered by D → advocate.
# refx: no NPS, referred f2, whose only order is after D → loyal (f2 is not a customer yet).
# reg10: NPS 10 but 4 orders (regular only) → regular: advocate needs loyal first.
# f1: one order, referred_by ref → one-time buyer.   f2: ordered 2026-01-05 only.
# Buyers 6 (n8, n9, ref, refx, reg10, f1); repeat 5; regular 5; loyal 4; advocate 2 (n9, ref).
ADVOCATE_ROWS = (
    "customer_id,date,amount,order_id,nps,referred_by\n"
    + orders("n8", MONTHS_2025[:9]).replace("\n", ",8,\n")
    + orders("n9", MONTHS_2025[:9]).replace("\n", ",9,\n")
    + orders("ref", MONTHS_2025[:9]).replace("\n", ",,\n")
    + orders("refx", MONTHS_2025[:9]).replace("\n", ",,\n")
    + orders("reg10", MONTHS_2025[:4]).replace("\n", ",10,\n")
    + "f1,2025-11-11,10.00,F1,,ref\n"
    "f2,2026-01-05,10.00,F2,,refx\n"
)


def test_advocates_by_nps_nine_or_a_referred_customer_who_ordered(tmp_path):
    ws, ds = load(tmp_path, ADVOCATE_ROWS, "advocates")
    steps = customer_steps(ws.cursor(), ds, as_of=D).set_index("customer_id")

    assert steps["step"].to_dict() == {
        "f1": "buyer", "n8": "loyal", "n9": "advocate", "ref": "advocate", "refx": "loyal",
        "reg10": "regular"}
    assert steps.loc["ref", "referrals"] == 1
    assert steps.loc["refx", "referrals"] == 0
    counts = ladder_counts(ws.cursor(), ds, as_of=D)
    assert counts_by_step(counts, "customers") == {
        "buyer": 6, "repeat": 5, "regular": 5, "loyal": 4, "advocate": 2}
    assert counts_by_step(counts, "on_step") == {
        "buyer": 1, "repeat": 0, "regular": 1, "loyal": 2, "advocate": 2}
    assert counts_by_step(counts, "conversion")["advocate"] == pytest.approx(2 / 4)
    # after f2's order on 2026-01-05, refx has referred a customer: a third advocate
    later = ladder_counts(ws.cursor(), ds, as_of=dt.date(2026, 1, 5))
    assert counts_by_step(later, "customers")["advocate"] == 3


@pytest.mark.parametrize(
    ("header", "values", "advocates"),
    [
        # referred_by only: ref referred f1 → 1 advocate; nobody else can qualify
        ("referred_by", {"ref": "", "n9": "", "f1": "ref"}, 1),
        # nps only: n9 answered 9 → 1 advocate; ref's referral is not in the data
        ("nps", {"ref": "", "n9": "9", "f1": ""}, 1),
        # neither column has a value: unknown, not 0
        ("nps", {"ref": "", "n9": "", "f1": ""}, None),
    ],
)
def test_advocates_are_unknown_only_without_referral_and_nps_data(
        tmp_path, header, values, advocates):
    rows = f"customer_id,date,amount,order_id,{header}\n"
    for customer in ("ref", "n9"):
        rows += orders(customer, MONTHS_2025[:9]).replace("\n", f",{values[customer]}\n")
    rows += f"f1,2025-11-11,10.00,F1,{values['f1']}\n"
    ws, ds = load(tmp_path, rows, "one_column")
    counts = ladder_counts(ws.cursor(), ds, as_of=D)
    assert counts_by_step(counts, "customers")["loyal"] == 2
    assert counts_by_step(counts, "customers")["advocate"] == advocates
    assert bool(ladder_inputs(ws.cursor(), ds).iloc[0]["advocacy_known"]) == (
        advocates is not None)


def test_an_empty_ladder_has_zero_buyers_and_no_shares(tmp_path):
    ws, ds = load(tmp_path, "customer_id,date,amount\nx,2025-01-01,-5\ny,2026-02-01,5\n", "e")
    counts = ladder_counts(ws.cursor(), ds, as_of=D)
    assert counts_by_step(counts, "customers") == {
        "buyer": 0, "repeat": 0, "regular": 0, "loyal": 0, "advocate": None}
    assert counts["share_of_buyers"].isna().all()


# -- settings ------------------------------------------------------------------------------------


def test_saved_settings_are_read_back_and_bad_values_fall_back_to_defaults(tmp_path):
    ws, ds = load(tmp_path, WINDOW_ROWS, "window")
    assert LadderThresholds.from_settings(ws.settings(ds, "ladder")) == LadderThresholds()
    ws.save_settings(ds, "ladder", {"regular_orders": 3, "loyal_months": "nine",
                                    "advocate_nps": 11, "repeat_orders": 2.5, "other": 1,
                                    "loyal_share_of_wallet": 0.75})
    # "nine" is text, 11 is no NPS, 2.5 orders is no count, "other" is no setting
    assert LadderThresholds.from_settings(ws.settings(ds, "ladder")) == LadderThresholds(
        regular_orders=3, loyal_share_of_wallet=0.75)


def test_thresholds_reject_settings_that_make_no_sense():
    with pytest.raises(ValueError, match="at least 2 orders"):
        LadderThresholds(repeat_orders=1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        LadderThresholds(loyal_share_of_wallet=1.5)
    with pytest.raises(ValueError, match="1 to 1825 days"):
        LadderThresholds(regular_window_days=4000)


# -- moving up -----------------------------------------------------------------------------------

# As of 2025-06-30.
# January cohort (last day Jan 31): a1 back after 30 days (Jan 10 → Feb 9), a2 after 59 days
# (Jan 31 → Mar 31), a3 never (a return on Jan 25 is not an order), a4 twice on Jan 5 (two
# orders, 0 days). Within 30: a1, a4 = 2/4; within 60 and 90: 3/4. 180 days: Jan 31 + 180 =
# Jul 30, after D → unknown.
# May cohort: b1 back after 21 days. May 31 + 30 = Jun 30 = D → within 30 is known: 1/1;
# within 60 is not (Jul 30).
# June cohort: j1, whose second order is after D; Jun 30 + 30 is after D → all unknown.
# (Order ids such as C1-1 would be cancellations: a C and a digit.)
# Days to the second order: a4 0, b1 21, a1 30, a2 59 → median (21 + 30) / 2 = 25.5.
COMEBACK_ROWS = (
    "customer_id,date,amount,order_id\n"
    "a1,2025-01-10,10,A1-1\n"
    "a1,2025-02-09,10,A1-2\n"
    "a2,2025-01-31,10,A2-1\n"
    "a2,2025-03-31,10,A2-2\n"
    "a3,2025-01-20,10,A3-1\n"
    "a3,2025-01-25,-10,A3-R\n"
    "a4,2025-01-05 10:00,10,A4-1\n"
    "a4,2025-01-05 17:00,10,A4-2\n"
    "b1,2025-05-20,10,B1-1\n"
    "b1,2025-06-10,10,B1-2\n"
    "j1,2025-06-01,10,J1-1\n"
    "j1,2025-07-01,10,J1-2\n"
)
COMEBACK_D = dt.date(2025, 6, 30)


def test_median_days_from_first_to_second_order(tmp_path):
    ws, ds = load(tmp_path, COMEBACK_ROWS, "comeback")
    timing = second_order_timing(ws.cursor(), ds, as_of=COMEBACK_D).iloc[0]
    assert (timing["buyers"], timing["repeat_customers"]) == (6, 4)
    assert timing["median_days"] == 25.5


def test_the_gap_histogram_behind_both_moving_up_numbers(tmp_path):
    ws, ds = load(tmp_path, COMEBACK_ROWS, "comeback")
    con = ws.cursor()
    gaps = second_order_gaps(con, ds, as_of=COMEBACK_D)
    rows = [(r.cohort_month.strftime("%Y-%m"), None if pd.isna(r.days_to_second)
             else int(r.days_to_second), r.customers) for r in gaps.itertuples()]
    assert rows == [("2025-01", 0, 1), ("2025-01", 30, 1), ("2025-01", 59, 1),
                    ("2025-01", None, 1), ("2025-05", 21, 1), ("2025-06", None, 1)]
    # handing the histogram over gives the same answers without reading the orders again
    assert second_order_timing(con, ds, as_of=COMEBACK_D, gaps=gaps).equals(
        second_order_timing(con, ds, as_of=COMEBACK_D))
    # an odd number of repeaters: as of 2025-05-31 b1 has not come back yet → 0, 30, 59
    timing = second_order_timing(con, ds, as_of=dt.date(2025, 5, 31)).iloc[0]
    assert (timing["repeat_customers"], timing["median_days"]) == (3, 30.0)


def test_comeback_shares_are_unknown_for_cohorts_too_young(tmp_path):
    ws, ds = load(tmp_path, COMEBACK_ROWS, "comeback")
    comeback = comeback_by_cohort(ws.cursor(), ds, as_of=COMEBACK_D)
    table = comeback_table(comeback).set_index("cohort_month")

    assert list(table.index) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-05-01"),
                                 pd.Timestamp("2025-06-01")]
    assert table["new_customers"].tolist() == [4, 1, 1]
    as_lists = {column: [None if pd.isna(v) else v for v in table[column]]
                for column in table.columns if column.startswith("share")}
    assert as_lists == {
        "share_within_30_days": [0.5, 1.0, None],
        "share_within_60_days": [0.75, None, None],
        "share_within_90_days": [0.75, None, None],
        "share_within_180_days": [None, None, None],
    }
    january_30 = comeback[(comeback["cohort_month"] == pd.Timestamp("2025-01-01"))
                          & (comeback["days"] == 30)].iloc[0]
    assert (january_30["came_back"], bool(january_30["observable"])) == (2, True)


# -- who moved -----------------------------------------------------------------------------------

# From 2025-11-30 (the default: D one month earlier) to 2025-12-31.
# new1: first order Dec 5 → new → one-time buyer.   new2: two orders in December → new → repeat.
# up1: June order (buyer), another on Dec 20 → buyer → repeat (up).
# same1: one order in January → buyer → buyer.
# down1: 2024-12-01, 2025-02-01, 05-01, 08-01: 4 in (2024-11-30, 2025-11-30] → regular; on D
#        2024-12-01 has left the window → 3 → repeat (down).
# up2: 3 orders in 2025 by November, a 4th on Dec 1 → repeat → regular (up).
MOVER_ROWS = (
    "customer_id,date,amount,order_id\n"
    + orders("new1", ["2025-12-05"])
    + orders("new2", ["2025-12-02", "2025-12-22"])
    + orders("up1", ["2025-06-01", "2025-12-20"])
    + orders("same1", ["2025-01-10"])
    + orders("down1", ["2024-12-01", "2025-02-01", "2025-05-01", "2025-08-01"])
    + orders("up2", ["2025-03-01", "2025-06-01", "2025-09-01", "2025-12-01"])
)
START = dt.date(2025, 11, 30)


def test_migration_matrix_counts_each_move(tmp_path):
    ws, ds = load(tmp_path, MOVER_ROWS, "movers")
    matrix = migration_matrix(ws.cursor(), ds, start=START, end=D)

    # advocacy unknown: 5 start rows (new … loyal) × 4 end columns (buyer … loyal)
    assert len(matrix) == 20
    moved = {(r.from_step, r.to_step): r.customers for r in matrix.itertuples() if r.customers}
    assert moved == {("new", "buyer"): 1, ("new", "repeat"): 1, ("buyer", "buyer"): 1,
                     ("buyer", "repeat"): 1, ("repeat", "regular"): 1,
                     ("regular", "repeat"): 1}
    assert migration_directions(matrix) == {"new": 2, "up": 2, "same": 1, "down": 1}
    grid = migration_table(matrix)
    assert list(grid.index) == ["new", "buyer", "repeat", "regular", "loyal"]
    assert list(grid.columns) == ["buyer", "repeat", "regular", "loyal"]
    assert grid.loc["regular", "repeat"] == 1
    assert int(grid.to_numpy().sum()) == 6


def test_the_ladder_and_the_matrix_can_share_one_pass_over_the_orders(tmp_path):
    ws, ds = load(tmp_path, ADVOCATE_ROWS, "advocates")
    con = ws.cursor()
    start = dt.date(2025, 11, 10)
    transitions = ladder_transitions(con, ds, start=start, end=D)
    # on 2025-11-10 f1 had not ordered yet (new → buyer; f1 ordered on 11-11) and so ref was
    # loyal, not yet an advocate; everyone else kept their step. All loyalty is by regularity.
    moved = {(r.from_step, r.to_step, r.to_loyal_basis if isinstance(r.to_loyal_basis, str)
              else None): r.customers for r in transitions.itertuples()}
    assert moved == {("new", "buyer", None): 1, ("regular", "regular", "regularity"): 1,
                     ("loyal", "loyal", "regularity"): 2,
                     ("loyal", "advocate", "regularity"): 1,
                     ("advocate", "advocate", "regularity"): 1}
    assert transitions["advocacy_known"].all()
    counted = ladder_counts(con, ds, as_of=D, transitions=transitions)
    assert counted.equals(ladder_counts(con, ds, as_of=D))
    assert migration_matrix(con, ds, start=start, end=D, transitions=transitions).equals(
        migration_matrix(con, ds, start=start, end=D))


def test_a_transitions_table_for_another_day_or_other_settings_is_refused(tmp_path):
    ws, ds = load(tmp_path, ADVOCATE_ROWS, "advocates")
    con = ws.cursor()
    start, earlier = dt.date(2025, 11, 10), dt.date(2025, 11, 30)
    stricter = LadderThresholds(regular_orders=5)
    transitions = ladder_transitions(con, ds, start=start, end=D)

    with pytest.raises(ValueError, match=r"computed for .*end 2025-12-31.* asks for .*"
                                         r"end 2025-11-30.* \(end differ\)"):
        ladder_counts(con, ds, as_of=earlier, transitions=transitions)
    with pytest.raises(ValueError, match=r"\(thresholds differ\)"):
        ladder_counts(con, ds, as_of=D, thresholds=stricter, transitions=transitions)
    with pytest.raises(ValueError, match=r"\(start differ\)"):
        migration_matrix(con, ds, start=earlier, end=D, transitions=transitions)
    with pytest.raises(ValueError, match="does not say which dates"):
        ladder_counts(con, ds, as_of=D, transitions=pd.DataFrame(transitions.to_dict()))
    # the start date does not change the end date's ladder, so the counts accept any start
    assert ladder_counts(con, ds, as_of=D, thresholds=stricter, transitions=ladder_transitions(
        con, ds, start=earlier, end=D, thresholds=stricter)).equals(
        ladder_counts(con, ds, as_of=D, thresholds=stricter))


def test_migration_customers_lists_one_cell_and_one_direction(tmp_path):
    ws, ds = load(tmp_path, MOVER_ROWS, "movers")
    con = ws.cursor()

    down = migration_customers(con, ds, start=START, end=D, direction="down")
    assert down[["customer_id", "from_step", "to_step", "orders_at_start", "orders_at_end",
                 "orders_in_window"]].values.tolist() == [["down1", "regular", "repeat", 4, 4, 3]]
    up = migration_customers(con, ds, start=START, end=D, direction="up")
    # highest end step first
    assert up["customer_id"].tolist() == ["up2", "up1"]
    cell = migration_customers(con, ds, start=START, end=D, from_step="new", to_step="repeat")
    assert cell["customer_id"].tolist() == ["new2"]
    assert len(migration_customers(con, ds, start=START, end=D, limit=2)) == 2
    with pytest.raises(ValueError, match="on or before"):
        migration_matrix(con, ds, start=D, end=START)


def test_the_same_start_and_end_date_puts_everyone_on_the_diagonal(tmp_path):
    ws, ds = load(tmp_path, MOVER_ROWS, "movers")
    matrix = migration_matrix(ws.cursor(), ds, start=D, end=D)
    assert migration_directions(matrix) == {"new": 0, "up": 0, "same": 6, "down": 0}


@pytest.mark.parametrize(("end", "start"), [
    (dt.date(2026, 3, 31), dt.date(2026, 2, 28)),
    (dt.date(2024, 3, 31), dt.date(2024, 2, 29)),
    (dt.date(2026, 1, 15), dt.date(2025, 12, 15)),
    (dt.date(2025, 12, 31), dt.date(2025, 11, 30)),
])
def test_default_migration_start_is_one_calendar_month_earlier(end, start):
    assert default_migration_start(end) == start


# -- the summary command's keys --------------------------------------------------------------------


def test_summary_has_the_ladder_and_the_pareto_share(tmp_path):
    ws, ds = load(tmp_path, ADVOCATE_ROWS, "advocates")
    summary = dataset_summary(ws.cursor(), ws.dataset(ds), as_of=D)
    assert summary["ladder"] == {
        "buyer": 6, "repeat": 5, "regular": 5, "loyal": 4, "advocate": 2}
    # net revenue: four loyal customers × 9 × 10 + reg10 4 × 10 + f1 10 = 410; 6 customers →
    # top ⌈1.2⌉ = 2, two of the 90s: 180 / 410
    assert summary["pareto_top20_share"] == pytest.approx(180 / 410, abs=1e-6)
    json.dumps(summary, default=str)


def test_summary_ladder_uses_design_thresholds_and_null_for_unknown(tmp_path):
    ws, ds = load(tmp_path, WINDOW_ROWS, "window")
    # the page's saved setting would make 4 regulars; a script's numbers stay DESIGN's
    ws.save_settings(ds, "ladder", {"regular_orders": 3})
    summary = dataset_summary(ws.cursor(), ws.dataset(ds), as_of=D)
    assert summary["ladder"] == {
        "buyer": 6, "repeat": 4, "regular": 1, "loyal": 0, "advocate": None}
    # net: r3, r4 40 each; rlate 30 (its 2026 order is after D); rlines 55 + 40 − 40 + 15 = 70;
    # b1 25; b2 25 − 25 = 0; x1 −12 → 193. Top ⌈0.2 · 6⌉ = 2: rlines 70 + r3 40 = 110
    assert summary["pareto_top20_share"] == pytest.approx(110 / 193, abs=1e-6)


# -- charts --------------------------------------------------------------------------------------


def test_the_funnel_leaves_unknown_advocates_out_and_says_so(window_data):
    from retention.charts.ladder import ladder_funnel

    ws, ds = window_data
    figure = ladder_funnel(ladder_counts(ws.cursor(), ds, as_of=D))
    [funnel] = figure.data
    assert list(funnel.y) == ["One-time buyer", "Repeat client", "Regular", "Loyal"]
    assert list(funnel.x) == [6, 4, 1, 0]
    # count · share of buyers · conversion from the step above (4 of 6, then 1 of 4)
    assert funnel.text[2] == "1 · 16.7% of buyers · 25.0% of the step above"
    assert figure.layout.annotations[0].text == "Not shown, unknown: Advocate"


def test_the_comeback_chart_leaves_young_months_as_gaps(tmp_path):
    from retention.charts.ladder import comeback_chart

    ws, ds = load(tmp_path, COMEBACK_ROWS, "comeback")
    figure = comeback_chart(comeback_by_cohort(ws.cursor(), ds, as_of=COMEBACK_D))
    lines = {trace.name: list(trace.y) for trace in figure.data}
    assert lines["within 30 days"] == [50.0, 100.0, None]
    assert lines["within 180 days"] == [None, None, None]
    assert figure.layout.yaxis.title.text.startswith("Ordered again")


def test_the_migration_heatmap_shows_every_move(tmp_path):
    from retention.charts.ladder import migration_heatmap

    ws, ds = load(tmp_path, MOVER_ROWS, "movers")
    [heatmap] = migration_heatmap(migration_matrix(ws.cursor(), ds, start=START, end=D)).data
    assert list(heatmap.y) == ["New since the start date", "One-time buyer", "Repeat client",
                               "Regular", "Loyal"]
    assert [list(row) for row in heatmap.z] == [
        [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


def test_customer_steps_can_return_only_chosen_customers(tmp_path):
    # the filter only narrows what is returned: steps are the same as in the full table
    from retention.ingest import load_file
    from retention.metrics.ladder import customer_steps
    from tests.ingest_helpers import fresh_workspace, write

    ws = fresh_workspace(tmp_path)
    text = ("customer,date,amount\na,2024-01-01,1\na,2024-02-01,1\nb,2024-03-01,1\n"
            "c,2024-03-02,1\n")
    ds = load_file(ws, write(tmp_path, "f.csv", text), dataset="f").dataset_id
    full = customer_steps(ws.cursor(), ds, as_of=dt.date(2024, 3, 31))
    chosen = customer_steps(ws.cursor(), ds, as_of=dt.date(2024, 3, 31),
                            customer_ids=["c", "a", "zz"])
    assert chosen[["customer_id", "step"]].values.tolist() == [["a", "repeat"], ["c", "buyer"]]
    assert full["customer_id"].tolist() == ["a", "b", "c"]
