"""One row per buyer of a dataset, over all its rows: what several pages read about a customer.

The portraits' features (:mod:`retention.metrics.customer_features`), the churn models' inputs
(:mod:`retention.metrics.btyd_summary`) and the audiences built on both group the same ten
million transaction lines by customer. Done once, in the load's transaction (the workspace
rebuilds this table with ``orders`` whenever a dataset's rows change), a page's first view
reads a million rows instead of scanning ten million lines several times.

The table holds nothing that depends on the as-of date D: counts, sums, first and last dates,
the top channel and category. That is exact for every D on or after the dataset's last
transaction day — no row is left out — so the metrics read it only then
(:func:`covers`); for an earlier D (a user looking back, or rows dated in the future held out
of the default D) they scan the lines as before. Columns, per (dataset_id, customer_id) of a
customer with at least one order:

* ``orders``, ``first_order``, ``last_order``: orders (returns are not orders) and the first
  and last order's timestamp;
* ``purchase_days``: distinct calendar days with an order;
* ``repeat_day_revenue``: the net revenue of the purchase days after the first (each day's
  orders plus the returns dated that day; NULL with one purchase day), and
  ``nonpositive_days``: how many of those days net to ≤ 0 — the Gamma-Gamma inputs;
* ``net_revenue``: every line's amount, returns netted; ``gross_value`` (the non-return
  lines) and ``returned_value`` (minus the return lines), both 0 when there are none;
* ``channel``: the channel of most purchase lines (ties: alphabetically first);
  ``top_category``: the category of the highest purchase value (ties: first).
"""

from __future__ import annotations

import datetime as dt

import duckdb

# The table's own statement lives in the store's schema; this fills it for one dataset.
# Parameter $ds: the dataset id.
BUILD_SQL = """
    insert into customer_summary
    with lines as (
        select customer_id, date::date as day, amount, is_return, channel, category
        from transactions
        where dataset_id = $ds
    ),
    order_days as (
        select customer_id, date::date as day, count(*) as orders, sum(revenue) as revenue,
               min(date) as first_order, max(date) as last_order
        from orders
        where dataset_id = $ds
        group by customer_id, day
    ),
    returns_by_day as (
        select customer_id, day, sum(amount) as returned
        from lines
        where is_return
        group by customer_id, day
    ),
    days as (
        select o.*, o.revenue + coalesce(r.returned, 0) as net
        from order_days o
        left join returns_by_day r using (customer_id, day)
    ),
    per_customer as (
        -- the first purchase day is taken out by arg_min rather than a window: one pass
        select customer_id,
               sum(orders) as orders,
               min(first_order) as first_order,
               max(last_order) as last_order,
               count(*) as purchase_days,
               case when count(*) > 1 then sum(net) - arg_min(net, day) end
                   as repeat_day_revenue,
               count(*) filter (where net <= 0) - (arg_min(net, day) <= 0)::integer
                   as nonpositive_days
        from days
        group by customer_id
    ),
    money as (
        select customer_id,
               sum(amount) as net_revenue,
               coalesce(sum(amount) filter (where not is_return), 0) as gross_value,
               coalesce(-sum(amount) filter (where is_return), 0) as returned_value
        from lines
        group by customer_id
    ),
    channel_lines as (
        select customer_id, channel, count(*) as purchase_lines
        from lines
        where not is_return and channel is not null
        group by all
    ),
    top_channel as (
        select customer_id, first(channel order by purchase_lines desc, channel) as channel
        from channel_lines
        group by customer_id
    ),
    category_value as (
        select customer_id, category, sum(amount) as purchase_value
        from lines
        where not is_return and category is not null
        group by all
    ),
    top_category as (
        select customer_id,
               first(category order by purchase_value desc, category) as top_category
        from category_value
        group by customer_id
    )
    select $ds, p.customer_id, p.orders, p.first_order, p.last_order, p.purchase_days,
           p.repeat_day_revenue, p.nonpositive_days, m.net_revenue, m.gross_value,
           m.returned_value, ch.channel, tc.top_category
    from per_customer p
    join money m using (customer_id)
    left join top_channel ch using (customer_id)
    left join top_category tc using (customer_id)
    -- stored in id order: the readers return rows by id, and a sorted table sorts fast
    order by p.customer_id
"""


def covers(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: dt.date) -> bool:
    """Whether the summary gives exact answers as of the end of day ``as_of``: the workspace
    has the table (a Parquet export made before it existed does not) and no row of the
    dataset is dated after ``as_of``. An empty dataset has nothing to leave out."""
    has_table = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'customer_summary'"
        " union all select count(*) from duckdb_views() where view_name = 'customer_summary'"
    ).fetchall()
    if not any(count for (count,) in has_table):
        return False
    row = con.execute(
        "select max(date) < $as_of::date + interval 1 day or max(date) is null"
        " from transactions where dataset_id = $ds",
        {"ds": dataset_id, "as_of": as_of},
    ).fetchone()
    return bool(row and row[0])
