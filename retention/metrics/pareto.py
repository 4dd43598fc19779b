"""The Pareto view (DESIGN §4): how much of the net revenue the best customers bring.

The n customers are those with at least one order up to D; each is ranked by their net revenue
up to D (purchases minus returns), highest first, ties by customer id. The share is the top
⌈0.2 · n⌉ customers' net revenue over the dataset's whole net revenue up to D — the same
``net_revenue`` the summary reports, so it also holds the returns of people who never ordered
(their purchases predate the data). The curve therefore ends at (their total) / (the whole),
which is 100% unless such returns exist.

Sums stay DECIMAL until the final division, so a share is exact; ⌈f · n⌉ is computed in DECIMAL
too (in binary floating point 0.2 × 35 is 7.000000000000001, whose ceiling is 8).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

TOP_FRACTION = 0.2
CURVE_POINTS = 200

# Each customer's net revenue up to D and the dataset's total; customers with an order ranked.
_RANKED = """
    lines as (
        select customer_id, amount, is_return
        from transactions
        where dataset_id = $ds and date < $as_of::date + interval 1 day
    ),
    per_customer as (
        select
            customer_id,
            sum(amount) as net_revenue,
            -- a non-return line up to D is exactly what makes an order up to D
            bool_or(not is_return) as has_order
        from lines
        group by customer_id
    ),
    totals as (
        select
            coalesce(sum(net_revenue), 0) as net_revenue,
            count(*) filter (where has_order) as customers,
            ceil(count(*) filter (where has_order) * $fraction::decimal(9, 6))::bigint
                as top_customers
        from per_customer
    ),
    ranked as (
        select
            customer_id,
            net_revenue,
            row_number() over by_revenue as rank,
            sum(net_revenue) over (by_revenue rows unbounded preceding) as cumulative_revenue
        from per_customer
        where has_order
        window by_revenue as (order by net_revenue desc, customer_id)
    )
"""


def _check_fraction(top_fraction: float) -> None:
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction}.")


def pareto_share(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    top_fraction: float = TOP_FRACTION,
) -> pd.DataFrame:
    """The share of net revenue from the top ``top_fraction`` of customers, as one row.

    Columns: customers (n, with at least one order up to D), top_customers (⌈top_fraction · n⌉),
    top_revenue (their net revenue), net_revenue (the whole dataset's, up to D), share
    (top_revenue / net_revenue; NA when there are no customers or net revenue is not positive).
    """
    _check_fraction(top_fraction)
    frame = con.execute(
        f"""
        with {_RANKED},
        top as (
            select coalesce(sum(r.net_revenue), 0) as top_revenue
            from ranked r
            where r.rank <= (select top_customers from totals)
        ),
        final as (
            select
                t.customers,
                t.top_customers,
                top.top_revenue::double as top_revenue,
                t.net_revenue::double as net_revenue,
                case when t.customers > 0 and t.net_revenue > 0
                     then (top.top_revenue / t.net_revenue)::double end as share
            from totals t, top
        )
        select * from final
        """,
        {"ds": dataset_id, "as_of": as_of, "fraction": top_fraction},
    ).fetchdf()
    return frame.astype({"customers": "int64", "top_customers": "int64",
                         "top_revenue": "float64", "net_revenue": "float64",
                         "share": "Float64"})


def pareto_curve(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    max_points: int = CURVE_POINTS,
    top_fraction: float = TOP_FRACTION,
) -> pd.DataFrame:
    """The cumulative revenue curve, thinned to about ``max_points`` points for a chart.

    Kept: the origin (rank 0), every ⌈n / max_points⌉-th rank, the top-``top_fraction`` cut
    ⌈top_fraction · n⌉ and the last rank n — so the chart shows the exact share at the cut and
    the curve's true end. Empty when there are no customers.

    Columns: rank (customers counted so far, best first), customer_share (rank / n),
    cumulative_revenue (their net revenue), revenue_share (cumulative_revenue / the dataset's
    net revenue up to D; NA when that is not positive), is_top_cut (the rank
    ⌈top_fraction · n⌉).
    """
    _check_fraction(top_fraction)
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}.")
    frame = con.execute(
        f"""
        with {_RANKED},
        sampled as (
            select 0::bigint as rank, 0::decimal(38, 4) as cumulative_revenue
            where (select customers from totals) > 0
            union all
            select r.rank, r.cumulative_revenue
            from ranked r, totals t
            where r.rank % ceil(t.customers / $points)::bigint = 0
               or r.rank = t.customers
               or r.rank = t.top_customers
        ),
        final as (
            select
                s.rank,
                s.rank / t.customers as customer_share,
                s.cumulative_revenue::double as cumulative_revenue,
                case when t.net_revenue > 0
                     then (s.cumulative_revenue / t.net_revenue)::double end as revenue_share,
                s.rank = t.top_customers as is_top_cut
            from sampled s, totals t
        )
        select * from final
        order by rank
        """,
        {"ds": dataset_id, "as_of": as_of, "fraction": top_fraction,
         "points": int(max_points)},
    ).fetchdf()
    return frame.astype({"rank": "int64", "customer_share": "float64",
                         "cumulative_revenue": "float64", "revenue_share": "Float64",
                         "is_top_cut": "bool"})
