"""The replay of DESIGN §7 on hand-made tables, every number worked out by hand.

D = 2025-12-31, so the year L = (2024-12-31, 2025-12-31] is 2025-01-01 … 2025-12-31.

    A: 100.00 on Mar 1 (o1), 150.00 on Jun 1 (o2)                 orders 2, value 250.00
    B: 99.99 on Feb 1 (o3), 50.50 on Apr 1 (o4), a return of −50.50 on Apr 2
                                                                  orders 2, value 150.49
    C: 500.00 on 2024-12-31 (exactly 365 days before D: outside L), 260.40 on Dec 31 (o6)
                                                                  orders 1, value 260.40
    E: 1000.00 on 2026-01-01 — after D: not a candidate
    F: one order o8 of two lines on May 5, 300.00 + 200.00        orders 1, value 500.00

Candidates A, B, C, F; member revenue 250 + 150.49 + 260.40 + 500 = 1160.89; 6 orders. B's
return is ignored: rewards are earned on the order values, and not clawed back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal, localcontext

import pandas as pd
import pytest

from retention.ingest import load_file
from retention.loyalty import LoyaltyProgramme
from retention.loyalty.replay import (
    MEMBER_COLUMNS,
    member_count,
    member_rewards,
    replay_programme,
    replay_totals,
)
from retention.sample import write_sample_csv
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2025, 12, 31)

YEAR = """customer,date,amount,order_id
A,2025-03-01,100.00,o1
A,2025-06-01,150.00,o2
B,2025-02-01,99.99,o3
B,2025-04-01,50.50,o4
B,2025-04-02,-50.50,o4r
C,2024-12-31,500.00,o5
C,2025-12-31,260.40,o6
E,2026-01-01,1000.00,o7
F,2025-05-05,300.00,o8
F,2025-05-05,200.00,o8
"""

# For "most active first": orders in L, then net revenue in L (returns netted), then the id.
#   A1: 3 orders of 10                       orders 3, net 30
#   A0: 3 orders of 10, 10, 20 and −20 back   orders 3, net 20 (value 40: the tie goes by net)
#   B0, B1: 2 orders of 25 each               orders 2, net 50 — tied: B0 before B1
#   C0: 1 order of 1000                       orders 1
# (No order id starts with "c": that marks a cancellation, a return.)
# Ranking A1, A0, B0, B1, C0.
RANKING = """customer,date,amount,order_id
A1,2025-01-10,10,a1
A1,2025-02-10,10,a2
A1,2025-03-10,10,a3
A0,2025-01-11,10,b1
A0,2025-02-11,10,b2
A0,2025-03-11,20,b3
A0,2025-03-12,-20,b3r
B1,2025-04-01,25,g1
B1,2025-05-01,25,g2
B0,2025-04-02,25,d1
B0,2025-05-02,25,d2
C0,2025-06-01,1000,e1
"""


def _dataset(tmp_path, text: str, name: str):
    ws = fresh_workspace(tmp_path, f"{name}.duckdb")
    report = load_file(ws, write(tmp_path, f"{name}.csv", text), dataset=name)
    return ws.cursor(), report.dataset_id


@pytest.fixture
def year(tmp_path):
    return _dataset(tmp_path, YEAR, "year")


@pytest.fixture
def ranking(tmp_path):
    return _dataset(tmp_path, RANKING, "ranking")


EVERYONE = LoyaltyProgramme(joiners="everyone", breakage=Decimal("0.2"),
                            welcome_bonus=Decimal(1), birthday_gift=Decimal(2))


def _divided(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole to the replay's 60 significant digits."""
    with localcontext(prec=60):
        return part / whole


def _by_customer(replay, column: str) -> dict[str, object]:
    return dict(zip(replay.members["customer_id"], replay.members[column], strict=True))


