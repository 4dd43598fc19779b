"""The uplift readout of an export (DESIGN §8): did the treatment group buy more than control?

The window: the ``window_days`` days after the export's as-of date D, (D, D + window_days] —
the list was drawn from the data up to D, so anything later is after it. For each group: n
(customers on the list), buyers (customers with an order in the window), rate = buyers / n,
and revenue per customer (the revenue of their orders in the window over all n customers,
non-buyers counting 0; returns are not orders, DESIGN §4).

The rate difference (treatment − control) has a 95% interval by Newcombe's hybrid score method
(statsmodels ``confint_proportions_2indep(method="newcomb")``, from two Wilson intervals) and a
two-sided p-value from the pooled two-proportion z-test (statsmodels ``proportions_ztest``);
the revenue difference has Welch's 95% interval (scipy ``ttest_ind(equal_var=False)``), which
does not assume both groups vary alike. The result is "distinguishable from noise" when the
rate difference's interval excludes zero.

A p-value or interval that the data cannot give (both groups without a buyer, a group without
customers, no spread in revenue) is None, never a made-up number.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from retention.audiences.export import DEFAULT_WINDOW_DAYS
from retention.audiences.saved import export_members, saved_export

CONFIDENCE = 0.95


@dataclass(frozen=True)
class GroupOutcome:
    n: int
    buyers: int
    rate: float | None
    revenue_per_customer: float | None

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "buyers": self.buyers, "rate": self.rate,
                "revenue_per_customer": self.revenue_per_customer}


@dataclass(frozen=True)
class Difference:
    value: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None


@dataclass(frozen=True)
class Uplift:
    treatment: GroupOutcome
    control: GroupOutcome
    rate_difference: Difference
    revenue_difference: Difference
    window_start: dt.date
    window_end: dt.date
    data_until: dt.date | None = None

    @property
    def window_complete(self) -> bool:
        """Whether the data reaches the window's last day (the readout of a window still
        running counts only the orders loaded so far)."""
        return self.data_until is not None and self.data_until >= self.window_end

    @property
    def distinguishable(self) -> bool:
        """Whether the rate difference's 95% interval excludes zero."""
        low, high = self.rate_difference.ci_low, self.rate_difference.ci_high
        return low is not None and high is not None and (low > 0 or high < 0)

    def as_json(self) -> dict[str, Any]:
        """The ``audience uplift`` command's JSON (DESIGN §8)."""
        rate, revenue = self.rate_difference, self.revenue_difference
        return {
            "treatment": self.treatment.as_json(), "control": self.control.as_json(),
            "rate_difference": {"value": rate.value, "ci_low": rate.ci_low,
                                "ci_high": rate.ci_high, "p_value": rate.p_value},
            "revenue_difference": {"value": revenue.value, "ci_low": revenue.ci_low,
                                   "ci_high": revenue.ci_high},
            "distinguishable": self.distinguishable,
        }


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _outcome(revenue: np.ndarray, bought: np.ndarray) -> GroupOutcome:
    n = len(revenue)
    buyers = int(bought.sum())
    return GroupOutcome(n, buyers, buyers / n if n else None,
                        float(revenue.mean()) if n else None)


def rate_difference(treatment_buyers: int, treatment_n: int, control_buyers: int,
                    control_n: int) -> Difference:
    """Treatment rate − control rate, Newcombe's 95% interval and the pooled z-test's
    two-sided p-value (None when both groups have no buyer or all are buyers)."""
    if treatment_n == 0 or control_n == 0:
        return Difference(None, None, None, None)
    # imported here: statsmodels costs every command line run two seconds otherwise
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    value = treatment_buyers / treatment_n - control_buyers / control_n
    low, high = confint_proportions_2indep(treatment_buyers, treatment_n, control_buyers,
                                           control_n, method="newcomb", compare="diff",
                                           alpha=1 - CONFIDENCE)
    pooled = (treatment_buyers + control_buyers) / (treatment_n + control_n)
    p_value = None
    if 0 < pooled < 1:
        _, p = proportions_ztest([treatment_buyers, control_buyers], [treatment_n, control_n],
                                 alternative="two-sided")
        p_value = _finite(p)
    return Difference(value, _finite(low), _finite(high), p_value)


