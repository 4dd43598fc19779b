"""Customer retention rate (CRR) by calendar month, quarter or year — DESIGN §4, exactly.

For a period [t0, t1] and the activity window W ("active at day d" = an order in (d − W, d]):

* S (``start_customers``) = customers active at t0 − 1 day (the previous period's last day);
* E (``end_customers``) = customers active at t1;
* N (``new_customers``) = customers whose first order is in [t0, t1] and who are active at t1;
* CRR = (E − N) / S × 100, NULL when S = 0;
* retained = |active(t0 − 1) ∩ active(t1)|, strict retention = retained / S × 100 and
  churn = 100 − strict retention (both in percent, NULL when S = 0);
* reactivated = E − N − retained: customers active at t1 who are neither new nor were active
  at t0 − 1 — they had lapsed and came back. They are why the seed formula can exceed 100%.

The period holding the as-of date D is **in progress** when it ends after D: it is returned
with ``in_progress`` true and measured at D (E and N "so far"), so callers can mark it and keep
it out of averages; it is never mixed in as if complete.

Why bitmasks: every point where activity is measured is a period end (t0 − 1 is the previous
period's end), so one pass over the orders gives each customer a bitmask of the period ends at
which they were active — an order on day d sets the bits of the ends e with d ≤ e < d + W — and
``bit_or`` folds a customer's orders together. Customers are then grouped by (mask, first
period, active at D), a few thousand groups, and counted per period. The alternative, a range
join of orders against period ends followed by a self-join for the intersection, moves tens of
millions of rows at 10M transactions; this moves none. A HUGEINT holds 126 usable bits, so at
most ``MAX_PERIODS`` (120) periods ending at D are returned: ten years of months.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention import provenance
from retention.cells import as_int, optional_float
from retention.sql import as_dates

PERIODS = ("month", "quarter", "year")
MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}
MAX_PERIODS = 120

COLUMNS = (
    "period", "period_start", "period_end", "measured_at", "in_progress", "start_customers",
    "end_customers", "new_customers", "retained", "reactivated", "crr", "strict", "churn",
)

_CRR_SQL = """
with orders_to_date as (
    select customer_id, date::date as day
    from orders
    where dataset_id = $ds and date < $as_of::date + interval 1 day
),
frame as (
    -- period 0 holds D, earlier periods are negative; bit i holds the end of period first_k-1+i
    select
        date_trunc($unit, $as_of::date)::date as anchor,
        greatest(date_diff($unit, date_trunc($unit, $as_of::date)::date, min(day)),
                 1 - $max_periods) as first_k
    from orders_to_date
    having count(*) > 0
),
customer_days as (
    -- an order on day d makes its customer active at the period ends e with d <= e < d + W:
    -- from the end of d's own period (index lo) to the last end before d + W (index hi)
    select
        o.customer_id, o.day, f.first_k,
        greatest(date_diff($unit, f.anchor, o.day), f.first_k - 1) as lo,
        least(date_diff($unit, f.anchor, o.day + $window::integer) - 1, -1) as hi
    from orders_to_date o cross join frame f
),
per_customer as (
    select
        customer_id,
        min(day) as first_day,
        max(day) as last_day,
        bit_or(case when hi >= lo
            then (1::hugeint << (hi - first_k + 2)::integer)
                 - (1::hugeint << (lo - first_k + 1)::integer)
            else 0::hugeint end) as mask
    from customer_days
    group by customer_id
),
customer_groups as (
    select
        mask,
        date_diff($unit, (select anchor from frame), first_day) as first_k,
        last_day > $as_of::date - $window::integer as active_at_as_of,
        count(*) as customers
    from per_customer
    group by all
),
periods as (
    select
        r.k,
        f.anchor + to_months((r.k * $months)::integer) as period_start,
        (f.anchor + to_months(((r.k + 1) * $months)::integer) - interval 1 day)::date
            as period_end,
        (r.k - f.first_k + 1)::integer as end_bit
    from frame f, range(f.first_k, 1) r(k)
),
flags as (
    select
        p.k, g.customers, g.first_k = p.k as is_new_here,
        (g.mask >> (p.end_bit - 1)) & 1 = 1 as active_at_start,
        -- period 0 is measured at D: at its end when D is that end, "so far" otherwise
        case when p.k = 0 then g.active_at_as_of
             else (g.mask >> p.end_bit) & 1 = 1 end as active_at_end
    from periods p cross join customer_groups g
),
counts as (
    select
        k,
        coalesce(sum(customers) filter (where active_at_start), 0) as start_customers,
        coalesce(sum(customers) filter (where active_at_end), 0) as end_customers,
        coalesce(sum(customers) filter (where active_at_end and is_new_here), 0)
            as new_customers,
        coalesce(sum(customers) filter (where active_at_start and active_at_end), 0)
            as retained
    from flags
    group by k
),
final as (
    select
        case $unit
            when 'month' then strftime(p.period_start, '%Y-%m')
            when 'quarter' then year(p.period_start) || '-Q' || quarter(p.period_start)
            else year(p.period_start)::varchar
        end as period,
        p.period_start::date as period_start,
        p.period_end,
        least(p.period_end, $as_of::date) as measured_at,
        p.period_end > $as_of::date as in_progress,
        c.start_customers::bigint as start_customers,
        c.end_customers::bigint as end_customers,
        c.new_customers::bigint as new_customers,
        c.retained::bigint as retained,
        (c.end_customers - c.new_customers - c.retained)::bigint as reactivated,
        100.0 * (c.end_customers - c.new_customers) / nullif(c.start_customers, 0) as crr,
        100.0 * c.retained / nullif(c.start_customers, 0) as strict,
        100.0 - 100.0 * c.retained / nullif(c.start_customers, 0) as churn
    from periods p
    join counts c using (k)
)
select * from final order by period_start
"""


@provenance.stamped
def crr_by_period(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    window_days: int,
    period: str = "month",
    max_periods: int = MAX_PERIODS,
) -> pd.DataFrame:
    """CRR, strict retention and their parts for each calendar ``period`` ('month', 'quarter'
    or 'year') from the first order's period (at most ``max_periods`` back) to the one holding
    ``as_of``.

    Columns: period (label: "2025-03", "2025-Q1" or "2025"), period_start, period_end (dates;
    the calendar period), measured_at (period_end, or ``as_of`` for the period in progress),
    in_progress (the period ends after ``as_of``), start_customers (S), end_customers (E),
    new_customers (N), retained, reactivated, crr, strict, churn (percent; NULL when S = 0).
    One row per period, oldest first; no rows when there are no orders up to ``as_of``.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}.")
    if window_days < 1:
        raise ValueError("The activity window must be at least 1 day.")
    if not 1 <= max_periods <= MAX_PERIODS:
        raise ValueError(f"max_periods must be between 1 and {MAX_PERIODS}.")
    frame = con.execute(
        _CRR_SQL,
        {
            "ds": dataset_id,
            "as_of": as_of,
            "window": int(window_days),
            "unit": period,
            "months": MONTHS_PER_PERIOD[period],
            "max_periods": int(max_periods),
        },
    ).fetchdf()
    return as_dates(frame, ("period_start", "period_end", "measured_at"))[list(COLUMNS)]


def crr_by_month(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    window_days: int,
    monthly: pd.DataFrame | None = None,
) -> list[dict[str, object]]:
    """DESIGN §5's ``crr_by_month`` for the ``summary`` command: one dict per calendar month,
    oldest first, {period "YYYY-MM", start (S), end (E), new (N), crr, strict (percent, None
    when S = 0, full precision), in_progress}. ``monthly`` is ``crr_by_period`` for
    months at the same as-of date and window, when the caller already has it (ValueError when
    it was computed for others)."""
    frame = provenance.given_or_computed(
        monthly, crr_by_period, con, used_by="crr_by_month", argument="monthly",
        dataset_id=dataset_id, as_of=as_of, window_days=window_days, period="month")
    return [
        {
            "period": row.period,
            "start": as_int(row.start_customers),
            "end": as_int(row.end_customers),
            "new": as_int(row.new_customers),
            "crr": optional_float(row.crr),
            "strict": optional_float(row.strict),
            "in_progress": bool(row.in_progress),
        }
        for row in frame.itertuples(index=False)
    ]
