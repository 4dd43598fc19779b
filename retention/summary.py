"""The ``summary`` command's JSON: one dictionary of a dataset's key numbers (DESIGN §5).

Each metric family contributes its keys through one function here, so the command line and any
other caller (a scheduled export, a test) get the same numbers the pages show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from retention import metrics
from retention.store import Dataset


def dataset_summary(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    *,
    as_of: dt.date | None = None,
    window_days: int = 90,
) -> dict[str, Any]:
    """The summary of ``dataset`` as on ``as_of`` (default: its last transaction date)."""
    head = metrics.headline(con, dataset.dataset_id, as_of=as_of).iloc[0]
    as_of = head["as_of"].date() if head["as_of"] is not None else None
    summary: dict[str, Any] = {
        "dataset": dataset.name,
        "version": dataset.version,
        "as_of": as_of,
        "window_days": window_days,
        "currency": dataset.currency,
        "customers": int(head["customers"]),
        "orders": int(head["orders"]),
        "net_revenue": round(float(head["net_revenue"]), 2),
        "returns": int(head["returns"]),
    }
    if as_of is not None:
        summary["active_customers"] = metrics.active_customers(
            con, dataset.dataset_id, as_of=as_of, window_days=window_days
        )
    return summary
