"""Who is active: DESIGN §4's "active at day d" — at least one order dated in (d − W, d]."""

from __future__ import annotations

import datetime as dt

import duckdb


def active_customers(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date, window_days: int
) -> int:
    """Number of customers active at ``as_of``: an order (returns are not orders) on one of the
    ``window_days`` days ending with ``as_of`` itself. An order exactly ``window_days`` days
    before ``as_of`` no longer counts; one on ``as_of`` does."""
    if window_days < 1:
        raise ValueError("The activity window must be at least 1 day.")
    row = con.execute(
        """
        select count(distinct customer_id)
        from transactions
        where dataset_id = $ds
          and not is_return
          and date >= $as_of::date - to_days($window - 1)
          and date < $as_of::date + interval 1 day
        """,
        {"ds": dataset_id, "as_of": as_of, "window": int(window_days)},
    ).fetchone()
    return int(row[0]) if row else 0
