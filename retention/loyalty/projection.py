"""The projection (DESIGN §7): a programme's effect month by month, with and without it.

Two populations start from the baseline's active customers, split by the share that joins
(``LoyaltyProgramme.member_share``: participation, or 1 when everyone joins), and each gains
the same split of the baseline's new customers every month. Month 1 holds the active
customers and month 1's new customers; from month 2 on, a population keeps its retention's
share of the previous month and gains the month's new customers:
``customers[t] = customers[t − 1] × retention + new``. Each customer buys C orders a month
at an average check S, with margin P.

* Without the programme both populations follow the baseline (r, C, S, P).
* With it, non-members still do; members keep r + retention_uplift (clamped to 0…1) of
  themselves, buy C × (1 + frequency_uplift) orders at S × (1 + check_uplift).
* The programme costs, per month: rewards = the replay's redeemable share of member revenue
  × (1 − breakage) × the members' projected revenue; welcome bonuses for the members who join
  that month (month 1: every initial member too, since the programme starts then); birthday
  gifts, birthday_gift / 12 per member; and fixed_monthly_cost.
* Incremental profit = gross profit with − gross profit without − those costs. The
  non-members' revenue is the same either way, so the difference is the members' alone.

A member's LTV before is S × C × P × T with T = 1 / (1 − r); after, (S' × C' × (P −
reward share) − birthday_gift / 12) × T' − welcome_bonus with the members' S', C' and
T' = 1 / (1 − r'); both with T capped at 120 months as the LTV page caps it.

Floats are fine here: these are expectations under assumptions, not money counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pandas as pd
from scipy.optimize import brentq

from retention.loyalty.baseline import Baseline, require_known
from retention.loyalty.programme import LoyaltyProgramme
from retention.metrics.ltv import MAX_LIFETIME_MONTHS

PROJECTION_COLUMNS = (
    "month", "members", "non_members", "members_without", "revenue_with", "revenue_without",
    "gross_profit_with", "gross_profit_without", "reward_cost", "welcome_cost", "birthday_cost",
    "fixed_cost", "incremental_profit", "cumulative_incremental_profit",
)
# The fields of each month in the command line's JSON: DESIGN §7's, then the cost and
# population detail that makes each month's incremental profit add up.
SENSITIVITY_COLUMNS = ("assumption", "value", "low", "high", "profit_low", "profit_high",
                       "profit")
SENSITIVITY_SHARE = 0.2
# Assumptions that are shares or effects (often zero) move by a fixed step, not a share of
# themselves: (step, lowest, highest) — the ranges the baseline and the programme accept.
_STEPS = {
    "monthly_retention": (0.02, 0.0, 1.0),
    "retention_uplift": (0.01, -1.0, 1.0),
    "frequency_uplift": (0.05, -1.0, 10.0),
    "check_uplift": (0.05, -1.0, 10.0),
    "breakage": (0.1, 0.0, 1.0),
}
_BASELINE_MOVES = ("active_customers", "new_customers_per_month", "avg_check",
                   "purchases_per_month", "monthly_retention", "margin")
_PROGRAMME_MOVES = ("retention_uplift", "frequency_uplift", "check_uplift", "breakage",
                    "fixed_monthly_cost")
JSON_MONTH_FIELDS = (
    "month", "revenue_with", "revenue_without", "reward_cost", "fixed_cost",
    "incremental_profit", "cumulative_incremental_profit", "welcome_cost", "birthday_cost",
    "gross_profit_with", "gross_profit_without", "members", "non_members",
)


@dataclass(frozen=True)
class Projection:
    """The projection over ``programme.months``: ``months`` (one row per month,
    :data:`PROJECTION_COLUMNS`; members and non_members are the populations with the
    programme, members_without the members' population without it), the horizon's
    ``incremental_profit`` and ``programme_costs`` (rewards, welcome, birthday, fixed),
    ``payback_month`` (the first month whose cumulative incremental profit is ≥ 0 and stays
    so; None if none), ``roi`` (incremental profit / programme costs; None without costs) and
    a member's LTV before and after."""

    months: pd.DataFrame
    incremental_profit: float
    programme_costs: float
    payback_month: int | None
    roi: float | None
    member_ltv_before: float
    member_ltv_after: float

    def months_json(self) -> list[dict[str, float | int]]:
        """The months as the command line prints them (:data:`JSON_MONTH_FIELDS`)."""
        return [
            {name: int(row[name]) if name == "month" else float(row[name])
             for name in JSON_MONTH_FIELDS}
            for row in self.months.to_dict("records")
        ]


@dataclass(frozen=True)
class _Inputs:
    """The projection's numbers as floats, the retention uplift left open for the solver."""

    active: float
    new: float
    check: float
    frequency: float
    retention: float
    margin: float
    member_share: float
    check_uplift: float
    frequency_uplift: float
    reward_share: float
    welcome: float
    birthday: float
    fixed: float
    months: int

    @classmethod
    def of(cls, baseline: Baseline, programme: LoyaltyProgramme,
           redeemable_share: float) -> _Inputs:
        require_known(baseline)
        if redeemable_share < 0:
            raise ValueError("The redeemable share of member revenue cannot be negative.")
        return cls(
            active=float(baseline.active_customers),
            new=float(baseline.new_customers_per_month),
            check=float(baseline.avg_check),  # type: ignore[arg-type]
            frequency=float(baseline.purchases_per_month),  # type: ignore[arg-type]
            retention=float(baseline.monthly_retention),  # type: ignore[arg-type]
            margin=float(baseline.margin),  # type: ignore[arg-type]
            member_share=float(programme.member_share),
            check_uplift=float(programme.check_uplift),
            frequency_uplift=float(programme.frequency_uplift),
            reward_share=redeemable_share * float(1 - programme.breakage),
            welcome=float(programme.welcome_bonus),
            birthday=float(programme.birthday_gift),
            fixed=float(programme.fixed_monthly_cost),
            months=programme.months,
        )

    def member_retention(self, uplift: float) -> float:
        return min(max(self.retention + uplift, 0.0), 1.0)

    def member_spend(self) -> float:
        """A member's revenue per month with the programme."""
        return self.check * (1 + self.check_uplift) * self.frequency * (1 + self.frequency_uplift)


def project(
    baseline: Baseline, programme: LoyaltyProgramme, redeemable_share: float
) -> Projection:
    """The projection of ``programme`` from ``baseline`` (see the module docstring).

    ``redeemable_share`` is the replay's rewards redeemable per unit of member revenue, before
    breakage (:attr:`retention.loyalty.replay.Replay.redeemable_share`). Raises ValueError
    when a baseline value is unknown.
    """
    inputs = _Inputs.of(baseline, programme, redeemable_share)
    uplift = float(programme.retention_uplift)
    months = _months(inputs, uplift)
    costs = float((months["reward_cost"] + months["welcome_cost"] + months["birthday_cost"]
                   + months["fixed_cost"]).sum())
    total = float(months["incremental_profit"].sum())
    return Projection(
        months=months,
        incremental_profit=total,
        programme_costs=costs,
        payback_month=_payback_month(months["cumulative_incremental_profit"]),
        roi=total / costs if costs else None,
        member_ltv_before=(inputs.check * inputs.frequency * inputs.margin
                           * _lifetime(inputs.retention)),
        member_ltv_after=((inputs.member_spend() * (inputs.margin - inputs.reward_share)
                           - inputs.birthday / 12) * _lifetime(inputs.member_retention(uplift))
                          - inputs.welcome),
    )


def break_even_retention_uplift(
    baseline: Baseline, programme: LoyaltyProgramme, redeemable_share: float
) -> float | None:
    """The retention_uplift in [0, 1 − r) at which the horizon's incremental profit is zero,
    everything else as in ``programme``; None when there is no such uplift (the profit has
    the same sign at both ends — more retained members only add the same per-member margin
    after rewards, so the profit moves one way as the uplift grows — or r = 1)."""
    inputs = _Inputs.of(baseline, programme, redeemable_share)
    ceiling = 1.0 - inputs.retention
    if ceiling <= 0:
        return None

    def profit(uplift: float) -> float:
        return float(_months(inputs, uplift)["incremental_profit"].sum())

    low, high = profit(0.0), profit(ceiling)
    if low == 0:
        return 0.0
    if (low > 0) == (high > 0) or high == 0:
        # no sign change inside the half-open interval (a root at 1 − r itself is outside)
        return None
    return float(brentq(profit, 0.0, ceiling, xtol=1e-15, maxiter=200))


def sensitivity(
    baseline: Baseline, programme: LoyaltyProgramme, redeemable_share: float,
    share: float = SENSITIVITY_SHARE,
) -> pd.DataFrame:
    """The horizon's incremental profit when one assumption moves down and up, the others as
    set: the tornado chart's bars.

    Monthly retention moves by ± 0.02, retention_uplift by ± 0.01, frequency_uplift and
    check_uplift by ± 0.05, breakage by ± 0.1, each kept in its range; every other baseline
    value, the redeemable share and fixed_monthly_cost by ± ``share`` of itself (the margin at
    most 1). Columns: assumption (the parameter's name, or ``redeemable_share``), value (as
    set), low, high (the moved values), profit_low, profit_high, and profit (the incremental
    profit with everything as set, the same on every row: where the bars start); the widest
    swing first.
    """
    require_known(baseline)

    def moved(name: str, value: float) -> tuple[float, float]:
        if name in _STEPS:
            step, lowest, highest = _STEPS[name]
            return max(value - step, lowest), min(value + step, highest)
        high = value * (1 + share)
        return value * (1 - share), min(high, 1.0) if name == "margin" else high

    def profit(changed: Baseline, programme: LoyaltyProgramme, reward: float) -> float:
        return project(changed, programme, reward).incremental_profit

    rows = []
    for name in _BASELINE_MOVES:
        value = float(getattr(baseline, name))
        low, high = moved(name, value)
        rows.append((name, value, low, high,
                     profit(replace(baseline, **{name: low}), programme, redeemable_share),
                     profit(replace(baseline, **{name: high}), programme, redeemable_share)))
    low, high = moved("redeemable_share", redeemable_share)
    rows.append(("redeemable_share", redeemable_share, low, high,
                 profit(baseline, programme, low), profit(baseline, programme, high)))
    for name in _PROGRAMME_MOVES:
        value = float(getattr(programme, name))
        low, high = moved(name, value)
        rows.append((name, value, low, high,
                     profit(baseline, _with(programme, name, low), redeemable_share),
                     profit(baseline, _with(programme, name, high), redeemable_share)))
    as_set = profit(baseline, programme, redeemable_share)
    frame = pd.DataFrame.from_records([(*row, as_set) for row in rows],
                                      columns=list(SENSITIVITY_COLUMNS))
    swing = (frame["profit_high"] - frame["profit_low"]).abs()
    order = swing.sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _with(programme: LoyaltyProgramme, name: str, value: float) -> LoyaltyProgramme:
    """``programme`` with one number changed (taken by its shortest decimal spelling)."""
    changes: dict[str, Any] = {name: Decimal(repr(value))}
    return replace(programme, **changes)


def _months(inputs: _Inputs, uplift: float) -> pd.DataFrame:
    """One row per month of :data:`PROJECTION_COLUMNS` for a retention uplift of ``uplift``."""
    share = inputs.member_share
    new_members, new_others = share * inputs.new, (1 - share) * inputs.new
    base_spend = inputs.check * inputs.frequency
    member_spend = inputs.member_spend()
    member_retention = inputs.member_retention(uplift)
    members = members_without = others = 0.0
    rows = []
    cumulative = 0.0
    for month in range(1, inputs.months + 1):
        if month == 1:
            members = members_without = share * inputs.active + new_members
            others = (1 - share) * inputs.active + new_others
            joined = members
        else:
            members = members * member_retention + new_members
            members_without = members_without * inputs.retention + new_members
            others = others * inputs.retention + new_others
            joined = new_members
        member_revenue = members * member_spend
        member_revenue_without = members_without * base_spend
        other_revenue = others * base_spend
        reward = inputs.reward_share * member_revenue
        welcome = joined * inputs.welcome
        birthday = members * inputs.birthday / 12
        incremental = ((member_revenue - member_revenue_without) * inputs.margin
                       - reward - welcome - birthday - inputs.fixed)
        cumulative += incremental
        rows.append((
            month, members, others, members_without, member_revenue + other_revenue,
            member_revenue_without + other_revenue,
            (member_revenue + other_revenue) * inputs.margin,
            (member_revenue_without + other_revenue) * inputs.margin,
            reward, welcome, birthday, inputs.fixed, incremental, cumulative,
        ))
    return pd.DataFrame.from_records(rows, columns=list(PROJECTION_COLUMNS))


def _payback_month(cumulative: pd.Series) -> int | None:
    """The first month from which the cumulative incremental profit stays ≥ 0."""
    payback = None
    for month, value in enumerate(cumulative, start=1):
        if value < 0:
            payback = None
        elif payback is None:
            payback = month
    return payback


def _lifetime(retention: float) -> float:
    """T = 1 / (1 − r) months, at most 120 (the LTV page's cap)."""
    if retention >= 1 - 1 / MAX_LIFETIME_MONTHS:
        return float(MAX_LIFETIME_MONTHS)
    return 1 / (1 - retention)