def test_points_threshold_hit_exactly_and_balances_carried_as_liability(year):
    con, ds = year
    replay = replay_programme(con, ds, EVERYONE, as_of=D)
    # points: A 100 + 150 = 250 (exactly one reward); B ⌊99.99⌋ + ⌊50.50⌋ = 149 (none);
    # C ⌊260.40⌋ = 260 (one, 10 left); F 500 (two)
    assert _by_customer(replay, "collected") == {"A": 250, "B": 149, "C": 260, "F": 500}
    assert _by_customer(replay, "redeemable") == {
        "A": Decimal("5.00"), "B": Decimal(0), "C": Decimal("5.00"), "F": Decimal("10.00")}
    # liability = points left × 0.02: B 149 → 2.98, C 10 → 0.20
    assert _by_customer(replay, "liability") == {
        "A": Decimal(0), "B": Decimal("2.98"), "C": Decimal("0.20"), "F": Decimal(0)}
    assert _by_customer(replay, "earned") == {
        "A": Decimal("5.00"), "B": Decimal("2.98"), "C": Decimal("5.20"), "F": Decimal("10.00")}
    assert replay.candidates == 4
    assert replay.totals == {
        "members": 4,
        "member_orders": 6,
        "member_revenue": Decimal("1160.89"),
        "rewards_earned": Decimal("23.18"),
        "rewards_redeemable": Decimal("20.00"),
        "expected_reward_cost": Decimal("16.00"),  # 20 × (1 − 0.2)
        "liability": Decimal("3.18"),
        "members_with_reward": 3,
        "welcome_cost": Decimal(4),  # 4 members × 1
        "birthday_cost": Decimal(8),  # 4 members × 2
        "cost_share_of_member_revenue": _divided(Decimal(16 + 4 + 8), Decimal("1160.89")),
        "tiers": {},
    }
    assert replay.redeemable_share == pytest.approx(20 / 1160.89)


def test_a_cap_that_binds_loses_the_excess(year):
    con, ds = year
    replay = replay_programme(con, ds, replace(EVERYONE, cap_per_year=Decimal("7.50")), as_of=D)
    # F's 10.00 is capped at 7.50; the 2.50 above it is neither redeemable nor liability
    assert _by_customer(replay, "redeemable")["F"] == Decimal("7.50")
    assert replay.totals["rewards_redeemable"] == Decimal("17.50")
    assert replay.totals["liability"] == Decimal("3.18")
    assert replay.totals["rewards_earned"] == Decimal("23.18")


def test_stamps_per_order_with_a_partly_filled_card(year):
    con, ds = year
    stamps = replace(EVERYONE, programme="stamps", stamp_every=Decimal(100), stamps_per_gift=2,
                     gift_cost=Decimal(30))
    replay = replay_programme(con, ds, stamps, as_of=D)
    # stamps per order: A 1 + 1; B 0 + 0 (99.99 and 50.50 are each under 100); C 2; F 5
    assert _by_customer(replay, "collected") == {"A": 2, "B": 0, "C": 2, "F": 5}
    # F: 2 gifts of 30, and 1 stamp of 2 on the card: 1 × 30 / 2 = 15 of liability
    assert _by_customer(replay, "redeemable") == {
        "A": Decimal(30), "B": Decimal(0), "C": Decimal(30), "F": Decimal(60)}
    assert _by_customer(replay, "liability")["F"] == Decimal(15)
    assert replay.totals["rewards_earned"] == Decimal(135)  # 9 stamps × 15
    assert replay.totals["rewards_redeemable"] == Decimal(120)
    assert replay.totals["members_with_reward"] == 3


def test_cashback_on_order_values_ignores_returns(year):
    con, ds = year
    replay = replay_programme(con, ds, replace(EVERYONE, programme="cashback",
                                               cashback_rate=Decimal("0.02")), as_of=D)
    # B earns on 99.99 + 50.50 although 50.50 came back
    assert _by_customer(replay, "earned")["B"] == Decimal("3.0098")
    assert replay.totals["rewards_redeemable"] == Decimal("23.2178")  # 2% of 1160.89
    assert replay.totals["liability"] == 0


def test_tier_boundaries_hit_exactly(year):
    con, ds = year
    tiers = replace(EVERYONE, programme="tiers", tier_thresholds=(Decimal(250), Decimal(500)),
                    tier_rates=(Decimal("0.01"), Decimal("0.02"), Decimal("0.05")))
    replay = replay_programme(con, ds, tiers, as_of=D)
    # A's 250.00 and F's 500.00 sit exactly on a threshold and reach that tier
    assert _by_customer(replay, "tier") == {
        "A": "tier_1", "B": "base", "C": "tier_1", "F": "tier_2"}
    assert _by_customer(replay, "redeemable") == {
        "A": Decimal("5.00"), "B": Decimal("1.5049"), "C": Decimal("5.208"),
        "F": Decimal("25.00")}
    assert replay.totals["tiers"] == {"base": 1, "tier_1": 2, "tier_2": 1}


