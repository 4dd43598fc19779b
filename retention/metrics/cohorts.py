"""Acquisition cohorts: customers grouped by the calendar month of their first order, followed
month by month afterwards.

A cell (cohort c, k months since the first order) covers the calendar month c + k. It is
**observable** only when that month has ended by the as-of date D (its last day ≤ D): a month
still running would show a falsely low share, so such cells — and every later one — are NULL,
never 0. A cohort whose own month is still running is listed with its size so far and only
NULL cells.

Net revenue in a cell is the revenue of the cohort's orders dated in that month (an order
counts on its date, its earliest line's) plus the cohort's returns dated in it, divided by the
cohort's size. A return dated before its customer's first order (possible when the purchase
itself predates the file) is left out: it belongs to no month after acquisition.

Why bitmasks again (as in ``retention_rate``): one pass over the orders gives each customer their
cohort and a bit per calendar month they bought in; customers are then counted per (cohort,
mask), so the buyers of every cell need no distinct count over millions of customer-months. A
HUGEINT holds the last ``MAX_COHORTS`` (120) months: ten years of cohorts, more than a heatmap
can show. Revenue still needs each order's cohort, which a join to the per-customer table
gives; a window over customer-months cost a third more at 10M rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention import provenance
from retention.sql import as_dates

MAX_COHORTS = 120

COLUMNS = (
    "cohort", "cohort_label", "months_since", "cohort_customers", "observable", "buyers",
    "buying_share", "net_revenue", "revenue_per_customer",
)

_COHORTS_SQL = """
with orders_to_date as (
    select customer_id, date, revenue
    from orders
    where dataset_id = $ds and date < $as_of::date + interval 1 day
),
returns_to_date as (
    select customer_id, date, amount
    from transactions
    where dataset_id = $ds and is_return and date < $as_of::date + interval 1 day
),
frame as (
    -- the first acquisition month shown; bit i of a mask is the calendar month base + i
    select (date_trunc('month', $as_of::date) - to_months($max_cohorts - 1))::date as base
),
per_customer as (
    select
        o.customer_id,
        date_trunc('month', min(o.date))::date as cohort,
        -- a CASE, not FILTER: the shift must not be evaluated for months before the base
        bit_or(case when o.date >= f.base
                    then 1::hugeint << date_diff('month', f.base, o.date)::integer
                    else 0::hugeint end) as months_bought
    from orders_to_date o, frame f
    group by o.customer_id
),
cohort_masks as (
    select c.cohort, c.months_bought, count(*) as customers
    from per_customer c, frame f
    where c.cohort >= f.base
    group by all
),
cohort_sizes as (
    select cohort, sum(customers) as cohort_customers from cohort_masks group by cohort
),
bought as (
    -- a customer bought in month cohort + k when bit (cohort − base + k) of their mask is set
    select
        m.cohort, r.months_since,
        coalesce(sum(m.customers) filter (
            where (m.months_bought >> (date_diff('month', f.base, m.cohort)
                                       + r.months_since)::integer) & 1 = 1), 0) as buyers
    from cohort_masks m, frame f,
         range(0, date_diff('month', m.cohort, $as_of::date) + 1) r(months_since)
    group by all
),
spent as (
    -- an order's revenue counts in the month of its date (its earliest line's)
    select c.cohort, date_diff('month', c.cohort, o.date) as months_since,
           sum(o.revenue) as net_revenue
    from orders_to_date o
    join per_customer c using (customer_id), frame f
    where c.cohort >= f.base
    group by all
),
returned as (
    select c.cohort, date_diff('month', c.cohort, r.date) as months_since,
           sum(r.amount) as net_revenue
    from returns_to_date r
    join per_customer c using (customer_id), frame f
    where c.cohort >= f.base and r.date >= c.cohort
    group by all
),
grid as (
    -- every month from the cohort's own to D's month; the last may still be running
    select s.cohort, s.cohort_customers, b.months_since, b.buyers,
           s.cohort + to_months((b.months_since + 1)::integer) - interval 1 day
               <= $as_of::date as observable
    from cohort_sizes s
    join bought b using (cohort)
),
final as (
    select
        g.cohort,
        strftime(g.cohort, '%Y-%m') as cohort_label,
        g.months_since::integer as months_since,
        g.cohort_customers::bigint as cohort_customers,
        g.observable,
        case when g.observable then g.buyers end::bigint as buyers,
        case when g.observable then g.buyers / g.cohort_customers end as buying_share,
        case when g.observable
             then (coalesce(sp.net_revenue, 0) + coalesce(rt.net_revenue, 0))::double
        end as net_revenue,
        case when g.observable
             then (coalesce(sp.net_revenue, 0) + coalesce(rt.net_revenue, 0))::double
                  / g.cohort_customers
        end as revenue_per_customer
    from grid g
    left join spent sp using (cohort, months_since)
    left join returned rt using (cohort, months_since)
)
select * from final order by cohort, months_since
"""


@provenance.stamped
def cohort_matrix(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    max_cohorts: int = MAX_COHORTS,
) -> pd.DataFrame:
    """One row per (acquisition month, months since the first order) cell up to ``as_of``.

    Columns: cohort (date, the first day of the acquisition month), cohort_label ("2025-03"),
    months_since (0 = the acquisition month itself), cohort_customers (customers whose first
    order is in that month), observable (the cell's calendar month has ended by ``as_of``),
    buyers (cohort customers with an order in the cell's month), buying_share (buyers /
    cohort_customers, a share of 1), net_revenue (the cohort's net revenue in that month),
    revenue_per_customer (net_revenue / cohort_customers). The last four are NULL when the cell
    is not observable. Ordered by cohort, then months_since. Only the acquisition months
    among the last ``max_cohorts`` calendar months up to ``as_of`` are returned.
    """
    if not 1 <= max_cohorts <= MAX_COHORTS:
        raise ValueError(f"max_cohorts must be between 1 and {MAX_COHORTS}.")
    frame = con.execute(
        _COHORTS_SQL, {"ds": dataset_id, "as_of": as_of, "max_cohorts": int(max_cohorts)}
    ).fetchdf()
    return as_dates(frame, ("cohort",))[list(COLUMNS)]
