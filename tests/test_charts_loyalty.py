"""The loyalty simulator's figures on small hand-made tables: traces and their values, axis
titles in words, the payback mark, empty inputs, Decimal money and money in the hovers."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from retention.charts.loyalty import (
    cumulative_profit,
    monthly_profit,
    rewards_histogram,
    scenario_comparison,
    tornado,
)
from retention.loyalty import LoyaltyProgramme
from retention.loyalty.baseline import Baseline
from retention.loyalty.projection import PROJECTION_COLUMNS, project, sensitivity
from retention.loyalty.replay import MEMBER_COLUMNS


def months_table(incremental: list[float]) -> pd.DataFrame:
    """A Projection.months table whose incremental profit per month is ``incremental``: a gain
    of 100 a month less rewards, welcome bonuses, birthday gifts and a fixed cost that add up."""
    rows = []
    cumulative = 0.0
    for month, profit in enumerate(incremental, start=1):
        cumulative += profit
        welcome = 30.0 if month == 1 else 5.0
        birthday, fixed = 2.0, 10.0
        reward = 100.0 - profit - welcome - birthday - fixed
        rows.append({
            "month": month, "members": 10.0, "non_members": 10.0, "members_without": 9.0,
            "revenue_with": 1500.0, "revenue_without": 1000.0, "gross_profit_with": 600.0,
            "gross_profit_without": 500.0, "reward_cost": reward, "welcome_cost": welcome,
            "birthday_cost": birthday, "fixed_cost": fixed, "incremental_profit": profit,
            "cumulative_incremental_profit": cumulative,
        })
    return pd.DataFrame(rows, columns=list(PROJECTION_COLUMNS))


# cumulative: −40, −60, −50, −10, 40, 100: pays back in month 5
PAYING = months_table([-40.0, -20.0, 10.0, 40.0, 50.0, 60.0])


def _is_words(title: str) -> bool:
    """A title or label for people: capitalised, no machine name such as avg_check."""
    return title[:1].isupper() and "_" not in title


def test_the_cumulative_line_and_the_payback_mark_at_its_month():
    figure = cumulative_profit(PAYING, currency="USD", locale="en", payback_month=5)
    line, mark = figure.data
    assert list(line.x) == [1, 2, 3, 4, 5, 6]
    assert list(line.y) == pytest.approx([-40, -60, -50, -10, 40, 100])
    assert list(mark.x) == [5] and list(mark.y) == pytest.approx([40])
    (annotation,) = figure.layout.annotations
    assert annotation.x == 5 and annotation.y == pytest.approx(40)
    assert annotation.text == "Pays back in month 5"
    assert [shape.y0 for shape in figure.layout.shapes] == [0]  # the zero line
    assert "month 5" in figure.layout.title.text
    assert _is_words(figure.layout.xaxis.title.text)
    assert figure.layout.yaxis.title.text == "Cumulative incremental profit ($)"
    # hover: the month, the cumulative and that month's profit, in money
    assert "Month 2" in line.customdata[1]
    assert "Cumulative incremental profit: -$60.00" in line.customdata[1]
    assert "This month's incremental profit: -$20.00" in line.customdata[1]
    assert line.hovertemplate == "%{customdata}<extra></extra>"


def test_no_payback_means_no_mark_and_a_title_that_says_so():
    losing = months_table([-10.0, -10.0, -10.0, -10.0, -10.0])
    figure = cumulative_profit(losing, currency="USD", locale="en", payback_month=None)
    assert len(figure.data) == 1
    assert figure.layout.annotations == ()
    assert "does not pay back within 5 months" in figure.layout.title.text


def test_a_payback_month_outside_the_months_is_refused():
    with pytest.raises(ValueError, match="payback month 9"):
        cumulative_profit(PAYING, currency="USD", locale="en", payback_month=9)


def test_money_follows_the_dataset_currency_and_the_locale():
    figure = cumulative_profit(months_table([-1234.5, 2000.0, 0.0, 1.0, 1.0]),
                               currency="RUB", locale="ru", payback_month=2)
    assert "-1\xa0234,50\xa0₽" in figure.data[0].customdata[0]
    assert figure.layout.yaxis.title.text == "Cumulative incremental profit (₽)"


def test_the_monthly_chart_stacks_the_costs_below_the_gain_and_draws_the_net():
    figure = monthly_profit(PAYING, currency="USD", locale="en")
    names = [trace.name for trace in figure.data]
    assert names == ["Gross profit gained from members", "Rewards", "Welcome bonuses",
                     "Birthday gifts", "Fixed cost", "Net incremental profit"]
    gain, rewards, welcome, birthday, fixed, net = figure.data
    assert list(gain.y) == pytest.approx([100.0] * 6)
    # month 1: a profit of −40 from a gain of 100 leaves 100 + 40 − 30 − 2 − 10 = 98 of rewards
    assert rewards.y[0] == pytest.approx(-98.0)
    assert list(welcome.y) == pytest.approx([-30.0] + [-5.0] * 5)
    assert list(birthday.y) == pytest.approx([-2.0] * 6)
    assert list(fixed.y) == pytest.approx([-10.0] * 6)
    assert list(net.y) == pytest.approx([-40, -20, 10, 40, 50, 60])
    # the bars add up to the net line, month by month
    sums = [sum(trace.y[i] for trace in figure.data[:5]) for i in range(6)]
    assert sums == pytest.approx(list(net.y))
    assert figure.layout.barmode == "relative"
    assert _is_words(figure.layout.xaxis.title.text)
    assert figure.layout.yaxis.title.text == "Profit and costs per month ($)"
    assert "Rewards: -$98.00" in rewards.customdata[0]
    assert "Net incremental profit: $60.00" in net.customdata[5]


def members_table(redeemable: list[str]) -> pd.DataFrame:
    """A Replay.members table with these redeemable amounts (Decimal, as the replay gives)."""
    rows = [(f"c{i}", 3, Decimal(100), 250, Decimal(amount), Decimal(amount), Decimal(0), None)
            for i, amount in enumerate(redeemable)]
    return pd.DataFrame.from_records(rows, columns=list(MEMBER_COLUMNS))


def test_the_histogram_bins_decimal_rewards_exactly_and_counts_members():
    # span 10 / 20 bars → width 0.5; 0.5 sits in the second bar, 10 in the last
    members = members_table(["0", "0", "0.25", "0.5", "5", "5", "10"])
    figure = rewards_histogram(members, currency="USD", locale="en")
    (bars,) = figure.data
    assert bars.width == 0.5
    assert len(bars.y) == 21 and sum(bars.y) == 7
    assert list(bars.y[:2]) == [3, 1] and bars.y[10] == 2 and bars.y[20] == 1
    assert bars.x[0] == pytest.approx(0.25) and bars.x[20] == pytest.approx(10.25)
    assert bars.customdata[0] == "From $0.00 to under $0.50<br>Members: 3"
    assert bars.customdata[20] == "From $10.00 to under $10.50<br>Members: 1"
    assert "5 of 7 members reach at least one reward" in figure.layout.title.text
    assert figure.layout.xaxis.title.text == "Rewards redeemable per member over the year ($)"
    assert figure.layout.yaxis.title.text == "Members"


def test_the_histogram_keeps_amounts_a_float_would_put_in_the_bar_below():
    # 0.15 / 0.05 is 2.9999… in binary floats: exactly 3 in decimals
    figure = rewards_histogram(members_table(["0", "0.15", "1"]), currency="USD", locale="en")
    (bars,) = figure.data
    assert bars.width == 0.05
    assert bars.y[3] == 1 and bars.y[2] == 0


def test_members_all_with_the_same_reward_make_one_bar():
    figure = rewards_histogram(members_table(["5", "5", "5"]), currency="EUR", locale="en")
    (bars,) = figure.data
    assert list(bars.y) == [3]
    assert bars.customdata[0] == "From €5.00 to under €6.00<br>Members: 3"


def test_no_bar_is_narrower_than_the_currency_shows():
    # a span of 10 yen would give bars of 0.5 yen, which ¥ amounts cannot tell apart
    figure = rewards_histogram(members_table(["0", "3", "10"]), currency="JPY", locale="en")
    (bars,) = figure.data
    assert bars.width == 1
    assert list(bars.y) == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert bars.customdata[3] == "From ¥3 to under ¥4<br>Members: 1"


def test_no_members_give_an_empty_histogram_that_says_so():
    figure = rewards_histogram(members_table([]), currency="USD", locale="en")
    assert figure.data == ()
    assert "No members" in figure.layout.title.text
    assert figure.layout.yaxis.title.text == "Members"


SENSITIVITY = pd.DataFrame.from_records([
    ("retention_uplift", 0.02, 0.01, 0.03, -500.0, 1500.0, 500.0),
    ("redeemable_share", 0.02, 0.016, 0.024, 700.0, 300.0, 500.0),
    ("breakage", 0.0, 0.0, 0.1, 500.0, 560.0, 500.0),
    ("avg_check", 40.0, 32.0, 48.0, 450.0, 550.0, 500.0),
], columns=["assumption", "value", "low", "high", "profit_low", "profit_high", "profit"])


def test_the_tornado_draws_each_assumption_from_the_profit_as_set():
    figure = tornado(SENSITIVITY, currency="USD", locale="en")
    low, high = figure.data
    assert list(low.y) == ["Members' retention uplift (points of monthly retention)",
                           "Rewards redeemable per unit of member revenue",
                           "Breakage (rewards never claimed)", "Average check"]
    # the profit as set, 500, is the middle of the reward share's profits
    assert low.base == pytest.approx(500.0) and high.base == pytest.approx(500.0)
    assert [500.0 + x for x in low.x] == pytest.approx([-500, 700, 500, 450])
    assert [500.0 + x for x in high.x] == pytest.approx([1500, 300, 560, 550])
    assert figure.layout.shapes[0].x0 == pytest.approx(500.0)
    assert figure.layout.yaxis.autorange == "reversed"  # the widest swing on top
    assert all(_is_words(label) for label in low.y)
    assert _is_words(figure.layout.xaxis.title.text)
    assert figure.layout.xaxis.title.text == "Incremental profit over the horizon ($)"
    assert figure.layout.yaxis.title.text == "Assumption"
    hover = low.customdata[0]
    assert "As set: +2.0%" in hover
    assert "Lower, +1.0%: incremental profit -$500.00" in hover
    assert "Higher, +3.0%: incremental profit $1,500.00" in hover
    assert "Lower, $32.00: incremental profit $450.00" in low.customdata[3]
    assert "Higher, 10.0%" in high.customdata[2]


def test_the_tornado_labels_every_assumption_of_a_real_sensitivity_and_starts_at_its_profit():
    baseline = Baseline(active_customers=951, new_customers_per_month=115, avg_check=73,
                        purchases_per_month=0.73, monthly_retention=0.87, margin=0.3)
    programme = LoyaltyProgramme(welcome_bonus=Decimal(1), birthday_gift=Decimal(3),
                                 fixed_monthly_cost=Decimal(200),
                                 retention_uplift=Decimal("0.02"), months=12)
    result = project(baseline, programme, 0.015)
    figure = tornado(sensitivity(baseline, programme, 0.015), currency="USD", locale="en")
    assert len(figure.data[0].y) == 12
    assert all(_is_words(label) for label in figure.data[0].y)
    assert figure.layout.shapes[0].x0 == pytest.approx(result.incremental_profit, abs=1e-6)


def test_scenarios_share_one_chart_with_escaped_names():
    scenarios = {"Points <b>bold</b>": PAYING, "Cashback": months_table([5.0] * 6)}
    figure = scenario_comparison(scenarios, currency="USD", locale="en")
    assert [trace.name for trace in figure.data] == ["Points &lt;b&gt;bold&lt;/b&gt;",
                                                     "Cashback"]
    assert list(figure.data[1].y) == pytest.approx([5, 10, 15, 20, 25, 30])
    assert "Cumulative incremental profit: $30.00" in figure.data[1].customdata[5]
    assert figure.layout.yaxis.title.text == "Cumulative incremental profit ($)"
    assert _is_words(figure.layout.xaxis.title.text)


def test_no_scenarios_give_an_empty_chart_and_four_are_refused():
    empty = scenario_comparison({}, currency="USD", locale="en")
    assert empty.data == ()
    assert empty.layout.title.text == "No scenarios to compare yet"
    with pytest.raises(ValueError, match="At most 3"):
        scenario_comparison({str(i): PAYING for i in range(4)}, currency="USD", locale="en")
