"""The segment builder and every playbook audience on a hand-made shop, boundaries included.

The shop as of D = 2025-06-30 (12 buyers, so the top 20% by net revenue is ⌈2.4⌉ = 3):

* W: 500 on 2024-07-05, 2024-08-04, 2024-09-03 (gaps 30, 30; last order 300 days before D):
  1,500, repeat client, ABC/XYZ AZ (3 months of 12).
* V: 110 on the 15th of every month 2024-08 … 2025-06 (11 orders, 1,210), NPS 9: advocate, AX.
* L: 100 on the 20th of the same months (1,100): loyal, not an advocate, AX.
* G: 50 on the 10th of 2024-01 … 2024-04: regular on 2024-06-30, repeat on D (dropped a step).
* N20, N60, N19, N61: one order of 30, 20 / 60 / 19 / 61 days before D.
* B1, B14, B15, BD: one order of 20 on 2025-01-15; born 07-01, 07-14, 07-15 and 06-30.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from audience_helpers import make_dataset

from retention.audiences.base import base_choices, customer_base
from retention.audiences.playbook import PLAYBOOK, PlaybookSettings
from retention.audiences.segment import (
    Segment,
    segment_count,
    segment_members,
    segment_summary,
)
from retention.metrics.ladder import LadderThresholds

D = dt.date(2025, 6, 30)
MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(8, 13)] +
          [(2025, m) for m in range(1, 7)]]
ORDERS = [
    ("W", "2024-07-05", 500.0), ("W", "2024-08-04", 500.0), ("W", "2024-09-03", 500.0),
    *[("V", f"{month}-15", 110.0) for month in MONTHS],
    *[("L", f"{month}-20", 100.0) for month in MONTHS],
    *[("G", f"2024-{m:02d}-10", 50.0) for m in range(1, 5)],
    ("N20", "2025-06-10", 30.0), ("N60", "2025-05-01", 30.0),
    ("N19", "2025-06-11", 30.0), ("N61", "2025-04-30", 30.0),
    *[(name, "2025-01-15", 20.0) for name in ("B1", "B14", "B15", "BD")],
]
CUSTOMERS = {
    "W": {"email": "w@example.org", "email_opt_in": True, "city": "Yerevan"},
    "V": {"email": "v@example.org", "email_opt_in": False, "nps": 9, "city": "Tbilisi"},
    "L": {"email": "l@example.org", "city": "Yerevan"},
    "B1": {"birth_date": dt.date(1990, 7, 1)},
    "B14": {"birth_date": dt.date(1985, 7, 14)},
    "B15": {"birth_date": dt.date(1985, 7, 15)},
    "BD": {"birth_date": dt.date(1980, 6, 30)},
}


@pytest.fixture
def shop(workspace):
    dataset_id = make_dataset(workspace, ORDERS, CUSTOMERS,
                              channel={"W": "app", "V": "store", "L": "store"},
                              category={"W": "Shoes", "V": "Bags", "L": "Shoes"})
    return workspace.cursor(), dataset_id


def members(con, dataset_id, segment, *, scores=None, ladder=None, playbook=None):
    ladder = ladder or LadderThresholds()
    playbook = playbook or PlaybookSettings()
    base = customer_base(con, dataset_id, as_of=D, ladder=ladder,
                         top_share=playbook.win_back_top_share, scores=scores)
    return segment_members(con, dataset_id, base, segment, ladder=ladder, playbook=playbook)


def ids(frame):
    return frame["customer_id"].tolist()


def scores(p_alive, clv=None):
    """A model's scores, made by hand: P(alive) per customer (0.9 for the others)."""
    everyone = sorted({c for c, _, _ in ORDERS})
    clv = clv or {}
    return pd.DataFrame({
        "customer_id": everyone,
        "risk_group": ["active"] * len(everyone),
        "p_alive": [p_alive.get(c, 0.9) for c in everyone],
        "predicted_clv": [clv.get(c) for c in everyone],
    })


def test_the_base_has_each_buyer_with_the_metrics_own_numbers(shop):
    con, dataset_id = shop
    base = customer_base(con, dataset_id, as_of=D).set_index("customer_id")
    assert len(base) == 12
    assert base.loc["W", ["step", "cell", "orders", "net_revenue", "recency_days",
                          "median_gap_days"]].tolist() == ["repeat", "AZ", 3, 1500.0, 300, 30.0]
    assert base.loc[["V", "L", "G"], "step"].tolist() == ["advocate", "loyal", "repeat"]
    assert base.loc[["V", "L"], "cell"].tolist() == ["AX", "AX"]
    assert pd.isna(base.loc["G", "cell"])  # nothing in the 12 months: not classified
    assert base["top_revenue"].sum() == 3
    assert base.loc[["W", "V", "L"], "top_revenue"].all()
    assert base.loc[["W", "L"], "channel"].tolist() == ["app", "store"]
    assert base.loc["L", "top_category"] == "Shoes"


