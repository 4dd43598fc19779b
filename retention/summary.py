"""The ``summary`` command's JSON: one dictionary of a dataset's key numbers (DESIGN §5).

Each metric family contributes its keys through one function here, so the command line and any
other caller (a scheduled export, a test) get the same numbers the pages show. Numbers carry
full precision (a machine contract); whoever shows them rounds them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from retention import metrics
from retention.cells import optional_int
from retention.store import Dataset, read_dataset, snapshot


def dataset_summary(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    *,
    as_of: dt.date | None = None,
    window_days: int = 90,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The summary of ``dataset`` as on ``as_of``; by default its last transaction date that is
    not after ``today`` (the server's clock unless given), see ``metrics.default_as_of``.

    Every number comes from one :func:`~retention.store.snapshot` of the workspace, and the
    name, version and currency from the dataset's row in that snapshot: a load that commits
    while the summary runs (the dashboard loading a file in the same process) reaches all of
    it or none of it.
    """
    with snapshot(con):
        dataset = read_dataset(con, dataset.dataset_id)
        return _summary_of(con, dataset, as_of, window_days, today)


def _summary_of(con: duckdb.DuckDBPyConnection, dataset: Dataset, as_of: dt.date | None,
                window_days: int, today: dt.date | None) -> dict[str, Any]:
    """:func:`dataset_summary`'s numbers, read on ``con`` as it is."""
    as_of = as_of or metrics.default_as_of(con, dataset.dataset_id, today=today)
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
        "net_revenue": float(head["net_revenue"]),
        "returns": int(head["returns"]),
    }
    if as_of is not None:
        summary["active_customers"] = metrics.active_customers(
            con, dataset.dataset_id, as_of=as_of, window_days=window_days
        )
        summary.update(_retention_and_ltv(con, dataset.dataset_id, as_of, window_days))
        # DESIGN's cut-offs, not the page's saved ones: a script's numbers stay put
        summary["abc_xyz"] = metrics.abc_xyz_counts(con, dataset.dataset_id, as_of=as_of)
        summary.update(_ladder_and_pareto(con, dataset.dataset_id, as_of))
    return summary


def _retention_and_ltv(
    con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: dt.date, window_days: int
) -> dict[str, Any]:
    """``crr_by_month`` and ``ltv`` (DESIGN §5). The margin is the cost column's, else 30%:
    the command line does not read the page's saved margin setting."""
    monthly = metrics.crr_by_period(con, dataset_id, as_of=as_of, window_days=window_days)
    today = metrics.ltv_today(con, dataset_id, as_of=as_of, window_days=window_days,
                              monthly=monthly)

    def factor(column: str) -> float | None:
        if today.empty or today[column].isna().iloc[0]:
            return None
        return float(today[column].iloc[0])

    return {
        "crr_by_month": metrics.crr_by_month(con, dataset_id, as_of=as_of,
                                             window_days=window_days, monthly=monthly),
        "ltv": {
            "avg_check": factor("avg_check"),
            "purchases_per_month": factor("purchases_per_month"),
            "margin": factor("margin"),
            "lifetime_months": factor("lifetime_months"),
            "ltv": factor("ltv"),
        },
    }


def _ladder_and_pareto(
    con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: dt.date
) -> dict[str, Any]:
    """``ladder`` (customers reaching each step; advocate null when unknown) and
    ``pareto_top20_share`` (null when net revenue is not positive), DESIGN §5. DESIGN's
    thresholds, not the page's saved ones: a script's numbers stay put."""
    counts = metrics.ladder_counts(con, dataset_id, as_of=as_of)
    share = metrics.pareto_share(con, dataset_id, as_of=as_of).iloc[0]["share"]
    return {
        "ladder": {row.step: optional_int(row.customers)
                   for row in counts.itertuples()},
        "pareto_top20_share": None if pd.isna(share) else float(share),
    }
