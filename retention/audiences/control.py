"""The control group of a campaign list (DESIGN §8) and what the list can detect.

A control group is a random share of the list that is exported but not contacted, so that a
later load of orders can tell what the campaign changed (:mod:`retention.audiences.uplift`).
It is drawn per ladder step (stratified), so a list of many one-time buyers and a few loyal
customers has both in both groups; each step's control size is ``share × customers on the
step`` rounded half up (2.5 → 3), computed in decimals so 0.1 × 25 is exactly 2.5.

The draw is seeded: the same customers, share and seed give the same split, on any machine.
Each step draws from its own generator (seeded with the seed and the step's position), over its
customers in id order, so one step's split does not move when another step gains customers.

Before export the page shows the smallest difference in the repeat-purchase share the list can
detect: two-sided 5% significance, 80% power, for its treatment and control sizes (statsmodels'
normal power for two independent proportions, Cohen's effect size h), turned back into
percentage points around a baseline rate.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np
import pandas as pd

from retention.i18n import t
from retention.vocabulary import STEPS

GROUPS = ("treatment", "control")
DEFAULT_CONTROL_SHARE = 0.1
ALPHA = 0.05
POWER = 0.8


def check_share(share: float) -> float:
    """The control share when it is in [0, 1); ValueError with a sentence otherwise."""
    if not isinstance(share, int | float) or not 0 <= share < 1:
        raise ValueError(t("The control share must be at least 0 and less than 1, not "
                           "{share}.", share=share))
    return float(share)


def control_size(customers: int, share: float) -> int:
    """``share × customers`` rounded half up, in exact decimals (0.1 × 25 = 2.5 → 3)."""
    exact = Decimal(str(share)) * customers
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def assign_groups(members: pd.DataFrame, share: float, seed: int) -> pd.Series:
    """Each member's group, 'control' or 'treatment', aligned with ``members``' index.

    ``members`` has customer_id and step (one of ``vocabulary.STEPS``; anything else, such as a
    missing step, is a stratum of its own after them). Per step: the customers in id order are
    shuffled by a generator seeded with (seed, the step's position) and the first
    :func:`control_size` of them are the control group.
    """
    check_share(share)
    groups = pd.Series("treatment", index=members.index, dtype=object)
    steps = members["step"].astype(object).where(members["step"].notna(), None)
    known = list(STEPS)
    others = sorted({str(s) for s in steps if s is not None and s not in known})
    strata: list[object] = [*known, *others, None]
    for position, step in enumerate(strata, start=1):
        on_step = steps.isna() if step is None else steps == step
        ids = members.loc[on_step, "customer_id"].astype(str).sort_values(kind="stable")
        size = control_size(len(ids), share)
        if size == 0:
            continue
        rng = np.random.default_rng([int(seed), position])
        chosen = ids.index[rng.permutation(len(ids))[:size]]
        groups.loc[chosen] = "control"
    return groups


def detectable_difference(treatment: int, control: int, baseline_rate: float,
                          *, alpha: float = ALPHA, power: float = POWER) -> float | None:
    """The smallest rise in the share of buyers (treatment − control, as a share of one) that
    a two-sided test at ``alpha`` detects with ``power``, for these group sizes, when the
    control group buys at ``baseline_rate``. None without a customer in either group.

    statsmodels solves for Cohen's h = 2·asin(√p₁) − 2·asin(√p₀); p₁ is then
    sin²(asin(√p₀) + h/2), capped at 1.
    """
    if treatment <= 0 or control <= 0:
        return None
    # imported here: statsmodels costs every command line run two seconds otherwise
    from statsmodels.stats.power import NormalIndPower

    h = float(NormalIndPower().solve_power(
        effect_size=None, nobs1=treatment, alpha=alpha, power=power, ratio=control / treatment,
        alternative="two-sided"))
    base = min(max(float(baseline_rate), 0.0), 1.0)
    angle = math.asin(math.sqrt(base)) + h / 2
    raised = 1.0 if angle >= math.pi / 2 else math.sin(angle) ** 2
    return raised - base


def baseline_rate(con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date,
                  window_days: int) -> float | None:
    """The share of the customers who had ordered by D − ``window_days`` that ordered again in
    (D − window_days, D]: how often a customer buys in such a window without a campaign, the
    rate the detectable difference is measured from. None without such customers."""
    row = con.execute(
        """
        with per_customer as (
            select
                customer_id,
                min(date) < $start::date + interval 1 day as known,
                bool_or(date >= $start::date + interval 1 day) as bought
            from orders
            where dataset_id = $ds and date < $as_of::date + interval 1 day
            group by customer_id
        )
        select count(*) filter (where known),
               count(*) filter (where known and bought)
        from per_customer
        """,
        {"ds": dataset_id, "as_of": as_of,
         "start": as_of - dt.timedelta(days=window_days)},
    ).fetchone()
    known, bought = (int(row[0]), int(row[1])) if row else (0, 0)
    return bought / known if known else None