@pytest.mark.parametrize(("participation", "members"), [
    ("0.1", ["A1"]),                     # 0.5 → 1
    ("0.3", ["A0", "A1"]),               # 1.5 → 2
    ("0.5", ["A0", "A1", "B0"]),         # 2.5 → 3 (half up, not to even)
    ("0.7", ["A0", "A1", "B0", "B1"]),   # 3.5 → 4
    ("1", ["A0", "A1", "B0", "B1", "C0"]),
])
def test_most_active_first_with_ties_by_net_revenue_then_id(ranking, participation, members):
    con, ds = ranking
    programme = LoyaltyProgramme(joiners="most_active", participation=Decimal(participation))
    replay = replay_programme(con, ds, programme, as_of=D)
    assert replay.members["customer_id"].tolist() == members  # listed by customer id
    assert replay.candidates == 5


def test_participation_rounds_half_up():
    share = LoyaltyProgramme(joiners="random", participation=Decimal("0.25"))
    assert [member_count(share, n) for n in (1, 2, 3, 6, 10)] == [0, 1, 1, 2, 3]
    # 0.25, 0.5 → 1, 0.75 → 1, 1.5 → 2, 2.5 → 3
    everyone = LoyaltyProgramme(joiners="everyone", participation=Decimal(0))
    assert member_count(everyone, 7) == 7


def test_random_members_are_reproducible_for_a_seed(ranking):
    con, ds = ranking

    def drawn(seed: int) -> list[str]:
        programme = LoyaltyProgramme(joiners="random", participation=Decimal("0.4"), seed=seed)
        return replay_programme(con, ds, programme, as_of=D).members["customer_id"].tolist()

    draws = {seed: drawn(seed) for seed in range(8)}
    assert all(len(members) == 2 for members in draws.values())  # 0.4 × 5 = 2
    assert drawn(3) == draws[3]
    assert len({tuple(members) for members in draws.values()}) > 1


def test_points_are_floored_per_order_not_per_member():
    programme = LoyaltyProgramme(earn_rate=Decimal("1.5"), threshold_points=10,
                                 point_value=Decimal("0.1"))
    rewards = member_rewards(programme, [Decimal("9.99"), Decimal("9.99")])
    # ⌊14.985⌋ + ⌊14.985⌋ = 28, not ⌊29.97⌋ = 29; 2 rewards of 10 points, 8 points left
    assert (rewards.collected, rewards.redeemable, rewards.liability) == (
        28, Decimal("2.0"), Decimal("0.8"))


def test_more_breakage_never_costs_more(year):
    con, ds = year
    members = replay_programme(con, ds, EVERYONE, as_of=D).members
    costs = [replay_totals(replace(EVERYONE, breakage=Decimal(b) / 10), members)
             ["expected_reward_cost"] for b in range(11)]
    assert costs == sorted(costs, reverse=True)
    assert (costs[0], costs[-1]) == (Decimal("20.00"), Decimal(0))


def test_no_candidates_gives_empty_totals(year):
    con, ds = year
    replay = replay_programme(con, ds, EVERYONE, as_of=dt.date(2020, 1, 1))
    assert replay.members.empty
    assert replay.totals["members"] == 0
    assert replay.totals["cost_share_of_member_revenue"] is None
    assert replay.redeemable_share == 0.0


# -- the replay's integer sums equal the definition on each member's orders -------------------

# Values that sit exactly on a multiple of a rate a binary float would miss: 0.30 is 3 stamps of
# 0.10 (0.3 / 0.1 = 2.9999… in floats), 30.00 is 4 stamps of 7.50, and 0.07 × 100.00 = 7 points.
EXACT = """customer,date,amount,order_id
X,2025-03-01,0.30,x1
X,2025-03-02,30.00,x2
Y,2025-04-01,100.00,y1
Y,2025-04-02,0.00,y2
Z,2025-05-01,7.49,z1
"""


def _order_values(con, ds) -> dict[str, list[Decimal]]:
    """Each candidate's order values in the year, as the replay's definition takes them."""
    rows = con.execute(
        "select customer_id, list(revenue order by date, order_key) from orders"
        " where dataset_id = ? and date >= ?::date - 364 and date < ?::date + interval 1 day"
        " group by customer_id", [ds, D, D]
    ).fetchall()
    return dict(rows)


def _assert_replay_is_the_definition(con, ds, programme: LoyaltyProgramme) -> None:
    replay = replay_programme(con, ds, programme, as_of=D)
    values = _order_values(con, ds)
    assert len(replay.members) == len(values)
    for member in replay.members.itertuples(index=False):
        expected = member_rewards(programme, values[member.customer_id])
        got = (None if pd.isna(member.collected) else int(member.collected),
               member.earned, member.redeemable, member.liability, member.tier)
        assert got == (expected.collected, expected.earned, expected.redeemable,
                       expected.liability, expected.tier), member.customer_id