def test_win_back_without_a_model_uses_twice_the_median_gap(shop):
    con, dataset_id = shop
    # G's last order is 446 days ago, far over twice its 30-day gap, but G is not in the top 20%
    found = members(con, dataset_id, Segment(playbook="win-back"))
    assert ids(found) == ["W"]
    assert found["reason"].tolist() == [
        "top 20% by revenue to date; last order 300 days ago, over 2× their median gap of "
        "30 days"]


def test_win_back_gap_boundary_is_strict(shop):
    con, dataset_id = shop
    # 300 days since W's last order, median gap 30: a multiple of 10 makes it exactly equal
    assert ids(members(con, dataset_id, Segment(playbook="win-back"),
                       playbook=PlaybookSettings(win_back_gap_multiple=10))) == []
    assert ids(members(con, dataset_id, Segment(playbook="win-back"),
                       playbook=PlaybookSettings(win_back_gap_multiple=9.99))) == ["W"]


def test_win_back_with_a_model_takes_p_alive_under_the_threshold(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(playbook="win-back"),
                    scores=scores({"W": 0.1, "V": 0.29, "L": 0.3, "G": 0.01}))
    # L at exactly 0.3 is not under it; G is slipping but not among the top revenue
    assert ids(found) == ["V", "W"]
    assert found["reason"].tolist() == [
        "top 20% by revenue to date; P(alive) 0.29 is under 0.3",
        "top 20% by revenue to date; P(alive) 0.10 is under 0.3"]


def test_second_purchase_takes_one_order_20_to_60_days_ago_both_ends_included(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(playbook="second-purchase"))
    assert ids(found) == ["N20", "N60"]
    assert found["reason"].tolist() == ["one order so far, 20 days ago",
                                        "one order so far, 60 days ago"]


def test_vip_is_ax_or_loyal_and_up(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(playbook="vip"))
    assert ids(found) == ["L", "V"]
    assert found["reason"].tolist() == ["ABC/XYZ cell AX", "ABC/XYZ cell AX"]
    # with 12 months needed for "loyal" nobody is loyal: AX alone still makes them VIP
    strict = LadderThresholds(loyal_months=12)
    assert ids(members(con, dataset_id, Segment(playbook="vip"), ladder=strict)) == ["L", "V"]
    # and without AX among the VIP cells, the loyal step alone does
    by_step = members(con, dataset_id, Segment(playbook="vip"),
                      playbook=PlaybookSettings(vip_cells=("AZ",)))
    assert ids(by_step) == ["L", "V", "W"]
    assert by_step["reason"].tolist() == ["ladder step loyal", "ladder step advocate",
                                          "ABC/XYZ cell AZ"]


def test_birthday_takes_the_next_14_days_after_d_excluding_d(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(playbook="birthday"))
    assert ids(found) == ["B1", "B14"]
    assert found["reason"].tolist() == ["birthday tomorrow", "birthday in 14 days"]
    base = customer_base(con, dataset_id, as_of=D).set_index("customer_id")
    assert base.loc[["B15", "BD"], "days_to_birthday"].tolist() == [15, 365]


@pytest.mark.parametrize(("as_of", "days"), [
    (dt.date(2025, 2, 20), 8),    # 2025 has no 29 February: the 28th
    (dt.date(2025, 2, 28), 365),  # on D itself: next year's 28 February
    (dt.date(2027, 2, 27), 1),
    (dt.date(2028, 2, 20), 9),    # a leap year: the 29th
    (dt.date(2027, 12, 31), 60),  # over the new year into a leap year: 31 + 29
])
def test_a_29_february_birthday_counts_on_28_february_in_other_years(workspace, as_of, days):
    dataset_id = make_dataset(workspace, [("F", "2020-01-10", 10.0)],
                              {"F": {"birth_date": dt.date(1992, 2, 29)}})
    con = workspace.cursor()
    base = customer_base(con, dataset_id, as_of=as_of)
    assert base["days_to_birthday"].tolist() == [days]
    found = segment_members(con, dataset_id, base, Segment(playbook="birthday"))
    assert ids(found) == (["F"] if days <= 14 else [])


def test_referral_ask_is_loyal_but_not_advocate(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(playbook="referral-ask"))
    assert ids(found) == ["L"]
    assert found["reason"].tolist() == ["loyal, not yet an advocate"]


def test_movers_are_customers_who_dropped_a_step_between_two_dates(shop):
    con, dataset_id = shop
    found = members(con, dataset_id, Segment(dropped_start=dt.date(2024, 6, 30),
                                             dropped_end=D))
    assert ids(found) == ["G"]
    assert found["reason"].tolist() == ["dropped a step between 2024-06-30 and 2025-06-30"]


