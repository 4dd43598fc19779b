"""Home's data: the active dataset's headline numbers and its active customers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import streamlit as st

from retention import metrics
from retention.ui.data import cache_data, run
from retention.ui.data.frame import as_date

if TYPE_CHECKING:
    from retention.ui.context import Context


def headline_numbers(ctx: Context) -> dict[str, Any]:
    """``retention.metrics.headline`` up to the as-of date as a plain dict (as_of, customers,
    orders, net_revenue, returns, first_date, last_date, future_rows), with Python ints, floats
    and dates."""
    return _headline_numbers(*ctx.key, ctx.as_of)


def active_customer_count(ctx: Context, as_of: dt.date) -> int:
    """Customers with an order in the sidebar's activity window up to ``as_of`` (DESIGN §4).

    ``as_of`` is the headline's own as-of date, so both cards count up to the same day.
    """
    return _active_customer_count(*ctx.key, as_of, ctx.window_days)


@cache_data(show_spinner=False, max_entries=512)
def _headline_numbers(workspace: str, dataset_id: int, version: int,
                      as_of: dt.date | None) -> dict[str, Any]:
    row = run(workspace, dataset_id, version, metrics.headline, as_of=as_of).iloc[0].to_dict()
    return {
        "as_of": as_date(row["as_of"]),
        "customers": int(row["customers"]),
        "orders": int(row["orders"]),
        "net_revenue": float(row["net_revenue"]),
        "returns": int(row["returns"]),
        "first_date": as_date(row["first_date"]),
        "last_date": as_date(row["last_date"]),
        "future_rows": int(row["future_rows"]),
    }


@cache_data(show_spinner=False, max_entries=512)
def _active_customer_count(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                           window_days: int) -> int:
    return run(workspace, dataset_id, version, metrics.active_customers, as_of=as_of,
               window_days=window_days)
