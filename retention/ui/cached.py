"""Cached accessors: small results keyed by plain values, never by a DataFrame or connection.

Every key starts with what ``Workspace.fingerprint`` returns — the workspace path, the dataset
id and its version — so a change to a dataset (a load, a rename, a new currency) bumps the
version and misses the cache, and two workspaces never share an entry. Each function opens its
own cursor: a cached function may run in any session's thread.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from retention import metrics
from retention.metrics import headline
from retention.store import open_workspace
from retention.ui.data.frame import as_date


@st.cache_data(show_spinner=False, max_entries=512)
def headline_numbers(
    workspace: str, dataset_id: int, version: int, as_of: dt.date | None
) -> dict[str, Any]:
    """``retention.metrics.headline`` as a plain dict (as_of, customers, orders, net_revenue,
    returns, first_date, last_date, future_rows), with Python ints, floats and dates."""
    con = open_workspace(workspace).cursor()
    try:
        row = headline(con, dataset_id, as_of=as_of).iloc[0].to_dict()
    finally:
        con.close()
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


@st.cache_data(show_spinner=False, max_entries=512)
def active_customer_count(
    workspace: str, dataset_id: int, version: int, as_of: dt.date, window_days: int
) -> int:
    """Customers with an order in the ``window_days`` days up to ``as_of`` (DESIGN §4)."""
    con = open_workspace(workspace).cursor()
    try:
        return metrics.active_customers(con, dataset_id, as_of=as_of, window_days=window_days)
    finally:
        con.close()
