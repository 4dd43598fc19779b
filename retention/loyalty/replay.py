"""The replay (DESIGN §7): a programme run on last year's actual orders of its members, exact.

Over L = (D − 365 days, D]: the candidates are the n customers with an order in L; the members
all of them (``joiners=everyone``) or m = round-half-up(participation × n) of them —
``most_active`` the m with the most orders in L (ties: higher net revenue in L, then customer
id as text), ``random`` the first m by the MD5 digest of "seed:customer id", a draw that any
seed reproduces on any machine and any DuckDB version. DuckDB selects the members and adds up,
per member, the order values (an order's value is the sum of its non-return lines: returns are
ignored, rewards are not clawed back) and the points or stamps of each order, in exact integer
arithmetic; the rewards are then worked out per member in Python's ``decimal`` arithmetic (60
significant digits), never in binary floats. :func:`member_rewards`, from a member's list of
order values, is the definition; the replay gives the same numbers without listing the orders:

* cashback: earned = redeemable = cashback_rate × Σ value;
* points: P = Σ ⌊earn_rate × value⌋; redeemable = ⌊P / threshold_points⌋ × threshold_points ×
  point_value; liability = (P mod threshold_points) × point_value; earned = P × point_value;
* stamps: S = Σ ⌊value / stamp_every⌋; redeemable = ⌊S / stamps_per_gift⌋ × gift_cost;
  liability = (S mod stamps_per_gift) × gift_cost / stamps_per_gift; earned = S × gift_cost /
  stamps_per_gift;
* tiers: spend = Σ value; the tier is the highest i with spend ≥ tier_thresholds[i], else the
  base tier; earned = redeemable = tier_rates[tier] × spend;
* cap_per_year caps redeemable; the excess is lost, neither earned back nor liability (earned
  stays what the rules give, before the cap).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pandas as pd

from retention.loyalty.programme import LoyaltyProgramme

MEMBER_COLUMNS = (
    "customer_id", "orders", "revenue", "collected", "earned", "redeemable", "liability", "tier",
)
TOTAL_NAMES = (
    "members", "member_orders", "member_revenue", "rewards_earned", "rewards_redeemable",
    "expected_reward_cost", "liability", "members_with_reward", "welcome_cost",
    "birthday_cost", "cost_share_of_member_revenue", "tiers",
)
BASE_TIER = "base"
# Enough digits that no division here (gift cost / stamps per gift) loses a cent.
_PRECISION = 60
_ZERO = Decimal(0)

_WINDOW = """
    dataset_id = $ds and date >= $as_of::date - 364 and date < $as_of::date + interval 1 day
"""

_CANDIDATES_SQL = f"select count(distinct customer_id) from orders where {_WINDOW}"

# Points or stamps of the year, per member: the sum over their orders of ⌊value × earn_rate⌋
# or ⌊value / stamp_every⌋, in integers so that nothing is rounded. An order's value (scale 4)
# becomes whole ten-thousandths; the rate travels as the two integers of its exact fraction
# ($rate_num / $rate_den), so ⌊v/10⁴ × n/d⌋ = (v·n) // (10⁴·d). Order values are never negative
# (a negative line is a return, and orders hold only purchase lines), so integer division is
# the floor. HUGEINT holds the products: v < 10¹⁸, the fraction's terms well under 10²⁰.
_COLLECTED = {
    "points": "sum((revenue * 10000)::hugeint * $rate_num // ($rate_den * 10000))",
    "stamps": "sum((revenue * 10000)::hugeint * $rate_den // ($rate_num * 10000))",
}
_NOTHING_COLLECTED = "null::hugeint"


def _members_sql(programme: str) -> str:
    """The members with their orders, revenue and points or stamps in the year (NULL for
    cashback and tiers), by customer id; ``programme`` picks the fragment from
    :data:`_COLLECTED`."""
    collected = _COLLECTED.get(programme, _NOTHING_COLLECTED)
    return f"""
