"""The Loyalty ladder page's data: the steps, moving up, who moved, and the Pareto curve.

Every accessor that places customers on steps uses the saved thresholds (``ctx.saved.ladder``)
and has them in its key. The ladder on the as-of date and the "Who moved" matrix are counted
from one pass over the orders (:func:`_transitions`), which both reuse. A migration cell's
customers are read ``limit`` at a time for the screen; :func:`whole_migration_list` builds a
whole list only when a download is clicked, so a cell of 600,000 customers costs nothing until
someone asks for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import streamlit as st

from retention.metrics import ladder, pareto
from retention.metrics.ladder import LadderThresholds
from retention.ui.data import SettingsKey, as_key, cache_data, from_key, run

if TYPE_CHECKING:
    from retention.ui.context import Context


def ladder_counts(ctx: Context) -> pd.DataFrame:
    """``retention.metrics.ladder.ladder_counts`` on the as-of date, counted from the
    transitions of the default "Who moved" dates, which that section reuses."""
    return _ladder_counts(*ctx.key, ctx.as_of, as_key(ctx.saved.ladder))


def ladder_inputs(ctx: Context) -> dict[str, Any]:
    """``retention.metrics.ladder.ladder_inputs`` as a plain dict: which optional columns
    (share of wallet, referrals, NPS) the steps can lean on."""
    return _ladder_inputs(*ctx.key)


def moving_up(ctx: Context) -> tuple[dict[str, Any], pd.DataFrame]:
    """(second-order timing as a dict, come-back shares by acquisition month, long format)."""
    return _moving_up(*ctx.key, ctx.as_of)


def migration(ctx: Context, start: dt.date, end: dt.date) -> pd.DataFrame:
    """``retention.metrics.ladder.migration_matrix`` between ``start`` and ``end`` (long)."""
    return _migration(*ctx.key, start, end, as_key(ctx.saved.ladder))


def movers(ctx: Context, start: dt.date, end: dt.date, *, from_step: str | None = None,
           to_step: str | None = None, direction: str | None = None,
           limit: int | None = None) -> pd.DataFrame:
    """``retention.metrics.ladder.migration_customers`` for one cell or one direction, the
    first ``limit`` of them (all with None)."""
    return _movers(*ctx.key, start, end, as_key(ctx.saved.ladder), from_step, to_step,
                   direction, limit)


def whole_migration_list(ctx: Context, start: dt.date, end: dt.date, *,
                         from_step: str | None = None, to_step: str | None = None,
                         direction: str | None = None) -> Callable[[], pd.DataFrame]:
    """A function reading every customer of one cell or direction, for a download.

    Not cached: it runs only when the download is clicked, and a whole list may be large.
    It holds plain values only, so it can run after this script run has ended.
    """
    workspace, dataset_id, version = ctx.key
    thresholds = ctx.saved.ladder

    def read() -> pd.DataFrame:
        return run(workspace, dataset_id, version, ladder.migration_customers, start=start, end=end,
                   thresholds=thresholds, from_step=from_step, to_step=to_step,
                   direction=direction)
    return read


def pareto_curve(ctx: Context) -> pd.DataFrame:
    """``retention.metrics.pareto.pareto_curve`` (thinned, with the top-20% cut flagged)."""
    return _pareto_curve(*ctx.key, ctx.as_of)


# -- cached, keyed by plain values --------------------------------------------------------------


@cache_data(show_spinner=False, max_entries=128)
def _transitions(workspace: str, dataset_id: int, version: int, start: dt.date, end: dt.date,
                 thresholds: SettingsKey) -> pd.DataFrame:
    """``ladder_transitions``: the one pass over the orders that both the ladder (on ``end``)
    and the migration matrix are counted from."""
    return run(workspace, dataset_id, version, ladder.ladder_transitions, start=start, end=end,
               thresholds=from_key(LadderThresholds, thresholds))


@cache_data(show_spinner=False, max_entries=128)
def _ladder_counts(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                   thresholds: SettingsKey) -> pd.DataFrame:
    moves = _transitions(workspace, dataset_id, version, ladder.default_migration_start(as_of),
                         as_of, thresholds)
    return run(workspace, dataset_id, version, ladder.ladder_counts, as_of=as_of,
               thresholds=from_key(LadderThresholds, thresholds), transitions=moves)


@cache_data(show_spinner=False, max_entries=128)
def _ladder_inputs(workspace: str, dataset_id: int, version: int) -> dict[str, Any]:
    row = run(workspace, dataset_id, version, ladder.ladder_inputs).iloc[0]
    return {key: (bool(value) if key == "advocacy_known" else int(value))
            for key, value in row.items()}


@cache_data(show_spinner=False, max_entries=128)
def _moving_up(workspace: str, dataset_id: int, version: int,
               as_of: dt.date) -> tuple[dict[str, Any], pd.DataFrame]:
    return run(workspace, dataset_id, version, _timing_and_comeback, as_of=as_of)


def _timing_and_comeback(con: duckdb.DuckDBPyConnection, dataset_id: int, *,
                         as_of: dt.date) -> tuple[dict[str, Any], pd.DataFrame]:
    # one pass over the orders for both: the gap histogram is small
    gaps = ladder.second_order_gaps(con, dataset_id, as_of=as_of)
    timing = ladder.second_order_timing(con, dataset_id, as_of=as_of, gaps=gaps).iloc[0]
    comeback = ladder.comeback_by_cohort(con, dataset_id, as_of=as_of, gaps=gaps)
    return ({"buyers": int(timing["buyers"]), "repeat_customers": int(timing["repeat_customers"]),
             "median_days": None if pd.isna(timing["median_days"])
             else float(timing["median_days"])},
            comeback)


@cache_data(show_spinner=False, max_entries=128)
def _migration(workspace: str, dataset_id: int, version: int, start: dt.date, end: dt.date,
               thresholds: SettingsKey) -> pd.DataFrame:
    moves = _transitions(workspace, dataset_id, version, start, end, thresholds)
    return run(workspace, dataset_id, version, ladder.migration_matrix, start=start, end=end,
               thresholds=from_key(LadderThresholds, thresholds), transitions=moves)


@cache_data(show_spinner=False, max_entries=128)
def _movers(workspace: str, dataset_id: int, version: int, start: dt.date, end: dt.date,
            thresholds: SettingsKey, from_step: str | None, to_step: str | None,
            direction: str | None, limit: int | None) -> pd.DataFrame:
    return run(workspace, dataset_id, version, ladder.migration_customers, start=start, end=end,
               thresholds=from_key(LadderThresholds, thresholds), from_step=from_step,
               to_step=to_step, direction=direction, limit=limit)


@cache_data(show_spinner=False, max_entries=128)
def _pareto_curve(workspace: str, dataset_id: int, version: int, as_of: dt.date) -> pd.DataFrame:
    return run(workspace, dataset_id, version, pareto.pareto_curve, as_of=as_of)
