"""The per-customer summary the "buy till you die" models learn from (DESIGN §4).

For every customer with an order on or before the calibration end E (rows after E are ignored):

* ``x`` — repeat purchase days: distinct days with an order, minus one. Several orders on one
  day are one purchase (Fader, Hardie & Lee count days, and a shop's split baskets should not
  look like loyalty);
* ``t_x_days`` — days from the first to the last purchase day (0 when x = 0);
* ``T_days`` — days from the first purchase day to E;
* ``m`` — the mean net revenue of the repeat purchase days (the first day left out, as in the
  Gamma-Gamma papers); NULL when x = 0.

A day's net revenue is its orders' revenue plus the returns dated that day ("netted into their
day"). Two consequences, chosen on purpose and named here so nobody has to guess:

* A day with an order whose returns outweigh it (net revenue ≤ 0) is still a purchase day — the
  customer did come back — and its net value enters ``m`` as it is, so ``m`` can be ≤ 0. Such
  customers are left out of the Gamma-Gamma fit (it needs m > 0) and get the average customer's
  spend per purchase; ``nonpositive_days`` counts those repeat days.
* A return dated on a day with no order is not a purchase day and does not enter ``m`` (nothing
  ties it to a purchase without order ids); it still counts in ``net_revenue``.

Days are whole calendar days (the time of day is dropped). The models work in weeks; the
conversion lives with them (``retention.models``), not here.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention.metrics import customer_summary
from retention.sql import fetch_frame

# The same columns from the per-buyer summary, exact when no row is dated after the
# calibration end (retention.metrics.customer_summary): a million rows read instead of ten
# million lines grouped by day.
_FROM_SUMMARY = """
    with per_customer as (
        select customer_id, first_order::date as first_purchase,
               last_order::date as last_purchase, purchase_days - 1 as x,
               repeat_day_revenue, nonpositive_days, net_revenue
        from customer_summary
        where dataset_id = $ds
    ),
    final as (
        select
            customer_id,
            first_purchase,
            last_purchase,
            x::integer as x,
            date_diff('day', first_purchase, last_purchase)::integer as t_x_days,
            date_diff('day', first_purchase, $end::date)::integer as T_days,
            (repeat_day_revenue / x)::double as m,
            nonpositive_days::integer as nonpositive_days,
            net_revenue::double as net_revenue
        from per_customer
    )
    select * from final
    order by customer_id
