"""Every word of a portrait's name is true of its numbers (issue 10, point 21).

The rules are stated here a second time, from the definitions the other pages use, and checked
against numbers recomputed from the portraits' own customers — not against the model's facts —
on the sample shop and on hand-made planted groups, for several numbers of portraits.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics.ladder import customer_steps
from retention.models import portraits as portraits_model
from retention.models.portraits import (
    NAME_WORDS,
    PortraitFacts,
    customer_portraits,
    name_words,
)
from retention.sample import write_sample_csv
from tests.ingest_helpers import fresh_workspace, write
from tests.test_portraits import PLANTED_AS_OF, planted_purchases

W = 90  # the activity window: an order in (D − 90 days, D] makes a customer active


def more_than_half(count: int, customers: int) -> bool:
    return 2 * count > customers


# The card's numbers of one portrait, recomputed from its customers: n, recency and tenure
# medians (days), the share that bought once, the average check and the base's, the mean
# return rate, and how many stand on the ladder's repeat / regular / loyal step or higher.
LIFECYCLE_RULES = {
    "New": lambda c: c["tenure"] < W,
    "Loyal": lambda c: more_than_half(c["loyal"], c["n"]),
    "Active": lambda c: c["recency"] < W,
    "Drifting": lambda c: W <= c["recency"] < 2 * W,
    "Lapsed": lambda c: c["recency"] >= 2 * W,
}
HABIT_RULES = {
    "returners": lambda c: c["return_rate"] >= 0.2,
    "big spenders": lambda c: c["base_check"] > 0 and c["check"] >= 1.5 * c["base_check"],
    "one-timers": lambda c: c["bought_once"] > 0.5,
    "regulars": lambda c: more_than_half(c["regular"], c["n"]),
    "small spenders": lambda c: c["base_check"] > 0 and c["check"] <= c["base_check"] * 2 / 3,
    "repeat buyers": lambda c: more_than_half(c["repeat"], c["n"]),
    "shoppers": lambda c: True,
}
# "· trait": (the card's number, True when the portrait has the highest of its namesakes)
TRAIT_RULES = {
    "longer gone": ("recency", True), "more recent": ("recency", False),
    "more orders": ("orders", True), "fewer orders": ("orders", False),
    "bigger baskets": ("check", True), "smaller baskets": ("check", False),
    "longer-standing": ("tenure", True), "newer": ("tenure", False),
    "higher spend": ("revenue", True), "lower spend": ("revenue", False),
}


def card_numbers(result, steps: pd.Series) -> dict[int, dict[str, float]]:
    """Each portrait's numbers, from its customers (``steps``: ladder position per customer)."""
    customers = result.assignments
    base_check = customers["net_revenue"].sum() / customers["orders"].sum()
    numbers = {}
    for portrait, members in customers.groupby("portrait"):
        position = steps.loc[members["customer_id"]].to_numpy()
        numbers[int(portrait)] = {
            "n": len(members),
            "recency": members["recency_days"].median(),
            "tenure": members["tenure_days"].median(),
            "orders": members["orders"].median(),
            "revenue": members["net_revenue"].median(),
            "bought_once": (members["orders"] == 1).mean(),
            "check": members["net_revenue"].sum() / members["orders"].sum(),
            "base_check": base_check,
            "return_rate": members["return_rate"].mean(),
            "repeat": int((position >= 2).sum()),
            "regular": int((position >= 3).sum()),
            "loyal": int((position >= 4).sum()),
        }
    return numbers


def parse(name: str) -> tuple[str | None, str, str | None]:
    """(life-cycle word, habit words, trait) of "Lapsed one-timers · more recent 2"."""
    base, _, trait = name.partition(" · ")
    trait = re.sub(r" \d+$", "", trait) or None
    base = re.sub(r" \d+$", "", base)
    first, _, rest = base.partition(" ")
    if first in LIFECYCLE_RULES:
        return first, rest, trait
    return None, base[:1].lower() + base[1:], trait


