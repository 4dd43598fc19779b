"""How a portrait is named and what to do about it: the words of its name, the rule behind
each word, and the suggested action.

A name is a life-cycle word and a habit word ("Lapsed one-timers", "Loyal regulars"), each
chosen only among the words of :data:`NAME_WORDS` whose rule holds for the numbers the
portrait's card shows (:class:`PortraitFacts`), by the definitions the other pages use (the
activity window, the ladder's steps). Two portraits of one name get the trait in which one of
them is the highest or lowest ("· more recent"), then a number; the suggested action follows
from the two words.

Names rest on the portrait's medians and shares, never on the z-scores of the profile chart:
"active" said of a portrait whose median customer last ordered 156 days ago, because 156 days
is fewer than the base's average, contradicted the 90-day activity window every other page
uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from retention.i18n import N_, t

# ask → prioritise → motivate → reward → consolidate → implement: the retention plan's steps.
ACTION_STEPS = ("ask", "prioritise", "motivate", "reward", "consolidate", "implement")
ACTION_STEP_LABELS = {
    "ask": N_("Ask"), "prioritise": N_("Prioritise"), "motivate": N_("Motivate"),
    "reward": N_("Reward"),
    "consolidate": N_("Consolidate"), "implement": N_("Implement"),
}

DEFAULT_WINDOW_DAYS = 90
# A portrait's average check against the whole base's (net revenue / orders of everyone).
BIG_CHECK_RATIO = 1.5
SMALL_CHECK_RATIO = 2 / 3
# Returned value as a share of purchased value (the mean of the customers' return rates).
RETURNER_RATE = 0.2


@dataclass(frozen=True)
class PortraitFacts:
    """The numbers on a portrait's card that the words of its name are checked against.

    Medians are over the portrait's customers (pandas' median: the mean of the two middle
    values for an even count); ``avg_check`` is the portrait's net revenue / its orders and
    ``base_avg_check`` the same over every customer; ``return_rate`` is the mean of its
    customers' return rates; ``repeat_clients``, ``regulars`` and ``loyal`` count its customers
    on that ladder step or higher (the Ladder page's saved thresholds; None without a ladder);
    ``window_days`` is the activity window W.
    """

    customers: int
    median_recency_days: float
    median_tenure_days: float
    median_orders: float
    avg_check: float
    base_avg_check: float
    return_rate: float
    repeat_clients: int | None
    regulars: int | None
    loyal: int | None
    window_days: int

    @classmethod
    def from_summary(cls, row: Any, *, base_avg_check: float,
                     window_days: int) -> PortraitFacts:
        """The facts of one row of :class:`Portraits`' summary."""
        def count(column: str) -> int | None:
            value = row[column]
            return None if pd.isna(value) else int(value)

        return cls(
            customers=int(row["customers"]),
            median_recency_days=float(row["median_recency_days"]),
            median_tenure_days=float(row["median_tenure_days"]),
            median_orders=float(row["median_orders"]),
            avg_check=float(row["avg_check"]),
            base_avg_check=float(base_avg_check),
            return_rate=float(row["return_rate"]),
            repeat_clients=count("repeat_clients"),
            regulars=count("regulars"),
            loyal=count("loyal_customers"),
            window_days=int(window_days),
        )


def _more_than_half(count: int | None, customers: int) -> bool:
    return count is not None and 2 * count > customers


def _check_at_least(facts: PortraitFacts, ratio: float) -> bool:
    # multiplied, not divided, so a check of exactly 1.5 times the base's is 1.5 times it;
    # a base that is not positive (returns outweigh purchases) makes every comparison false
    return facts.base_avg_check > 0 and facts.avg_check >= ratio * facts.base_avg_check


def _check_at_most(facts: PortraitFacts, ratio: float) -> bool:
    return facts.base_avg_check > 0 and facts.avg_check <= ratio * facts.base_avg_check


@dataclass(frozen=True)
class NameWord:
    """One word a portrait's name may use: ``kind`` ('lifecycle' or 'habit'), the English
    ``label`` (translated where shown) and ``holds``, its rule on the card's numbers."""

    kind: str
    label: str
    holds: Callable[[PortraitFacts], bool]


# Every word a name may use and the one rule that makes it true, in order of preference within
# each kind: a name takes the first life-cycle word and the first habit word that hold. The
# recency words split every portrait into active, drifting or lapsed, and "shoppers" claims
# nothing, so every portrait gets a name. The README's "Customer portraits" lists these rules.
NAME_WORDS: dict[str, NameWord] = {
    # the median customer's first order lies inside the activity window
    "new": NameWord("lifecycle", N_("New"), lambda f: f.median_tenure_days < f.window_days),
    # more than half of them are loyal (or advocates) on the ladder
    "loyal": NameWord("lifecycle", N_("Loyal"), lambda f: _more_than_half(f.loyal, f.customers)),
    # the median customer's last order lies inside the activity window: active by its rule
    "active": NameWord("lifecycle", N_("Active"),
                       lambda f: f.median_recency_days < f.window_days),
    # the median customer's last order lies in the window before: W to 2W − 1 days ago
    "drifting": NameWord("lifecycle", N_("Drifting"),
                         lambda f: f.window_days <= f.median_recency_days < 2 * f.window_days),
    # the median customer has not ordered for two activity windows
    "lapsed": NameWord("lifecycle", N_("Lapsed"),
                       lambda f: f.median_recency_days >= 2 * f.window_days),
    # returns are at least RETURNER_RATE of what they bought, on average
    "returners": NameWord("habit", N_("returners"), lambda f: f.return_rate >= RETURNER_RATE),
    # their average check is at least BIG_CHECK_RATIO times everyone's
    "big_spenders": NameWord("habit", N_("big spenders"),
                             lambda f: _check_at_least(f, BIG_CHECK_RATIO)),
    # the median customer has one order: more than half of them bought once
    "one_timers": NameWord("habit", N_("one-timers"), lambda f: f.median_orders == 1),
    # more than half of them are regulars (or higher) on the ladder
    "regulars": NameWord("habit", N_("regulars"),
                         lambda f: _more_than_half(f.regulars, f.customers)),
    # their average check is at most SMALL_CHECK_RATIO of everyone's
    "small_spenders": NameWord("habit", N_("small spenders"),
                               lambda f: _check_at_most(f, SMALL_CHECK_RATIO)),
    # more than half of them are repeat clients (or higher) on the ladder
    "repeat_buyers": NameWord("habit", N_("repeat buyers"),
                              lambda f: _more_than_half(f.repeat_clients, f.customers)),
    "shoppers": NameWord("habit", N_("shoppers"), lambda f: True),
}


def name_words(facts: PortraitFacts) -> tuple[str | None, str]:
    """(life-cycle word, habit word) of :data:`NAME_WORDS` for a portrait: the first of each
    kind whose rule holds; no life-cycle word when none does (a recency that is unknown)."""
    lifecycle = next((key for key, word in NAME_WORDS.items()
                      if word.kind == "lifecycle" and word.holds(facts)), None)
    habit = next(key for key, word in NAME_WORDS.items()
                 if word.kind == "habit" and word.holds(facts))
    return lifecycle, habit


# Summary columns that tell two portraits of one name apart, shown on every card, with the
# words for (highest of them, lowest of them).
TRAITS = {
    "median_recency_days": (N_("longer gone"), N_("more recent")),
    "median_orders": (N_("more orders"), N_("fewer orders")),
    "avg_check": (N_("bigger baskets"), N_("smaller baskets")),
    "median_tenure_days": (N_("longer-standing"), N_("newer")),
    "median_net_revenue": (N_("higher spend"), N_("lower spend")),
}
_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "returners"): (
        "ask", N_("Ask what went wrong with the returned items — size, quality, description — "
               "and fix the cause before offering anything.")),
    ("new", "one_timers"): (
        "motivate", N_("Bring them back for a second purchase: a welcome series with a "
                    "time-limited offer in their first 30 days.")),
    ("new", "*"): (
        "reward", N_("Welcome them into the loyalty programme now: points on the next order "
                  "make the new habit stick.")),
    ("lapsed", "big_spenders"): (
        "ask", N_("Contact them personally and ask why they stopped buying; make a win-back "
               "offer only once you know the reason.")),
    ("drifting", "big_spenders"): (
        "ask", N_("Contact them personally before they drift away: ask what would bring them back "
               "more often, then act on the answer.")),
    ("lapsed", "one_timers"): (
        "prioritise", N_("Spend little here: one low-cost reminder, then move the budget to "
                      "portraits that respond.")),
    ("drifting", "one_timers"): (
        "prioritise", N_("Spend little here: one low-cost reminder, then move the budget to "
                      "portraits that respond.")),
    ("lapsed", "*"): (
        "motivate", N_("Send a win-back offer with a deadline, and stop mailing those who do "
                    "not react.")),
    ("drifting", "*"): (
        "motivate", N_("Reach them before they lapse: a personal offer built on what they "
                    "bought last.")),
    ("loyal", "big_spenders"): (
        "consolidate", N_("Give them personal attention — a named contact, early access, "
                       "invitations — so the relationship is hard to leave.")),
    ("loyal", "*"): (
        "reward", N_("Reward their loyalty: points, a higher tier, a birthday gift — and ask "
                  "them to recommend you.")),
    ("active", "big_spenders"): (
        "prioritise", N_("Put them first: priority service and a personal manager, because they "
                      "bring a large share of revenue.")),
    ("active", "regulars"): (
        "consolidate", N_("Turn the habit into membership: a tier or subscription that makes "
                       "coming back the default.")),
    ("active", "one_timers"): (
        "motivate", N_("Give them a reason for a second order soon: a follow-up offer tied to "
                    "their first purchase.")),
    ("*", "small_spenders"): (
        "implement", N_("Keep them on low-cost automated offers, and suggest add-ons that raise "
                     "the check.")),
    ("*", "*"): (
        "implement", N_("Put them on a regular automated programme — a monthly newsletter with "
                     "an offer — and watch who moves up the ladder.")),
}




