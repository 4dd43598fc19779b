"""The simulator's baseline: how the dataset's customers behave without a programme (DESIGN §7).

Measured at the as-of date D with the activity window W, over the trailing year
L = (D − 365 days, D]:

* active_customers: customers active at D (an order in (D − W, D]);
* new_customers_per_month: customers whose first order lies in L, divided by 12 — the year
  has twelve month-ends, the same months the LTV's factors are measured on. When the data
  starts inside L this counts every customer as new; the page shows it and lets the user
  change it;
* avg_check S, purchases_per_month C, monthly_retention r and margin P: the LTV factors of
  :func:`retention.metrics.ltv_today` (DESIGN §4), taken as they are rather than measured a
  second way. A factor the data cannot give (no order in L, no complete month) is None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from retention.i18n import t
from retention.metrics import active_customers, ltv_today
from retention.metrics.ltv import DEFAULT_MARGIN

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Baseline:
    """The baseline of DESIGN §7, each value editable on the page (``dataclasses.replace``).

    active_customers and new_customers_per_month are counts (fractions allowed once edited);
    avg_check is money per order, purchases_per_month orders per active customer per month,
    monthly_retention and margin shares of 1. None: the data cannot give the value.
    """

    active_customers: float
    new_customers_per_month: float
    avg_check: float | None
    purchases_per_month: float | None
    monthly_retention: float | None
    margin: float | None

    def missing(self) -> list[str]:
        """The names of the values that are unknown."""
        return [name for name, value in asdict(self).items() if value is None]

    def as_dict(self) -> dict[str, float | None]:
        """The six values under their §7 names (the command line's ``baseline``)."""
        return asdict(self)


def dataset_baseline(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    window_days: int = 90,
    default_margin: float = DEFAULT_MARGIN,
) -> Baseline:
    """The baseline of ``dataset_id`` at ``as_of`` (see the module docstring); the margin is
    the cost column's where the data has one, else ``default_margin``."""
    factors = ltv_today(con, dataset_id, as_of=as_of, window_days=window_days,
                        default_margin=default_margin)
    row = con.execute(
        """
        with first_orders as (
            select customer_id, min(date) as first_date
            from orders
            where dataset_id = $ds and date < $as_of::date + interval 1 day
            group by customer_id
        )
        select count(*) from first_orders where first_date >= $as_of::date - 364
        """,
        {"ds": dataset_id, "as_of": as_of},
    ).fetchone()
    new_in_year = int(row[0]) if row else 0

    def factor(column: str) -> float | None:
        if factors.empty or pd.isna(factors[column].iloc[0]):
            return None
        return float(factors[column].iloc[0])

    return Baseline(
        active_customers=float(active_customers(con, dataset_id, as_of=as_of,
                                                window_days=window_days)),
        new_customers_per_month=new_in_year / MONTHS_PER_YEAR,
        avg_check=factor("avg_check"),
        purchases_per_month=factor("purchases_per_month"),
        monthly_retention=factor("retention"),
        margin=factor("margin"),
    )


def require_known(baseline: Baseline) -> None:
    """Raise ValueError naming the baseline values a projection needs but the data lacks."""
    missing = baseline.missing()
    if missing:
        raise ValueError(t("The projection needs the baseline values {names}, which this "
                           "dataset cannot give up to the as-of date; enter them by hand.",
                           names=", ".join(missing)))