def revenue_difference(treatment: np.ndarray, control: np.ndarray) -> Difference:
    """Mean treatment revenue − mean control revenue per customer, with Welch's 95% interval
    (None when either group has fewer than two customers or neither varies)."""
    if len(treatment) == 0 or len(control) == 0:
        return Difference(None, None, None)
    value = float(treatment.mean() - control.mean())
    if len(treatment) < 2 or len(control) < 2 or (treatment.std() == 0 and control.std() == 0):
        return Difference(value, None, None)
    from scipy import stats

    result = stats.ttest_ind(treatment, control, equal_var=False)
    interval = result.confidence_interval(CONFIDENCE)
    return Difference(value, _finite(interval.low), _finite(interval.high))


def compare_groups(outcomes: pd.DataFrame, *, window_start: dt.date,
                   window_end: dt.date) -> Uplift:
    """The readout of ``outcomes``: one row per listed customer with group ('treatment' or
    'control'), bought (bool) and revenue (in the window)."""
    parts = {}
    for group in ("treatment", "control"):
        rows = outcomes[outcomes["group"] == group]
        parts[group] = (rows["revenue"].to_numpy(dtype=float),
                        rows["bought"].to_numpy(dtype=bool))
    treated, control = _outcome(*parts["treatment"]), _outcome(*parts["control"])
    return Uplift(
        treatment=treated, control=control,
        rate_difference=rate_difference(treated.buyers, treated.n, control.buyers, control.n),
        revenue_difference=revenue_difference(parts["treatment"][0], parts["control"][0]),
        window_start=window_start, window_end=window_end)


def export_outcomes(con: duckdb.DuckDBPyConnection, dataset_id: int, export_id: int, *,
                    window_days: int = DEFAULT_WINDOW_DAYS) -> tuple[pd.DataFrame, dt.date,
                                                                     dt.date]:
    """Each listed customer of the export with group, bought and revenue over the window
    (D, D + window_days], and the window's first and last day."""
    if window_days < 1:
        raise ValueError("The window must be at least 1 day.")
    export = saved_export(con, dataset_id, export_id)
    members = export_members(con, dataset_id, export_id)
    start = export.as_of + dt.timedelta(days=1)
    end = export.as_of + dt.timedelta(days=window_days)
    con.register("uplift_members", members)
    try:
        outcomes = con.execute(
            """
            with window_orders as (
                select customer_id, sum(revenue)::double as revenue
                from orders
                where dataset_id = $ds and date >= $start::date
                  and date < $end::date + interval 1 day
                group by customer_id
            )
            select m.customer_id, m."group", w.customer_id is not null as bought,
                   coalesce(w.revenue, 0)::double as revenue
            from uplift_members m
            left join window_orders w on w.customer_id = m.customer_id
            order by m.customer_id
            """, {"ds": dataset_id, "start": start, "end": end}).fetchdf()
    finally:
        con.unregister("uplift_members")
    return outcomes, start, end


def uplift(con: duckdb.DuckDBPyConnection, dataset_id: int, export_id: int, *,
           window_days: int = DEFAULT_WINDOW_DAYS) -> Uplift:
    """The readout of export ``export_id`` against the dataset's orders as they are now."""
    outcomes, start, end = export_outcomes(con, dataset_id, export_id, window_days=window_days)
    readout = compare_groups(outcomes, window_start=start, window_end=end)
    last = con.execute("select max(date)::date from orders where dataset_id = ?",
                       [dataset_id]).fetchall()
    return replace(readout, data_until=last[0][0] if last else None)