def base_name(lifecycle: str | None, habit: str) -> str:
    """The two words of a name in the interface language ("Lapsed one-timers"); the habit
    word alone, capitalised, without a life-cycle word."""
    habit_word = t(NAME_WORDS[habit].label)
    if lifecycle is None:
        return habit_word[:1].upper() + habit_word[1:]
    return t("{lifecycle} {habit}", lifecycle=t(NAME_WORDS[lifecycle].label), habit=habit_word)


def unique_names(
    base_names: list[str], summary: pd.DataFrame
) -> tuple[list[str], list[tuple[str, bool] | None]]:
    """Unique names, and the (TRAITS column, is-the-highest) each "· …" part rests on.

    Portraits sharing a base name each get the trait in which they are strictly the highest or
    the lowest of them ("Lapsed one-timers · more recent"), the one with the widest relative
    gap to the nearest of the others; a portrait extreme in none keeps the base name, and a
    number sets apart whatever still repeats."""
    names: list[str] = list(base_names)
    traits: list[tuple[str, bool] | None] = [None] * len(base_names)
    for name in dict.fromkeys(base_names):
        members = [i for i, n in enumerate(base_names) if n == name]
        if len(members) < 2:
            continue
        for i in members:
            others = [m for m in members if m != i]
            best: tuple[float, str, bool] | None = None
            for column in TRAITS:
                mine = float(cast(float, summary.at[i, column]))  # TRAITS are numeric
                theirs = summary.loc[others, column].astype("float64").to_numpy()
                if math.isnan(mine) or np.isnan(theirs).any():
                    continue
                if mine > theirs.max():
                    nearest, higher = float(theirs.max()), True
                elif mine < theirs.min():
                    nearest, higher = float(theirs.min()), False
                else:
                    continue
                gap = abs(mine - nearest) / max(abs(mine), abs(nearest))
                if best is None or gap > best[0]:
                    best = (gap, column, higher)
            if best is not None:
                _, column, higher = best
                more, less = TRAITS[column]
                names[i] = t("{name} · {trait}", name=name, trait=t(more if higher else less))
                traits[i] = (column, higher)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[i] = f"{name} {seen[name]}"
    return names, traits


def suggested_action(lifecycle: str | None, habit: str) -> tuple[str, str]:
    """(one of ACTION_STEPS, the action in the interface language) for a name's two words:
    the most specific rule of the action table that matches."""
    life = lifecycle or "*"
    for key in ((life, habit), ("*", habit), (life, "*"), ("*", "*")):
        if key in _ACTIONS:
            step, text = _ACTIONS[key]
            return step, t(text)
    raise AssertionError("the ('*', '*') action always matches")
