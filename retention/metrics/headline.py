"""The dataset's headline numbers: customers, orders, net revenue and the dates it spans."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def default_as_of(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, today: dt.date | None = None
) -> dt.date | None:
    """The default as-of date D: the last transaction date that is not in the future.

    DESIGN §4 defaults D to the dataset's last transaction date. A single mistyped date (2099
    for 2019) would then move every metric to a day nobody has lived yet, so rows dated after
    ``today`` (the server's clock unless given) are passed over: D is the last date on or
    before today, and the rows after it stay out of every metric until their day comes, as
    the load warning promises. When every row lies after today, D is today, so nothing is
    counted and the pages say how many rows lie after the as-of date. None without rows.

    Every place that picks a default as-of date (the sidebar, ``summary``, ``fit``) calls this.
    """
    today = today or dt.date.today()
    row = con.execute(
        """
        select (max(date) filter (where date < $today::date + interval 1 day))::date,
               count(*)
        from transactions where dataset_id = $ds
        """,
        {"ds": dataset_id, "today": today},
    ).fetchone()
    if row is None or not row[1]:
        return None
    return row[0] if row[0] is not None else today


def date_range(con: duckdb.DuckDBPyConnection, dataset_id: int) -> tuple[dt.date, dt.date] | None:
    """(first, last) transaction date of the dataset, or None when it has no rows."""
    row = con.execute(
        "select min(date)::date, max(date)::date from transactions where dataset_id = ?",
        [dataset_id],
    ).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def headline(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One row with the dataset's numbers up to the end of day ``as_of`` (default:
    :func:`default_as_of`, the last date not after today).

    Columns: as_of (date), customers (customers with at least one order — a customer with only
    returns is not one), orders (distinct orders, returns excluded), net_revenue (all amounts,
    returns netted), returns (return rows), first_date, last_date (of the rows counted),
    future_rows (rows after as_of, ignored).
    """
    as_of = as_of or default_as_of(con, dataset_id)
    if as_of is None:
        return pd.DataFrame(
            [{"as_of": None, "customers": 0, "orders": 0, "net_revenue": 0.0, "returns": 0,
              "first_date": None, "last_date": None, "future_rows": 0}]
        )
    return con.execute(
        """
        with lines as (
            select * from transactions
            where dataset_id = $ds and date < $as_of::date + interval 1 day
        ),
        orders_to_date as (
            select * from orders
            where dataset_id = $ds and date < $as_of::date + interval 1 day
        ),
        final as (
            select
                $as_of::date as as_of,
                (select count(distinct customer_id) from orders_to_date) as customers,
                (select count(*) from orders_to_date) as orders,
                coalesce(sum(amount), 0)::double as net_revenue,
                count(*) filter (where is_return) as returns,
                min(date)::date as first_date,
                max(date)::date as last_date,
                (select count(*) from transactions
                 where dataset_id = $ds and date >= $as_of::date + interval 1 day) as future_rows
            from lines
        )
        select * from final
        """,
        {"ds": dataset_id, "as_of": as_of},
    ).fetchdf()
