"""The projection of DESIGN §7 on paper cases, its invariants, and the baseline it starts from."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from retention.ingest import load_file
from retention.loyalty import LoyaltyProgramme
from retention.loyalty.baseline import Baseline, dataset_baseline
from retention.loyalty.projection import break_even_retention_uplift, project, sensitivity
from retention.metrics import ltv_today
from tests.ingest_helpers import fresh_workspace, write
from tests.test_loyalty_replay import YEAR

SHOP = Baseline(active_customers=951, new_customers_per_month=115, avg_check=73,
                purchases_per_month=0.73, monthly_retention=0.87, margin=0.3)
POINTS = LoyaltyProgramme(participation=Decimal("0.5"), joiners="most_active",
                          welcome_bonus=Decimal(1), birthday_gift=Decimal(3),
                          fixed_monthly_cost=Decimal(200), retention_uplift=Decimal("0.02"),
                          months=24)
SHOP_REDEEMABLE = 0.015


def test_one_customer_who_always_stays_and_no_newcomers():
    # S = 50, C = 2: 100 a month; with the programme C = 2 × 1.5 = 3: 150 a month. Rewards 2%
    # of 150 = 3, fixed 1. Incremental = (150 − 100) × 0.4 − 3 − 1 = 16 a month, 192 a year;
    # costs 4 × 12 = 48, ROI 4. r + 0.05 is clamped to 1. No uplift can be solved for: 1 − r = 0.
    baseline = Baseline(active_customers=1, new_customers_per_month=0, avg_check=50,
                        purchases_per_month=2, monthly_retention=1, margin=0.4)
    programme = LoyaltyProgramme(programme="cashback", joiners="everyone", breakage=Decimal(0),
                                 frequency_uplift=Decimal("0.5"),
                                 retention_uplift=Decimal("0.05"),
                                 fixed_monthly_cost=Decimal(1), months=12)
    result = project(baseline, programme, 0.02)
    months = result.months
    assert months["members"].tolist() == [1.0] * 12
    assert months["non_members"].tolist() == [0.0] * 12
    assert months["revenue_without"].tolist() == pytest.approx([100.0] * 12)
    assert months["revenue_with"].tolist() == pytest.approx([150.0] * 12)
    assert months["reward_cost"].tolist() == pytest.approx([3.0] * 12)
    assert months["incremental_profit"].tolist() == pytest.approx([16.0] * 12)
    assert months["cumulative_incremental_profit"].iloc[-1] == pytest.approx(192.0)
    assert result.incremental_profit == pytest.approx(192.0)
    assert result.payback_month == 1
    assert result.roi == pytest.approx(4.0)
    # LTV with T capped at 120 months: 50 × 2 × 0.4 × 120; after: 150 × (0.4 − 0.02) × 120
    assert result.member_ltv_before == pytest.approx(4800.0)
    assert result.member_ltv_after == pytest.approx(6840.0)
    assert break_even_retention_uplift(baseline, programme, 0.02) is None


def test_two_months_worked_on_paper():
    # 100 active, 10 new a month, S = 20, C = 1, r = 0.5, P = 0.5; 40% join.
    # Members: r' = 0.6, S' = 25; rewards 10% redeemable × (1 − 0.5 breakage) = 5% of revenue;
    # welcome 2, birthday 12 a year (1 a month), fixed 5.
    # Month 1: members 40 + 4 = 44 (all join now), others 60 + 6 = 66.
    #   member revenue 44 × 25 = 1100 with, 44 × 20 = 880 without; others 66 × 20 = 1320.
    #   costs: rewards 55, welcome 44 × 2 = 88, birthday 44, fixed 5 → 192.
    #   incremental (1100 − 880) × 0.5 − 192 = −82.
    # Month 2: members 44 × 0.6 + 4 = 30.4 with, 44 × 0.5 + 4 = 26 without; others 39.
    #   member revenue 760 with, 520 without; others 780.
    #   costs: rewards 38, welcome 4 × 2 = 8, birthday 30.4, fixed 5 → 81.4.
    #   incremental 240 × 0.5 − 81.4 = 38.6; cumulative −43.4.
    baseline = Baseline(active_customers=100, new_customers_per_month=10, avg_check=20,
                        purchases_per_month=1, monthly_retention=0.5, margin=0.5)
    programme = LoyaltyProgramme(joiners="random", participation=Decimal("0.4"),
                                 retention_uplift=Decimal("0.1"), check_uplift=Decimal("0.25"),
                                 breakage=Decimal("0.5"), welcome_bonus=Decimal(2),
                                 birthday_gift=Decimal(12), fixed_monthly_cost=Decimal(5),
                                 months=2)
    result = project(baseline, programme, 0.1)
    expected = {
        "month": [1, 2],
        "members": [44, 30.4],
        "non_members": [66, 39],
        "members_without": [44, 26],
        "revenue_with": [2420, 1540],
        "revenue_without": [2200, 1300],
        "gross_profit_with": [1210, 770],
        "gross_profit_without": [1100, 650],
        "reward_cost": [55, 38],
        "welcome_cost": [88, 8],
        "birthday_cost": [44, 30.4],
        "fixed_cost": [5, 5],
        "incremental_profit": [-82, 38.6],
        "cumulative_incremental_profit": [-82, -43.4],
    }
    assert {name: result.months[name].tolist() for name in expected} == {
        name: pytest.approx(values) for name, values in expected.items()}
    assert result.incremental_profit == pytest.approx(-43.4)
    assert result.programme_costs == pytest.approx(273.4)
    assert result.roi == pytest.approx(-43.4 / 273.4)
    assert result.payback_month is None


def test_no_effect_and_no_cost_gives_exactly_zero():
    programme = replace(POINTS, retention_uplift=Decimal(0), welcome_bonus=Decimal(0),
                        birthday_gift=Decimal(0), fixed_monthly_cost=Decimal(0))
    result = project(SHOP, programme, 0.0)
    assert result.months["incremental_profit"].tolist() == [0.0] * 24
    assert result.incremental_profit == 0.0
    assert result.roi is None  # nothing spent
    assert result.payback_month == 1


def test_more_breakage_never_costs_more():
    results = [project(SHOP, replace(POINTS, breakage=Decimal(b) / 10), SHOP_REDEEMABLE)
               for b in range(11)]
    costs = [result.programme_costs for result in results]
    profits = [result.incremental_profit for result in results]
    assert costs == sorted(costs, reverse=True)
    assert profits == sorted(profits)


def test_the_break_even_uplift_fed_back_gives_zero_to_the_cent():
    uplift = break_even_retention_uplift(SHOP, POINTS, SHOP_REDEEMABLE)
    assert uplift is not None
    assert 0 < uplift < 1 - SHOP.monthly_retention
    at_break_even = project(SHOP, replace(POINTS, retention_uplift=Decimal(repr(uplift))),
                            SHOP_REDEEMABLE)
    assert abs(at_break_even.incremental_profit) < 0.005
    # a little more retention pays, a little less does not
    assert project(SHOP, replace(POINTS, retention_uplift=Decimal(repr(uplift + 0.001))),
                   SHOP_REDEEMABLE).incremental_profit > 0


def test_no_break_even_when_the_programme_pays_or_loses_whatever_the_uplift():
    # pays already at zero uplift: a 20% higher check on members
    paying = replace(POINTS, check_uplift=Decimal("0.2"))
    assert project(SHOP, replace(paying, retention_uplift=Decimal(0)),
                   SHOP_REDEEMABLE).incremental_profit > 0
    assert break_even_retention_uplift(SHOP, paying, SHOP_REDEEMABLE) is None
    # rewards above the margin: every member kept loses money, so more retention loses more
    assert break_even_retention_uplift(SHOP, POINTS, 0.5) is None


def test_unknown_baseline_values_are_named():
    unknown = replace(SHOP, monthly_retention=None, avg_check=None)
    with pytest.raises(ValueError, match="avg_check, monthly_retention"):
        project(unknown, POINTS, SHOP_REDEEMABLE)


def test_baseline_from_the_dataset(tmp_path):
    # The replay's table (tests/test_loyalty_replay.py), D = 2025-12-31, W = 90.
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "year.csv", YEAR), dataset="year")
    con, ds = ws.cursor(), report.dataset_id
    d = dt.date(2025, 12, 31)
    baseline = dataset_baseline(con, ds, as_of=d, window_days=90)
    ltv = ltv_today(con, ds, as_of=d, window_days=90).iloc[0]
    # active at D: only C ordered in (D − 90, D]; first orders in L: A, B and F (C's first
    # order is 2024-12-31, outside L; E's lies after D) → 3 / 12
    assert baseline.active_customers == 1
    assert baseline.new_customers_per_month == 0.25
    assert (baseline.avg_check, baseline.purchases_per_month, baseline.monthly_retention,
            baseline.margin) == (ltv["avg_check"], ltv["purchases_per_month"],
                                 ltv["retention"], ltv["margin"])
    # S = net revenue in L / orders in L = (1160.89 − 50.50) / 6
    assert baseline.avg_check == pytest.approx(1110.39 / 6)
    assert baseline.margin == 0.3


def test_sensitivity_moves_one_assumption_at_a_time():
    tornado = sensitivity(SHOP, POINTS, SHOP_REDEEMABLE)
    assert set(tornado["assumption"]) == {
        "active_customers", "new_customers_per_month", "avg_check", "purchases_per_month",
        "monthly_retention", "margin", "redeemable_share", "retention_uplift",
        "frequency_uplift", "check_uplift", "breakage", "fixed_monthly_cost"}
    rows = tornado.set_index("assumption")
    # breakage 0.2 ± 0.1; monthly retention 0.87 ± 0.02; the check ± 20% of 73
    assert (rows.loc["breakage", "low"], rows.loc["breakage", "high"]) == pytest.approx((0.1, 0.3))
    assert rows.loc["breakage", "profit_high"] == pytest.approx(project(
        SHOP, replace(POINTS, breakage=Decimal("0.3")), SHOP_REDEEMABLE).incremental_profit)
    assert (rows.loc["monthly_retention", "low"], rows.loc["monthly_retention", "high"]) == (
        pytest.approx((0.85, 0.89)))
    assert rows.loc["avg_check", "profit_low"] == pytest.approx(project(
        replace(SHOP, avg_check=73 * 0.8), POINTS, SHOP_REDEEMABLE).incremental_profit)
    # more retention pays, a bigger fixed cost does not
    assert rows.loc["retention_uplift", "profit_high"] > rows.loc["retention_uplift", "profit_low"]
    assert rows.loc["fixed_monthly_cost", "profit_high"] < rows.loc["fixed_monthly_cost",
                                                                    "profit_low"]
    swings = (tornado["profit_high"] - tornado["profit_low"]).abs().tolist()
    assert swings == sorted(swings, reverse=True)
    # every bar starts at the profit with everything as set
    assert set(tornado["profit"]) == {project(SHOP, POINTS, SHOP_REDEEMABLE).incremental_profit}
