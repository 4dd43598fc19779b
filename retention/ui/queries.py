"""Small read-only queries the UI needs before the domain offers them.

``active_customers`` belongs in ``retention.metrics`` (DESIGN §4 "active at day d"); it lives
here until the metrics package grows it, so the sidebar's activity window already shows its
effect on Home. Same shape as a metric: (connection, dataset, parameters) in, values out.
"""

from __future__ import annotations

import datetime as dt

import duckdb


def active_customers(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date, window_days: int
) -> int:
    """Customers active at ``as_of``: at least one order (returns excluded) dated in the
    ``window_days`` days ending with the day ``as_of``, i.e. in (D − W, D] (DESIGN §4)."""
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