with orders_in_year as (
    select customer_id, order_key, date, revenue from orders where {_WINDOW}
),
net_in_year as (
    select customer_id, sum(amount) as net_revenue from transactions where {_WINDOW}
    group by customer_id
),
candidates as (
    select customer_id, count(*) as orders, sum(revenue) as revenue,
           {collected} as collected
    from orders_in_year
    group by customer_id
),
ranked as (
    select c.*,
           row_number() over (order by c.orders desc, coalesce(n.net_revenue, 0) desc,
                              c.customer_id) as activity_rank,
           row_number() over (order by md5($seed || ':' || c.customer_id), c.customer_id)
               as draw_rank
    from candidates c
    left join net_in_year n using (customer_id)
)
select customer_id, orders, revenue, collected
from ranked
where case $joiners
          when 'most_active' then activity_rank <= $members
          when 'random' then draw_rank <= $members
          else true end
order by customer_id
"""


@dataclass(frozen=True)
class MemberRewards:
    """One member's rewards over the year: collected (points or stamps; None for cashback and
    tiers), earned, redeemable (after the cap), liability, tier (tiers only, else None)."""

    collected: int | None
    earned: Decimal
    redeemable: Decimal
    liability: Decimal
    tier: str | None


@dataclass(frozen=True)
class Replay:
    """The replay of one programme: ``members`` (one row per member, :data:`MEMBER_COLUMNS`,
    by customer id; money as Decimal), ``totals`` (DESIGN §7's names, :data:`TOTAL_NAMES`;
    money as Decimal, cost_share_of_member_revenue None without member revenue), the number
    of ``candidates`` and the year's first and last day."""

    window_start: dt.date
    window_end: dt.date
    candidates: int
    members: pd.DataFrame
    totals: dict[str, Any]

    @property
    def redeemable_share(self) -> float:
        """Rewards redeemable per unit of member revenue, before breakage (0 without member
        revenue): what the projection charges on projected member revenue."""
        revenue = self.totals["member_revenue"]
        return float(self.totals["rewards_redeemable"] / revenue) if revenue else 0.0


def tier_names(programme: LoyaltyProgramme) -> list[str]:
    """The tiers' names, base first: ``base``, ``tier_1`` (from tier_thresholds[0]), …"""
    return [BASE_TIER] + [f"tier_{i}" for i in range(1, len(programme.tier_thresholds) + 1)]