PROGRAMMES = [
    replace(EVERYONE, earn_rate=Decimal("0.07"), threshold_points=3),
    replace(EVERYONE, earn_rate=Decimal("1.5"), threshold_points=10, point_value=Decimal("0.1")),
    replace(EVERYONE, earn_rate=Decimal("0.0133"), cap_per_year=Decimal("0.01")),
    replace(EVERYONE, programme="stamps", stamp_every=Decimal("0.1"), stamps_per_gift=7,
            gift_cost=Decimal(10)),
    replace(EVERYONE, programme="stamps", stamp_every=Decimal("7.5"), stamps_per_gift=3,
            gift_cost=Decimal("9.99"), cap_per_year=Decimal(20)),
    replace(EVERYONE, programme="stamps", stamp_every=Decimal("33.33"), stamps_per_gift=2,
            gift_cost=Decimal(5)),
    replace(EVERYONE, programme="cashback", cashback_rate=Decimal("0.0375")),
    replace(EVERYONE, programme="tiers", tier_thresholds=(Decimal("30.30"), Decimal(100)),
            tier_rates=(Decimal("0.01"), Decimal("0.025"), Decimal("0.05")),
            cap_per_year=Decimal(3)),
]


@pytest.mark.parametrize("programme", PROGRAMMES,
                         ids=lambda p: f"{p.programme}-{p.earn_rate}-{p.stamp_every}")
def test_the_replay_equals_the_definition_on_exact_multiples(tmp_path, programme):
    con, ds = _dataset(tmp_path, EXACT, "exact")
    _assert_replay_is_the_definition(con, ds, programme)


def test_the_exact_multiples_by_hand(tmp_path):
    con, ds = _dataset(tmp_path, EXACT, "exact")
    stamps = replace(EVERYONE, programme="stamps", stamp_every=Decimal("0.1"))
    # X: 3 + 300; Y: 1000 + 0; Z: 74
    assert _by_customer(replay_programme(con, ds, stamps, as_of=D), "collected") == {
        "X": 303, "Y": 1000, "Z": 74}
    points = replace(EVERYONE, earn_rate=Decimal("0.07"))
    # X: ⌊0.021⌋ + ⌊2.1⌋ = 2; Y: ⌊7⌋ + 0 = 7; Z: ⌊0.5243⌋ = 0
    assert _by_customer(replay_programme(con, ds, points, as_of=D), "collected") == {
        "X": 2, "Y": 7, "Z": 0}


@pytest.fixture(scope="module")
def sample_shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay-sample")
    path = write_sample_csv(folder / "shop.csv", customers=600, seed=11)
    ws = fresh_workspace(folder, "shop.duckdb")
    ds = load_file(ws, path, dataset="shop").dataset_id
    last = ws.cursor().execute("select max(date)::date from transactions").fetchone()[0]
    return ws, ds, last


@pytest.mark.parametrize("programme", PROGRAMMES,
                         ids=lambda p: f"{p.programme}-{p.earn_rate}-{p.stamp_every}")
def test_the_replay_equals_the_definition_on_a_sample_shop(sample_shop, programme):
    ws, ds, last = sample_shop
    con = ws.cursor()
    replay = replay_programme(con, ds, programme, as_of=last)
    rows = con.execute(
        "select customer_id, list(revenue order by date, order_key) from orders"
        " where dataset_id = ? and date >= ?::date - 364 and date < ?::date + interval 1 day"
        " group by customer_id", [ds, last, last]
    ).fetchall()
    values = dict(rows)
    assert len(replay.members) == len(values) > 100
    expected_totals = replay_totals(programme, _reference_members(programme, values))
    assert replay.totals == expected_totals
    for member in replay.members.itertuples(index=False):
        expected = member_rewards(programme, values[member.customer_id])
        assert (member.earned, member.redeemable, member.liability, member.tier) == (
            expected.earned, expected.redeemable, expected.liability, expected.tier)


def _reference_members(programme, values):
    """The member table built the slow way, order by order, from the definition."""
    records = []
    for customer_id in sorted(values):
        order_values = values[customer_id]
        rewards = member_rewards(programme, order_values)
        records.append((customer_id, len(order_values), sum(order_values, Decimal(0)),
                        rewards.collected, rewards.earned, rewards.redeemable,
                        rewards.liability, rewards.tier))
    return pd.DataFrame.from_records(records, columns=list(MEMBER_COLUMNS))