def test_conditions_combine_and_ranges_include_both_ends(shop):
    con, dataset_id = shop
    assert ids(members(con, dataset_id, Segment(revenue_min=1100, revenue_max=1210))) == [
        "L", "V"]
    assert ids(members(con, dataset_id, Segment(orders_max=1, recency_min=20,
                                                recency_max=60))) == ["N20", "N60"]
    assert ids(members(con, dataset_id, Segment(orders_min=11, orders_max=11))) == ["L", "V"]
    assert ids(members(con, dataset_id, Segment(steps=("repeat",)))) == ["G", "W"]
    assert ids(members(con, dataset_id, Segment(cells=("AX", "AZ"), cities=("Yerevan",)))) == [
        "L", "W"]
    assert ids(members(con, dataset_id, Segment(channels=("store",),
                                                categories=("Shoes",)))) == ["L"]
    assert ids(members(con, dataset_id, Segment(birthday_days=15))) == ["B1", "B14", "B15"]
    assert len(members(con, dataset_id, Segment())) == 12


def test_consent_keeps_only_customers_with_the_opt_in(shop):
    con, dataset_id = shop
    # V said no, L never said: neither has consent
    assert ids(members(con, dataset_id, Segment(consent="email"))) == ["W"]
    assert ids(members(con, dataset_id, Segment(consent="sms"))) == []


def test_model_conditions_need_a_model_and_count_the_expected_value(shop):
    con, dataset_id = shop
    with pytest.raises(ValueError, match="fitted churn model"):
        members(con, dataset_id, Segment(p_alive_max=0.5))
    scored = scores({"W": 0.1, "V": 0.5, "L": 0.2}, clv={"V": 200.0, "W": 50.0})
    found = members(con, dataset_id, Segment(p_alive_min=0.2, p_alive_max=0.5), scores=scored)
    assert ids(found) == ["L", "V"]
    summary = segment_summary(found)
    # L has no predicted CLV: the value is V's, per customer who has one
    assert (summary.customers, summary.expected_value, summary.value_per_customer) == (
        2, 200.0, 200.0)
    empty = segment_summary(members(con, dataset_id, Segment(steps=("loyal",))))
    assert (empty.customers, empty.expected_value) == (1, None)


def test_a_segment_round_trips_through_json_and_refuses_unknown_values():
    segment = Segment(playbook="vip", steps=("loyal",), dropped_start=dt.date(2025, 1, 1),
                      dropped_end=dt.date(2025, 6, 30), p_alive_max=0.5, cities=("Ереван",),
                      consent="sms")
    assert Segment.from_json(segment.as_json()) == segment
    with pytest.raises(ValueError):
        Segment(steps=("gold",))
    with pytest.raises(ValueError):
        Segment(playbook="everyone")
    with pytest.raises(ValueError):
        Segment(dropped_start=dt.date(2025, 1, 1))
    with pytest.raises(ValueError):
        Segment(orders_min=3, orders_max=2)


def test_the_builder_offers_each_distinct_non_empty_value_once_sorted():
    base = pd.DataFrame({
        "city": ["Ulaanbaatar", None, "Yerevan", "  ", "Ulaanbaatar", "Tbilisi", ""],
        "channel": ["web", "shop", None, "web", "shop", "web", "app"],
        "top_category": [None, None, None, None, None, None, None],
    })
    assert base_choices(base) == {
        "cities": ["Tbilisi", "Ulaanbaatar", "Yerevan"],  # blank and missing ones not offered
        "channels": ["app", "shop", "web"],
        "categories": [],  # the data has none: the builder disables the filter
    }


@pytest.mark.parametrize("segment", [
    Segment(), *(Segment(playbook=name) for name in PLAYBOOK),
    Segment(steps=("repeat", "regular"), orders_min=2, revenue_max=500.0),
    Segment(consent="sms"), Segment(steps=("loyal",)), Segment(p_alive_min=0.2, p_alive_max=0.5),
], ids=lambda segment: segment.as_json())
@pytest.mark.parametrize("modelled", [False, True])
def test_the_count_in_duckdb_is_the_summary_of_the_members(shop, segment, modelled):
    con, dataset_id = shop
    if segment.needs_model and not modelled:
        pytest.skip("needs a model")
    scored = (scores({"W": 0.1, "V": 0.5, "L": 0.2, "G": 0.01},
                     clv={"V": 200.0, "W": 50.25, "G": 7.5}) if modelled else None)
    base = customer_base(con, dataset_id, as_of=D, scores=scored)
    expected = segment_summary(segment_members(con, dataset_id, base, segment))
    counted = segment_count(con, dataset_id, base, segment)
    assert counted == expected