"""


def btyd_summary(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, calibration_end: dt.date
) -> pd.DataFrame:
    """One row per customer with an order on or before ``calibration_end``.

    Columns: customer_id, first_purchase, last_purchase (dates of purchase days), x (repeat
    purchase days), t_x_days, T_days (whole days), m (mean net revenue of the repeat purchase
    days; NULL when x = 0), nonpositive_days (repeat purchase days with net revenue ≤ 0),
    net_revenue (all the customer's amounts up to the calibration end, returns included).
    Ordered by customer_id.
    """
    if customer_summary.covers(con, dataset_id, calibration_end):
        return fetch_frame(con, _FROM_SUMMARY, {"ds": dataset_id, "end": calibration_end})
    return con.execute(
        """
        with orders_to_end as (
            select customer_id, date::date as day, revenue
            from orders
            where dataset_id = $ds and date < $end::date + interval 1 day
        ),
        returns_to_end as (
            select customer_id, date::date as day, amount
            from transactions
            where dataset_id = $ds and is_return and date < $end::date + interval 1 day
        ),
        purchase_days as (
            select customer_id, day, sum(revenue) as revenue
            from orders_to_end
            group by customer_id, day
        ),
        returns_by_day as (
            select customer_id, day, sum(amount) as returned
            from returns_to_end
            group by customer_id, day
        ),
        days as (
            select
                p.customer_id,
                p.day,
                (p.revenue + coalesce(r.returned, 0))::double as net,
                p.day = min(p.day) over (partition by p.customer_id) as is_first
            from purchase_days p
            left join returns_by_day r using (customer_id, day)
        ),
        per_customer as (
            select
                customer_id,
                min(day) as first_purchase,
                max(day) as last_purchase,
                count(*) - 1 as x,
                avg(net) filter (where not is_first) as m,
                count(*) filter (where not is_first and net <= 0) as nonpositive_days,
                sum(net) as purchase_day_revenue
            from days
            group by customer_id
        ),
        orphan_returns as (
            -- returns on days without an order: outside m, inside the customer's net revenue
            select r.customer_id, sum(r.returned)::double as returned
            from returns_by_day r
            anti join purchase_days p using (customer_id, day)
            group by r.customer_id
        ),
        final as (
            select
                c.customer_id,
                c.first_purchase,
                c.last_purchase,
                c.x::integer as x,
                date_diff('day', c.first_purchase, c.last_purchase)::integer as t_x_days,
                date_diff('day', c.first_purchase, $end::date)::integer as T_days,
                c.m,
                c.nonpositive_days::integer as nonpositive_days,
                c.purchase_day_revenue + coalesce(o.returned, 0) as net_revenue
            from per_customer c
            left join orphan_returns o using (customer_id)
        )
        select * from final
        order by customer_id
        """,
        {"ds": dataset_id, "end": calibration_end},
    ).fetchdf()


def holdout_purchases(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    calibration_end: dt.date,
    holdout_end: dt.date,
) -> pd.DataFrame:
    """What the customers of the calibration period did after it, to check predictions against.

    One row per customer with an order on or before ``calibration_end``; holdout days are
    (calibration_end, holdout_end], both ends as whole days. Columns: customer_id,
    holdout_purchases (distinct purchase days in the holdout, so same-day orders count once,
    as ``x`` does), holdout_revenue (net, returns included). Ordered by customer_id.
    """
    return con.execute(
        """
        with calibration_customers as (
            select distinct customer_id
            from orders
            where dataset_id = $ds and date < $end::date + interval 1 day
        ),
        holdout_orders as (
            select customer_id, date::date as day
            from orders
            where dataset_id = $ds
              and date >= $end::date + interval 1 day
              and date < $holdout_end::date + interval 1 day
        ),
        holdout_lines as (
            select customer_id, amount
            from transactions
            where dataset_id = $ds
              and date >= $end::date + interval 1 day
              and date < $holdout_end::date + interval 1 day
        ),
        purchases as (
            select customer_id, count(distinct day) as holdout_purchases
            from holdout_orders
            group by customer_id
        ),
        revenue as (
            select customer_id, sum(amount)::double as holdout_revenue
            from holdout_lines
            group by customer_id
        ),
        final as (
            select
                c.customer_id,
                coalesce(p.holdout_purchases, 0)::integer as holdout_purchases,
                coalesce(r.holdout_revenue, 0) as holdout_revenue
            from calibration_customers c
            left join purchases p using (customer_id)
            left join revenue r using (customer_id)
        )
        select * from final
        order by customer_id
        """,
        {"ds": dataset_id, "end": calibration_end, "holdout_end": holdout_end},
    ).fetchdf()


def daily_repeat_purchases(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    calibration_end: dt.date,
    holdout_end: dt.date,
) -> pd.DataFrame:
    """Day by day, the calibration customers' first purchases and repeat purchase days: the
    actual side of the tracking chart, and the cohort sizes its prediction is built from.

    Columns: day (every day with activity up to ``holdout_end``), new_customers (customers whose
    first purchase day it is; only days up to ``calibration_end`` can have them), repeat_purchases
    (purchase days on it that are not the customer's first, counting only customers whose first
    purchase is on or before ``calibration_end``). Ordered by day.
    """
    return con.execute(
        """
        with purchase_days as (
            select distinct customer_id, date::date as day
            from orders
            where dataset_id = $ds and date < $holdout_end::date + interval 1 day
        ),
        firsts as (
            select customer_id, min(day) as first_day
            from purchase_days
            group by customer_id
            having min(day) <= $end::date
        ),
        marked as (
            select p.day, p.day = f.first_day as is_first
            from purchase_days p
            join firsts f using (customer_id)
        ),
        final as (
            select
                day,
                count(*) filter (where is_first)::integer as new_customers,
                count(*) filter (where not is_first)::integer as repeat_purchases
            from marked
            group by day
        )
        select * from final
        order by day
        """,
        {"ds": dataset_id, "end": calibration_end, "holdout_end": holdout_end},
    ).fetchdf()