def check_every_word(con, dataset_id, result) -> list[str]:
    """Assert every word of every name against the recomputed numbers; returns the names."""
    steps = customer_steps(con, dataset_id, as_of=result.as_of).set_index(
        "customer_id")["step_position"]
    numbers = card_numbers(result, steps)
    summary = result.summary.set_index("portrait")
    names = summary["name"].to_dict()
    for portrait, name in names.items():
        card = numbers[portrait]
        row = summary.loc[portrait]
        # the card shows these numbers
        assert (row["median_recency_days"], row["median_tenure_days"], row["median_orders"]) == (
            card["recency"], card["tenure"], card["orders"]), name
        assert row["avg_check"] == pytest.approx(card["check"]), name
        assert (row["repeat_clients"], row["regulars"], row["loyal_customers"]) == (
            card["repeat"], card["regular"], card["loyal"]), name
        lifecycle, habit, trait = parse(name)
        assert habit in HABIT_RULES, name
        assert HABIT_RULES[habit](card), (name, card)
        if lifecycle is not None:
            assert LIFECYCLE_RULES[lifecycle](card), (name, card)
        if trait is not None:
            column, highest = TRAIT_RULES[trait]
            namesakes = [numbers[p][column] for p, other in names.items()
                         if p != portrait and parse(other)[:2] == (lifecycle, habit)]
            assert namesakes, name
            if highest:
                assert card[column] > max(namesakes), (name, card[column], namesakes)
            else:
                assert card[column] < min(namesakes), (name, card[column], namesakes)
    return list(names.values())


@pytest.fixture(scope="module")
def sample_shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    ws = fresh_workspace(folder)
    report = load_file(ws, write_sample_csv(folder / "sample.csv"), dataset="sample")
    return ws, report.dataset_id


@pytest.mark.parametrize("k", [None, 5, 8, 12])
def test_every_word_is_true_on_the_sample_shop(sample_shop, k):
    ws, ds = sample_shop
    result = customer_portraits(ws.cursor(), ds, as_of=dt.date(2026, 10, 31), n_clusters=k)

    names = check_every_word(ws.cursor(), ds, result)
    assert len(set(names)) == len(names)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    ws = fresh_workspace(folder)
    text, _ = planted_purchases()
    report = load_file(ws, write(folder, "planted.csv", text), dataset="planted")
    return ws, report.dataset_id


@pytest.mark.parametrize("k", [3, 4, 6])
def test_every_word_is_true_on_planted_groups(planted, k):
    ws, ds = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF, n_clusters=k)

    names = check_every_word(ws.cursor(), ds, result)
    if k == 3:
        # the regulars order every few weeks, but fewer than half in 9 months of the last
        # year: "loyal" by the ladder's rule is not true of them, "active" is
        assert sorted(names) == ["Active regulars", "Lapsed one-timers", "New big spenders"]


WORDS_AS_OF = dt.date(2025, 6, 30)


def planted_words(per_group: int = 30, seed: int = 3) -> str:
    """Five groups, each true of one name, with spread inside:
    L loyal regulars: an order in each of the last 24 months, checks around 50;
    D drifting repeat buyers: 2–3 orders, the last 100–170 days ago, checks around 70;
    R lapsed returners: one order of around 60, 300–500 days ago, 60–90% of it returned;
    S active small spenders: two orders of around 8, the first 150–300 days ago, the last
      in the last 60 days;
    N new big spenders: one order of around 400 in the last 30 days."""
    rng = np.random.default_rng(seed)
    lines = ["customer_id,date,amount,order_id"]
    order = 0

    def add(customer: str, days_ago: int, amount: float) -> None:
        nonlocal order
        order += 1
        day = WORDS_AS_OF - dt.timedelta(days=int(days_ago))
        lines.append(f"{customer},{day.isoformat()},{amount:.2f},O{order}")

    def around(typical: float) -> float:
        return float(typical * rng.lognormal(0, 0.2))

    for i in range(per_group):
        for month in range(24):
            add(f"L{i:02d}", 30 * month + int(rng.integers(0, 20)), around(50))
        last = int(rng.integers(100, 171))
        for extra in range(int(rng.integers(1, 3))):
            add(f"D{i:02d}", last + 40 * (extra + 1) + int(rng.integers(0, 30)), around(70))
        add(f"D{i:02d}", last, around(70))
        bought, days_ago = around(60), int(rng.integers(300, 501))
        add(f"R{i:02d}", days_ago, bought)
        add(f"R{i:02d}", days_ago - 5, -bought * float(rng.uniform(0.6, 0.9)))
        add(f"S{i:02d}", int(rng.integers(150, 301)), around(8))
        add(f"S{i:02d}", int(rng.integers(0, 61)), around(8))
        add(f"N{i:02d}", int(rng.integers(0, 31)), around(400))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def words_shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("words")
    ws = fresh_workspace(folder)
    report = load_file(ws, write(folder, "words.csv", planted_words()), dataset="words")
    return ws, report.dataset_id


