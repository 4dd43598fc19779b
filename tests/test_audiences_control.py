"""The control group: its size per ladder step (round half up), the same split for the same
seed, and the smallest difference the split can detect."""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import pandas as pd
import pytest
from audience_helpers import make_dataset

from retention.audiences.control import (
    assign_groups,
    baseline_rate,
    control_size,
    detectable_difference,
)


@pytest.mark.parametrize(("customers", "share", "size"), [
    (25, 0.1, 3),   # 2.5 rounds up
    (15, 0.1, 2),   # 1.5 rounds up
    (14, 0.1, 1),
    (5, 0.1, 1),    # 0.5 rounds up
    (4, 0.1, 0),
    (35, 0.3, 11),  # 10.5, which 0.3 × 35 in floating point would miss (10.499999…)
    (0, 0.5, 0),
    (7, 0, 0),
])
def test_control_size_is_share_times_customers_rounded_half_up(customers, share, size):
    assert control_size(customers, share) == size


def listed(counts):
    """Members per step: customer ids s-<step>-<n>."""
    rows = [(f"{step}-{n:02d}", step) for step, count in counts.items() for n in range(count)]
    return pd.DataFrame(rows, columns=["customer_id", "step"])


def test_the_control_group_is_drawn_per_ladder_step():
    members = listed({"buyer": 25, "repeat": 15, "loyal": 4})
    groups = assign_groups(members, 0.1, seed=0)
    control = members[groups == "control"]
    assert control["step"].value_counts().to_dict() == {"buyer": 3, "repeat": 2}
    assert (groups == "treatment").sum() == 39


def test_the_same_seed_gives_the_same_split_whatever_the_row_order():
    members = listed({"buyer": 25, "repeat": 15})
    first = assign_groups(members, 0.2, seed=7)
    shuffled = members.sample(frac=1, random_state=3)
    again = assign_groups(shuffled, 0.2, seed=7)
    assert again.loc[members.index].tolist() == first.tolist()
    others = [assign_groups(members, 0.2, seed=seed) for seed in range(8, 12)]
    assert any(other.tolist() != first.tolist() for other in others)


def test_a_step_keeps_its_split_when_another_step_grows():
    small = listed({"buyer": 10, "repeat": 20})
    grown = listed({"buyer": 30, "repeat": 20})
    split = assign_groups(small, 0.25, seed=1)
    after = assign_groups(grown, 0.25, seed=1)
    def repeat_control(members, groups):
        return sorted(members.loc[(groups == "control") & (members["step"] == "repeat"),
                                  "customer_id"])
    assert repeat_control(small, split) == repeat_control(grown, after)


def test_the_detectable_difference_follows_the_normal_approximation():
    # Cohen's h for a two-sided 5% test with 80% power: (z₀.₉₇₅ + z₀.₈) × √(1/n₁ + 1/n₀)
    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    h = z * math.sqrt(1 / 900 + 1 / 100)
    expected = math.sin(math.asin(math.sqrt(0.2)) + h / 2) ** 2 - 0.2
    assert detectable_difference(900, 100, 0.2) == pytest.approx(expected, rel=1e-5)
    assert detectable_difference(900, 100, 0.2) == pytest.approx(0.1294, abs=1e-4)
    # from a rate of 0, h alone: sin²(h / 2)
    assert detectable_difference(900, 100, 0.0) == pytest.approx(math.sin(h / 2) ** 2, rel=1e-5)
    # a tiny list can only detect everything: capped at 1 − baseline
    assert detectable_difference(2, 1, 0.9) == pytest.approx(0.1)
    assert detectable_difference(10, 0, 0.2) is None
    assert detectable_difference(0, 10, 0.2) is None


def test_the_baseline_rate_is_who_bought_again_within_the_window(workspace):
    # as of 2025-06-30 with 30 days: A, B, C had ordered by 2025-05-31; A and B (on the
    # window's last and first day) bought again, C did not; D is new in the window
    dataset_id = make_dataset(workspace, [
        ("A", "2025-01-01", 10.0), ("A", "2025-06-30", 10.0),
        ("B", "2025-05-31", 10.0), ("B", "2025-06-01", 10.0),
        ("C", "2025-03-01", 10.0),
        ("D", "2025-06-15", 10.0),
        ("A", "2025-07-01", 10.0),  # after D: ignored
        ("C", "2025-07-02", 10.0),
    ])
    con = workspace.cursor()
    assert baseline_rate(con, dataset_id, as_of=dt.date(2025, 6, 30),
                         window_days=30) == pytest.approx(2 / 3)
    assert baseline_rate(con, dataset_id, as_of=dt.date(2024, 6, 30), window_days=30) is None