def member_rewards(programme: LoyaltyProgramme, values: Sequence[Decimal]) -> MemberRewards:
    """One member's rewards from the values of their orders in the year (module docstring)."""
    with decimal.localcontext() as context:
        context.prec = _PRECISION
        collected: int | None = None
        if programme.programme == "points":
            collected = sum(math.floor(programme.earn_rate * value) for value in values)
        elif programme.programme == "stamps":
            collected = sum(int(value // programme.stamp_every) for value in values)
        return _rewards(programme, sum(values, _ZERO), collected)


def _rewards(programme: LoyaltyProgramme, spend: Decimal, collected: int | None
             ) -> MemberRewards:
    """A member's rewards from their spend in the year and the points or stamps they
    collected (None for cashback and tiers)."""
    with decimal.localcontext() as context:
        context.prec = _PRECISION
        liability = _ZERO
        tier = None
        if programme.programme == "cashback":
            earned = redeemable = programme.cashback_rate * spend
        elif programme.programme == "points":
            assert collected is not None
            per_reward = programme.threshold_points
            redeemable = collected // per_reward * per_reward * programme.point_value
            liability = collected % per_reward * programme.point_value
            earned = collected * programme.point_value
        elif programme.programme == "stamps":
            assert collected is not None
            per_gift = programme.stamps_per_gift
            redeemable = collected // per_gift * programme.gift_cost
            liability = collected % per_gift * programme.gift_cost / per_gift
            earned = collected * programme.gift_cost / per_gift
        else:
            level = sum(1 for threshold in programme.tier_thresholds if spend >= threshold)
            tier = tier_names(programme)[level]
            earned = redeemable = programme.tier_rates[level] * spend
        if programme.cap_per_year is not None:
            redeemable = min(redeemable, programme.cap_per_year)
    return MemberRewards(collected, earned, redeemable, liability, tier)


def member_count(programme: LoyaltyProgramme, candidates: int) -> int:
    """How many of the ``candidates`` join: all with ``joiners=everyone``, else
    round-half-up(participation × candidates)."""
    if programme.joiners == "everyone":
        return candidates
    share = programme.participation * candidates
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def replay_programme(
    con: duckdb.DuckDBPyConnection, dataset_id: int, programme: LoyaltyProgramme, *,
    as_of: dt.date,
) -> Replay:
    """Replay ``programme`` on the year up to ``as_of`` (see the module docstring)."""
    params: dict[str, Any] = {"ds": dataset_id, "as_of": as_of}
    row = con.execute(_CANDIDATES_SQL, params).fetchone()
    candidates = int(row[0]) if row else 0
    rows = con.execute(_members_sql(programme.programme), {
        **params, "seed": str(programme.seed), "joiners": programme.joiners,
        "members": member_count(programme, candidates), **_rate_fraction(programme),
    }).fetchall()
    records = []
    # Points and stamps rewards depend on the count alone: each count is worked out once.
    by_count: dict[int, MemberRewards] = {}
    for customer_id, orders, revenue, collected in rows:
        if collected is None:
            rewards = _rewards(programme, revenue, None)
        elif collected in by_count:
            rewards = by_count[collected]
        else:
            rewards = by_count[collected] = _rewards(programme, revenue, int(collected))
        records.append((customer_id, int(orders), revenue, rewards.collected, rewards.earned,
                        rewards.redeemable, rewards.liability, rewards.tier))
    members = pd.DataFrame.from_records(records, columns=list(MEMBER_COLUMNS))
    return Replay(
        window_start=as_of - dt.timedelta(days=364),
        window_end=as_of,
        candidates=candidates,
        members=members,
        totals=replay_totals(programme, members),
    )


def _rate_fraction(programme: LoyaltyProgramme) -> dict[str, int]:
    """The parameters of :data:`_COLLECTED`'s fragment: the earn rate (points) or the money per
    stamp (stamps) as the numerator and denominator of its exact fraction; none otherwise
    (DuckDB refuses a parameter the query does not use)."""
    rate = {"points": programme.earn_rate, "stamps": programme.stamp_every}.get(
        programme.programme)
    if rate is None:
        return {}
    numerator, denominator = rate.as_integer_ratio()
    return {"rate_num": numerator, "rate_den": denominator}


def replay_totals(programme: LoyaltyProgramme, members: pd.DataFrame) -> dict[str, Any]:
    """DESIGN §7's totals from the per-member table (:data:`MEMBER_COLUMNS`)."""
    with decimal.localcontext() as context:
        context.prec = _PRECISION
        count = len(members)
        revenue = sum(members["revenue"], _ZERO)
        redeemable = sum(members["redeemable"], _ZERO)
        expected = redeemable * (1 - programme.breakage)
        welcome = count * programme.welcome_bonus
        birthday = count * programme.birthday_gift
        cost_share = (expected + welcome + birthday) / revenue if revenue else None
        tiers = {}
        if programme.programme == "tiers":
            tiers = {name: int((members["tier"] == name).sum())
                     for name in tier_names(programme)}
        return {
            "members": count,
            "member_orders": int(members["orders"].sum()),
            "member_revenue": revenue,
            "rewards_earned": sum(members["earned"], _ZERO),
            "rewards_redeemable": redeemable,
            "expected_reward_cost": expected,
            "liability": sum(members["liability"], _ZERO),
            "members_with_reward": int((members["redeemable"] > 0).sum()),
            "welcome_cost": welcome,
            "birthday_cost": birthday,
            "cost_share_of_member_revenue": cost_share,
            "tiers": tiers,
        }