def test_planted_groups_get_the_names_their_numbers_bear_out(words_shop):
    ws, ds = words_shop
    result = customer_portraits(ws.cursor(), ds, as_of=WORDS_AS_OF, n_clusters=5)

    names = check_every_word(ws.cursor(), ds, result)
    assert sorted(names) == ["Active small spenders", "Drifting repeat buyers",
                             "Lapsed returners", "Loyal regulars", "New big spenders"]
    groups = result.assignments.assign(group=result.assignments["customer_id"].str[0])
    assert groups.groupby("name", observed=True)["group"].nunique().eq(1).all()


@pytest.mark.parametrize("k", [7, 9])
def test_every_word_is_true_when_planted_groups_split(words_shop, k):
    ws, ds = words_shop
    result = customer_portraits(ws.cursor(), ds, as_of=WORDS_AS_OF, n_clusters=k)

    names = check_every_word(ws.cursor(), ds, result)
    assert len(set(names)) == k


def test_a_shorter_activity_window_changes_the_recency_words(planted):
    ws, ds = planted
    # the new big spenders' median first and last order: 16 days ago
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF, n_clusters=3,
                                window_days=14)

    assert result.window_days == 14
    names = set(result.summary["name"])
    assert "Drifting big spenders" in names  # 14 ≤ 16 < 28: past the window, not twice it
    assert "New big spenders" not in names


def facts(**values) -> PortraitFacts:
    """A portrait of 40 customers that no word but "Lapsed" and "shoppers" fits, changed by
    ``values``."""
    base = dict(customers=40, median_recency_days=400.0, median_tenure_days=500.0,
                median_orders=2.0, avg_check=100.0, base_avg_check=100.0, return_rate=0.0,
                repeat_clients=20, regulars=0, loyal=0, window_days=90)
    return PortraitFacts(**{**base, **values})


@pytest.mark.parametrize(("values", "words"), [
    ({}, ("lapsed", "shoppers")),
    # recency against W = 90: 89 days is inside the window, 90 is not; 180 is two windows
    ({"median_recency_days": 89.5}, ("active", "shoppers")),
    ({"median_recency_days": 90.0}, ("drifting", "shoppers")),
    ({"median_recency_days": 179.5}, ("drifting", "shoppers")),
    ({"median_recency_days": 180.0}, ("lapsed", "shoppers")),
    ({"median_recency_days": 10.0, "median_tenure_days": 89.0}, ("new", "shoppers")),
    ({"median_recency_days": 10.0, "median_tenure_days": 90.0}, ("active", "shoppers")),
    # more than half: 20 of 40 is not, 21 is
    ({"loyal": 20}, ("lapsed", "shoppers")),
    ({"loyal": 21, "regulars": 21, "repeat_clients": 21}, ("loyal", "regulars")),
    ({"repeat_clients": 21}, ("lapsed", "repeat_buyers")),
    # the median customer bought once, or between once and twice (1.5: not one-timers)
    ({"median_orders": 1.0}, ("lapsed", "one_timers")),
    ({"median_orders": 1.5}, ("lapsed", "shoppers")),
    # the average check against everyone's: 1.5 times and two thirds are the edges
    ({"avg_check": 150.0}, ("lapsed", "big_spenders")),
    ({"avg_check": 149.99}, ("lapsed", "shoppers")),
    ({"avg_check": 100.0, "base_avg_check": 150.0}, ("lapsed", "small_spenders")),
    ({"avg_check": 100.01, "base_avg_check": 150.0}, ("lapsed", "shoppers")),
    ({"avg_check": 10.0, "base_avg_check": -5.0}, ("lapsed", "shoppers")),
    ({"return_rate": 0.2, "avg_check": 500.0}, ("lapsed", "returners")),
    ({"return_rate": 0.19}, ("lapsed", "shoppers")),
    ({"median_recency_days": float("nan")}, (None, "shoppers")),
])
def test_each_word_s_rule_at_its_edges(values, words):
    assert name_words(facts(**values)) == words


def test_every_word_has_a_label_and_a_kind():
    assert {word.kind for word in NAME_WORDS.values()} == {"lifecycle", "habit"}
    assert {word.label for word in NAME_WORDS.values() if word.kind == "lifecycle"} == set(
        LIFECYCLE_RULES)
    assert {word.label for word in NAME_WORDS.values() if word.kind == "habit"} == set(
        HABIT_RULES)
    assert {label for pair in portraits_model.TRAITS.values() for label in pair} == set(
        TRAIT_RULES)
